"""The statistical methods behind an evaluation computed from predictions: each figure with its interval, each
comparison of two models with its test. Every method has the short stable name recorded as `method:` (or `test:`)
and is explained for a clinical reader in docs/statistics.md.

Inputs are arrays of one row per patient (or encounter): `scores` the predicted risk, `labels` 1 (or True) for an
event and 0 for none, alerts True where the score is at or above the operating threshold. Scores must be finite;
the file reader checks that. A figure the data cannot define (a class absent, no alerts, no discordant pairs) is
None, never an exception.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.special import bdtr, chdtrc, ndtr, ndtri

from charter.evaluation import confusion
from charter.evaluation.poisson_resampling import draw, poisson_cells
from charter.evaluation.ranking import Ranking

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

#: The seed of every bootstrap unless one is given; recorded with the figure so a recomputation is identical.
DEFAULT_SEED = 14
#: McNemar's test is exact (binomial) below this many discordant pairs, chi-square with continuity correction above.
MCNEMAR_EXACT_BELOW = 25
#: Bootstrap draws per chunk of replicates (cells x replicates): bounds memory at ~100 MiB whatever the row count.
_DRAWS_PER_CHUNK = 1 << 20
#: Threads sharing the chunks of a bootstrap (numpy releases the GIL in all the work of a chunk).
_THREADS = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class Estimate:
    """A figure with its two-sided interval at `level` (bounds None where the method cannot give one)."""

    value: float
    lower: float | None
    upper: float | None
    level: float
    method: str
    replicates: int | None = None  # bootstrap methods: the replicates drawn
    seed: int | None = None  # bootstrap methods: the seed they were drawn with


@dataclass(frozen=True)
class Difference:
    """New minus baseline, with its interval and a two-sided p-value for "no difference".

    `method` names how the interval was made; `test` names the test behind `p_value` when it is another method
    (a bootstrap interval has no p-value of its own).
    """

    delta: float
    lower: float | None
    upper: float | None
    p_value: float | None
    level: float
    method: str
    statistic: float | None = None  # the test's statistic: z (DeLong, z-test), chi-square or min(b, c) (McNemar)
    test: str | None = None
    replicates: int | None = None
    seed: int | None = None


class McNemar(NamedTuple):
    """McNemar's test of paired proportions: statistic (None without discordant pairs), p-value, method."""

    statistic: float | None
    p_value: float
    method: str


def z_value(level: float) -> float:
    """The standard normal quantile of a two-sided interval at `level` (1.959964 for 0.95)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"a confidence level lies strictly between 0 and 1, not {level}")
    return float(ndtri(0.5 + level / 2.0))


def _two_sided_p(z: float) -> float:
    return float(2.0 * ndtr(-abs(z)))


def scores_and_events(scores: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[Floats, Bools]:
    """Scores as floats and labels as booleans (True: an event), one of each per row."""
    score = np.asarray(scores, dtype=np.float64).reshape(-1)
    event = np.asarray(labels).reshape(-1) != 0
    if score.size != event.size:
        raise ValueError(f"{score.size} scores but {event.size} labels")
    return score, event


# ---------------------------------------------------------------------------------------------------------------
# AUROC: DeLong's variance from placements, computed from midranks (Sun & Xu 2014)
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Placements:
    """DeLong's structural components, in row order within each class.

    events[i]: the share of non-events an event scores above (ties 1/2), V10 in DeLong's notation;
    non_events[j]: the share of events a non-event scores below (ties 1/2), V01. Their means are both the AUROC.
    """

    events: Floats
    non_events: Floats

    @property
    def auroc(self) -> float:
        return float(self.events.mean())

    def variance(self) -> float | None:
        """DeLong's variance of the AUROC: S10/m + S01/n, None with fewer than two of either class."""
        if self.events.size < 2 or self.non_events.size < 2:
            return None
        return float(self.events.var(ddof=1) / self.events.size
                     + self.non_events.var(ddof=1) / self.non_events.size)


def placements(ranking: Ranking) -> Placements | None:
    """Placements in O(n) from a ranking: for each row, the rows of the other class scored below it, plus half of
    those tied with it, over the size of that class. (Sun & Xu 2014 get the same count as the row's midrank in the
    whole sample minus its midrank within its class; both are exact halves, so the placements are the same to the
    bit.) None when a class is absent.

    A figure computed for many subsets of the same rows (subgroups) or twice (alone, and paired with the baseline)
    takes them from one `Ranking` and keeps them, instead of sorting again."""
    score, event, order = ranking.score, ranking.event, ranking.order
    size = score.size
    events = int(event.sum())
    non_events = size - events
    if events == 0 or non_events == 0:
        return None
    ascending = score[order]
    sorted_event = event[order]
    starts = np.flatnonzero(np.concatenate(([True], ascending[1:] != ascending[:-1])))  # of each run of ties
    ends = np.append(starts[1:], size)
    non_events_before = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(~sorted_event, out=non_events_before[1:])
    tied_non_events = non_events_before[ends] - non_events_before[starts]
    below_an_event = non_events_before[starts] + 0.5 * tied_non_events
    below_a_non_event = (starts - non_events_before[starts]) + 0.5 * ((ends - starts) - tied_non_events)
    run = np.repeat(np.arange(starts.size), ends - starts)
    share = np.where(sorted_event, below_an_event[run] / non_events, 1.0 - below_a_non_event[run] / events)
    placed = np.empty(size)
    placed[order] = share
    return Placements(events=placed[event], non_events=placed[~event])


def _placements(score: Floats, event: Bools) -> Placements | None:
    return placements(Ranking.of(score, event))


def auroc_delong(scores: npt.ArrayLike, labels: npt.ArrayLike, level: float = 0.95) -> Estimate | None:
    """AUROC (ties count 1/2, as sklearn's roc_auc_score) with DeLong's interval, AUC +- z * SE clipped to [0, 1]
    (as pROC does). No interval with a single event or a single non-event; None when a class is absent."""
    z_value(level)
    return delong(_placements(*scores_and_events(scores, labels)), level)


def delong(found: Placements | None, level: float = 0.95) -> Estimate | None:
    """`auroc_delong` from placements already computed (None: a class is absent)."""
    z = z_value(level)
    if found is None:
        return None
    auroc = found.auroc
    variance = found.variance()
    if variance is None:
        return Estimate(auroc, None, None, level, "delong")
    half = z * math.sqrt(variance)
    return Estimate(auroc, max(0.0, auroc - half), min(1.0, auroc + half), level, "delong")


def _z_difference(delta: float, variance: float, level: float, method: str) -> Difference:
    """delta +- z * SE and the two-sided z-test; a zero variance gives p = 1 if delta is 0, else no test."""
    z = z_value(level)
    if variance <= 0.0:
        if delta == 0.0:
            return Difference(0.0, 0.0, 0.0, 1.0, level, method, statistic=0.0)
        return Difference(delta, None, None, None, level, method)
    se = math.sqrt(variance)
    return Difference(delta, delta - z * se, delta + z * se, _two_sided_p(delta / se), level, method,
                      statistic=delta / se)


def paired_auroc_delong(new: npt.ArrayLike, baseline: npt.ArrayLike, labels: npt.ArrayLike,
                        level: float = 0.95) -> Difference | None:
    """AUROC of `new` minus AUROC of `baseline`, both scored on the same rows, with DeLong's paired variance
    (the variance of the difference of the two placements, row by row) and its two-sided z-test."""
    new_score, event = scores_and_events(new, labels)
    base_score, _ = scores_and_events(baseline, labels)
    if base_score.size != new_score.size:
        raise ValueError(f"{new_score.size} new scores but {base_score.size} baseline scores")
    return paired_delong(_placements(new_score, event), _placements(base_score, event), level)


def paired_delong(first: Placements | None, second: Placements | None, level: float = 0.95) -> Difference | None:
    """`paired_auroc_delong` from the placements of the new and the baseline scores of the same rows (the same
    events, in the same order)."""
    if first is None or second is None:
        return None
    if first.events.size != second.events.size or first.non_events.size != second.non_events.size:
        raise ValueError("paired placements come from the same rows")
    delta = first.auroc - second.auroc
    difference = Placements(first.events - second.events, first.non_events - second.non_events)
    variance = difference.variance()
    if variance is None:
        return Difference(delta, None, None, None, level, "delong-paired")
    return _z_difference(delta, variance, level, "delong-paired")


def unpaired_auroc(new_scores: npt.ArrayLike, new_labels: npt.ArrayLike, base_scores: npt.ArrayLike,
                   base_labels: npt.ArrayLike, level: float = 0.95) -> Difference | None:
    """AUROC difference between two independent samples: DeLong's variances add; two-sided z-test."""
    first = _placements(*scores_and_events(new_scores, new_labels))
    second = _placements(*scores_and_events(base_scores, base_labels))
    if first is None or second is None:
        return None
    delta = first.auroc - second.auroc
    new_variance, base_variance = first.variance(), second.variance()
    if new_variance is None or base_variance is None:
        return Difference(delta, None, None, None, level, "delong-unpaired")
    return _z_difference(delta, new_variance + base_variance, level, "delong-unpaired")


# ---------------------------------------------------------------------------------------------------------------
# AUPRC: average precision with a Poisson bootstrap over cells of rows
# ---------------------------------------------------------------------------------------------------------------

def precision_recall_cells(score: Floats, event: Bools, order: Ints | None = None) -> tuple[Ints, int]:
    """Each row's cell, and the number of cells K, such that average precision depends only on counts per cell.

    Distinct scores are taken from the highest down (one step per distinct score, as sklearn). Cell k (0..K-1) holds
    the events of the k-th distinct score that has any, and the non-events scored below the previous such score but
    at or above this one; non-events below the lowest scored event fall in cell K, where they change nothing.
    `order` is the rows in ascending order of score when it is known (`Ranking.order`): a row's cell depends only
    on its score, so how tied rows are ordered changes nothing.
    """
    order = np.argsort(-score, kind="stable") if order is None else order[::-1]
    descending = score[order]
    sorted_event = event[order]
    group = np.cumsum(np.concatenate(([True], descending[1:] != descending[:-1]))) - 1
    has_event = np.bincount(group, weights=sorted_event) > 0
    # the cell of a group: how many groups holding events come strictly before it
    before: Ints = np.cumsum(has_event, dtype=np.int64) - has_event
    cell = np.empty(score.size, dtype=np.int64)
    cell[order] = before[group]
    return cell, int(has_event.sum())


def average_precision_of_cells(events: npt.ArrayLike, non_events: npt.ArrayLike) -> Floats:
    """Average precision from (possibly weighted) counts per cell, along the last axis: the mean, over events, of
    the precision at the event's score, sum_k e_k * TP_k / (TP_k + FP_k) / TP_K."""
    weights = np.asarray(events)
    if weights.dtype.kind in "iu" and np.asarray(non_events).dtype.kind in "iu":
        return _average_precision_of_counts(weights, np.asarray(non_events))
    true_positives = np.cumsum(weights, axis=-1, dtype=np.float64)
    total = true_positives[..., -1].copy()
    alerts = np.cumsum(non_events, axis=-1, dtype=np.float64)
    alerts += true_positives
    np.maximum(alerts, 1e-300, out=alerts)  # no alerts yet means no events yet: the term is 0 either way
    true_positives *= weights
    true_positives /= alerts
    result: Floats = true_positives.sum(axis=-1) / total
    return result


#: Integer counts are summed in int32 while every sum and product stays below this (else in int64).
_INT32_LIMIT = 2**31 - 1


def _average_precision_of_counts(events: npt.NDArray[np.integer], non_events: npt.NDArray[np.integer],
                                 kind: type[np.int32] | type[np.int64] | None = None) -> Floats:
    """`average_precision_of_cells` of integer counts, bit for bit: TP_k, TP_k + FP_k and e_k * TP_k are exact
    integers either way (below 2^53 as floats), so they are formed in integers, a quarter faster in the bootstrap,
    and the one division that rounds is the same. `kind`: int32 when no sum or product can pass 2^31 (found from
    the counts when not given)."""
    if kind is None:
        counts = int(np.sum(events, dtype=np.int64)) + int(np.sum(non_events, dtype=np.int64))
        kind = _integers_for(counts, int(events.max(initial=0)))
    alerts = np.add(events, non_events, dtype=kind)
    np.cumsum(alerts, axis=-1, out=alerts)
    np.maximum(alerts, 1, out=alerts)  # no alerts yet means no events yet: the term is 0 either way
    true_positives = np.cumsum(events, axis=-1, dtype=kind)
    total = true_positives[..., -1].astype(np.float64)
    np.multiply(true_positives, events, out=true_positives)
    terms = np.divide(true_positives, alerts, dtype=np.float64)
    result: Floats = terms.sum(axis=-1) / total
    return result


def _integers_for(total: int, largest_event: int) -> type[np.int32] | type[np.int64]:
    """int32 for counts whose every sum is at most `total` and every cell's events at most `largest_event`."""
    return np.int32 if max(total, 1) * max(largest_event, 1) <= _INT32_LIMIT else np.int64


def _average_precision_replicates(events: Ints, non_events: Ints, replicates: int, seed: int) -> Floats:
    """Average precision of `replicates` Poisson bootstrap samples of the cells (a sample without any event is
    drawn again). Replicates go in chunks of a fixed size, chunk i drawn from the i-th child of
    SeedSequence(seed), so the figures are the same however many threads share the chunks."""
    cells = events.size
    tables = poisson_cells(np.concatenate((events, non_events)))
    per_chunk = max(1, _DRAWS_PER_CHUNK // (2 * cells))
    sizes = [min(per_chunk, replicates - start) for start in range(0, replicates, per_chunk)]
    streams = np.random.SeedSequence(seed).spawn(len(sizes))
    largest = tables.largest()  # no draw exceeds these: one bound for every chunk's integers
    kind = _integers_for(int(largest.sum()), int(largest[:cells].max(initial=0)))

    def chunk(number: int) -> Floats:
        rng = np.random.Generator(np.random.PCG64(streams[number]))
        counts = draw(tables, rng, sizes[number])
        with np.errstate(invalid="ignore"):  # no event drawn: 0/0
            result = _average_precision_of_counts(counts[:, :cells], counts[:, cells:], kind)
            while (empty := np.flatnonzero(np.isnan(result))).size:
                again = draw(tables, rng, empty.size)
                result[empty] = _average_precision_of_counts(again[:, :cells], again[:, cells:], kind)
        return result

    if len(sizes) == 1:
        return chunk(0)
    with ThreadPoolExecutor(max_workers=min(_THREADS, len(sizes))) as pool:
        return np.concatenate(list(pool.map(chunk, range(len(sizes)))))


def average_precision_bootstrap(scores: npt.ArrayLike, labels: npt.ArrayLike, level: float = 0.95,
                                replicates: int = 1000, seed: int = DEFAULT_SEED) -> Estimate | None:
    """AUPRC as average precision (= sklearn's average_precision_score) with a percentile interval from a Poisson
    bootstrap over rows (each row drawn Poisson(1) times). Not stratified by class: average precision depends on
    the prevalence, and the number of events varies between replicates as it would between cohorts of this size.
    None when a class is absent.

    The rows are sorted once; a replicate draws one Poisson count per cell (poisson_resampling), so it costs
    O(cells), at most twice the number of events, whatever the number of non-events.
    """
    z_value(level)
    score, event = scores_and_events(scores, labels)
    if event.all() or not event.any():
        return None
    return average_precision(Ranking.of(score, event), level, replicates, seed)


def average_precision(ranking: Ranking, level: float = 0.95, replicates: int = 1000,
                      seed: int = DEFAULT_SEED) -> Estimate | None:
    """`average_precision_bootstrap` of rows already ranked."""
    z_value(level)
    event = ranking.event
    if event.all() or not event.any():
        return None
    cell, cells = precision_recall_cells(ranking.score, event, ranking.order)
    observed_events = np.bincount(cell[event], minlength=cells)
    observed_non_events = np.bincount(cell[~event], minlength=cells + 1)[:cells]
    value = float(average_precision_of_cells(observed_events, observed_non_events))
    results = _average_precision_replicates(observed_events, observed_non_events, replicates, seed)
    lower, upper = np.quantile(results, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(value, float(lower), float(upper), level, "bootstrap-percentile-poisson",
                    replicates=replicates, seed=seed)


def brier(scores: npt.ArrayLike, labels: npt.ArrayLike) -> float | None:
    """Brier score, the mean squared difference between predicted risk and outcome (0 or 1); None without rows."""
    score, event = scores_and_events(scores, labels)
    if not score.size:
        return None
    return float(np.mean((score - event) ** 2))


# ---------------------------------------------------------------------------------------------------------------
# Proportions: Wilson, McNemar, Newcombe, and rates at the operating threshold
# ---------------------------------------------------------------------------------------------------------------

def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval of successes/n (= statsmodels proportion_confint(method="wilson")); None if n == 0."""
    return confusion.wilson(successes, n, z_value(level))


def wilson_arrays(successes: npt.ArrayLike, n: npt.ArrayLike, level: float = 0.95) -> tuple[Floats, Floats]:
    """Wilson intervals element by element, for threshold tables: (lower, upper), NaN where n == 0."""
    z = z_value(level)
    k = np.asarray(successes, dtype=np.float64)
    total = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / total
        denominator = 1 + z * z / total
        centre = (p + z * z / (2 * total)) / denominator
        half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    lower = np.where(total > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    upper = np.where(total > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return lower, upper


def mcnemar(only_new: int, only_baseline: int) -> McNemar:
    """McNemar's test from the discordant pairs: exact binomial below 25 of them, else chi-square with Edwards'
    continuity correction. p = 1 without discordant pairs."""
    discordant = only_new + only_baseline
    if discordant == 0:
        return McNemar(None, 1.0, "mcnemar-exact")
    if discordant < MCNEMAR_EXACT_BELOW:
        smaller = min(only_new, only_baseline)
        return McNemar(float(smaller), min(1.0, 2.0 * float(bdtr(smaller, discordant, 0.5))), "mcnemar-exact")
    # the correction never takes |b - c| below 0: equal counts give statistic 0 and p = 1 (as R's mcnemar.test)
    statistic = max(abs(only_new - only_baseline) - 1, 0) ** 2 / discordant
    return McNemar(float(statistic), float(chdtrc(1, statistic)), "mcnemar-chi2-cc")


def _cells_where(predicate: Callable[[int], bool]) -> list[int]:
    return [cell for cell in range(8) if predicate(cell)]


# The eight cells of a paired threshold comparison: bit 2 the new model alerts, bit 1 the baseline alerts, bit 0
# an event. A rate of either model is a sum of some cells over a sum of others.
_NEW, _BASE, _EVENT = 4, 2, 1


def _arm(alert: int) -> dict[str, tuple[list[int], list[int]]]:
    """Each rate of the model whose alert bit is `alert`, as (numerator cells, denominator cells)."""
    return {
        "ppv": (_cells_where(lambda c: bool(c & alert and c & _EVENT)), _cells_where(lambda c: bool(c & alert))),
        "sensitivity": (_cells_where(lambda c: bool(c & alert and c & _EVENT)),
                        _cells_where(lambda c: bool(c & _EVENT))),
        "specificity": (_cells_where(lambda c: not c & alert and not c & _EVENT),
                        _cells_where(lambda c: not c & _EVENT)),
    }


_RATES = {"new": _arm(_NEW), "baseline": _arm(_BASE)}


def _rate(counts: Floats, cells: tuple[list[int], list[int]]) -> Floats:
    """A rate for each row of counts (last axis: the 8 cells); NaN where its denominator is 0."""
    numerator = counts[..., cells[0]].sum(axis=-1)
    denominator = counts[..., cells[1]].sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: Floats = np.where(denominator > 0, numerator / denominator, np.nan)
    return result


def paired_codes(new_alert: npt.ArrayLike, base_alert: npt.ArrayLike, labels: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """Each row's cell (0-7) of a paired threshold comparison; `paired_cells` counts them, of all rows or of a
    subgroup's (`codes[mask]`), without comparing scores with the threshold again."""
    new = np.asarray(new_alert).reshape(-1) != 0
    base = np.asarray(base_alert).reshape(-1) != 0
    event = np.asarray(labels).reshape(-1) != 0
    if not new.size == base.size == event.size:
        raise ValueError(f"{new.size} new alerts, {base.size} baseline alerts, {event.size} labels")
    codes: npt.NDArray[np.int8] = new.astype(np.int8)
    codes *= _NEW
    codes += _BASE * base
    codes += event
    return codes


def paired_cells(codes: npt.NDArray[np.int8]) -> Ints:
    """How many rows fall in each of the 8 cells (`paired_codes`)."""
    return np.bincount(codes, minlength=8).astype(np.int64)


def _paired_cells(new_alert: npt.ArrayLike, base_alert: npt.ArrayLike, labels: npt.ArrayLike) -> Ints:
    return paired_cells(paired_codes(new_alert, base_alert, labels))


def paired_threshold_tests(new_alert: npt.ArrayLike, base_alert: npt.ArrayLike,
                           labels: npt.ArrayLike) -> dict[str, McNemar]:
    """McNemar's test for sensitivity (among events), specificity (among non-events) and the alert rate (among all
    rows, the test for alerts per day) of two models alerting on the same rows."""
    return _mcnemar_tests(_paired_cells(new_alert, base_alert, labels))


def _mcnemar_tests(cells: Ints) -> dict[str, McNemar]:
    def discordant(cell_numbers: list[int]) -> int:
        return int(cells[cell_numbers].sum())

    return {
        "sensitivity": mcnemar(discordant([_NEW | _EVENT]), discordant([_BASE | _EVENT])),
        "specificity": mcnemar(discordant([_BASE]), discordant([_NEW])),  # only one model is right not to alert
        "alertsPerDay": mcnemar(discordant([_NEW, _NEW | _EVENT]), discordant([_BASE, _BASE | _EVENT])),
    }


def paired_rate_differences(new_alert: npt.ArrayLike, base_alert: npt.ArrayLike, labels: npt.ArrayLike,
                            span_days: float | None, level: float = 0.95, replicates: int = 2000,
                            seed: int = DEFAULT_SEED) -> dict[str, Difference]:
    """New minus baseline for PPV, sensitivity, specificity and alerts per day at the operating threshold, both
    models alerting on the same rows: a paired percentile bootstrap over rows (the 8 cell counts drawn from one
    multinomial per replicate), with McNemar's p-value for sensitivity, specificity and alerts per day.

    A rate undefined for either model (no alerts: PPV) is left out; its interval is None when some replicate has
    it undefined (too few rows behind it for a bootstrap). Alerts per day needs `span_days` > 0.
    """
    return paired_rate_differences_of_cells(_paired_cells(new_alert, base_alert, labels), span_days, level,
                                            replicates, seed)


def paired_rate_differences_of_cells(cells: Ints, span_days: float | None, level: float = 0.95,
                                     replicates: int = 2000, seed: int = DEFAULT_SEED) -> dict[str, Difference]:
    """`paired_rate_differences` from the rows' counts in the 8 cells (`paired_cells`)."""
    z_value(level)
    total = int(cells.sum())
    if total == 0:
        return {}
    rng = np.random.Generator(np.random.PCG64(seed))
    resampled = rng.multinomial(total, cells / total, size=replicates).astype(np.float64)
    observed = cells.astype(np.float64)
    deltas: dict[str, tuple[float, Floats]] = {}
    for name in ("ppv", "sensitivity", "specificity"):
        new_rate, base_rate = _RATES["new"][name], _RATES["baseline"][name]
        point = float(_rate(observed, new_rate) - _rate(observed, base_rate))
        if not math.isnan(point):
            deltas[name] = (point, _rate(resampled, new_rate) - _rate(resampled, base_rate))
    if span_days is not None and span_days > 0:
        alerts = (_cells_where(lambda c: bool(c & _NEW)), _cells_where(lambda c: bool(c & _BASE)))
        deltas["alertsPerDay"] = (float(observed[alerts[0]].sum() - observed[alerts[1]].sum()) / span_days,
                                  (resampled[:, alerts[0]].sum(axis=1) - resampled[:, alerts[1]].sum(axis=1))
                                  / span_days)
    tests = _mcnemar_tests(cells)
    result = {}
    for name, (point, draws) in deltas.items():
        lower: float | None = None
        upper: float | None = None
        if not np.isnan(draws).any():
            lower, upper = (float(q) for q in np.quantile(draws, [(1 - level) / 2, (1 + level) / 2]))
        test = tests.get(name)
        result[name] = Difference(point, lower, upper, test.p_value if test else None, level,
                                  "paired-bootstrap-percentile", statistic=test.statistic if test else None,
                                  test=test.method if test else None, replicates=replicates, seed=seed)
    return result

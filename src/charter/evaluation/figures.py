"""Every figure of an evaluation computed from predictions, in one function: `evaluate record --predictions` writes
what it returns and `evaluate verify` recomputes it, so the two can never drift apart.

Figures are written with `SIGNIFICANT` significant digits: enough for any decision a reviewer makes, few enough to
read, and a recomputation rounds the same way, so a hand-edited digit is found by plain equality. The threshold
rows are the same `confusion.threshold_row` the counts path writes, so both kinds of evaluation read alike.
"""

from __future__ import annotations

import contextlib
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from charter.errors import PredictionsError
from charter.evaluation.confusion import CI_LEVEL, threshold_row

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from charter.evaluation.calibration import CalibrationErrors
    from charter.evaluation.predictions import Predictions
    from charter.evaluation.statistics import Difference, Estimate, Placements

#: Significant digits of every computed figure (counts are exact).
SIGNIFICANT = 6
#: A subgroup smaller than this, or with fewer events or non-events than `SMALL_SAMPLE_EVENTS`, is flagged: its
#: figures are too uncertain to be read on their own (the interval says how much).
SMALL_SAMPLE_UNITS = 100
SMALL_SAMPLE_EVENTS = 10
#: Defaults a recomputation must reuse; the evaluation records them (`spec.evidence`).
REPLICATES = 1000
PAIRED_REPLICATES = 2000
BINS = 10


@dataclass(frozen=True)
class FigureSettings:
    """What the figures depend on besides the rows: every one is recorded, so `verify` repeats them exactly."""

    thresholds: tuple[float, ...]
    operating: float
    seed: int
    level: float = CI_LEVEL
    replicates: int = REPLICATES
    paired_replicates: int = PAIRED_REPLICATES
    bins: int = BINS
    baseline: str | None = None  # the baseline version's reference, when the rows carry its scores


def import_numerics() -> None:
    """Import every module `compute_figures` uses (scipy's and statsmodels' imports take most of a second)."""
    import charter.evaluation.calibration
    import charter.evaluation.ranking
    import charter.evaluation.statistics
    import charter.evaluation.threshold_counts  # noqa: F401


def import_numerics_meanwhile() -> threading.Thread:
    """Start `import_numerics` in a thread, for a caller about to read the predictions: pyarrow parses them without
    the GIL, so the import's Python runs meanwhile. Join the thread before computing. A failed import is left to
    fail again, with its message, where the module is used."""

    def run() -> None:
        with contextlib.suppress(Exception):
            import_numerics()

    thread = threading.Thread(target=run, name="charter-numerics-import", daemon=True)
    thread.start()
    return thread


def rounded(value: float) -> float:
    """`value` to `SIGNIFICANT` significant digits (a float that YAML writes short and reads back the same)."""
    return float(f"{value:.{SIGNIFICANT}g}") if math.isfinite(value) else value


class _Ranked:
    """What the figures share: each score column sorted once (`Ranking`), the subgroups' row masks, and DeLong's
    placements of each (column, subgroup), computed once and used alone and paired with the baseline."""

    def __init__(self, predictions: Predictions, event: npt.NDArray[np.bool_], pool: ThreadPoolExecutor) -> None:
        from charter.evaluation.ranking import Ranking
        from charter.evaluation.threshold_counts import subgroup_masks

        self.event = event
        self.score = predictions.score
        # the two sorts at once: numpy sorts without the GIL
        baseline = None if predictions.baseline is None else pool.submit(Ranking.of, predictions.baseline, event)
        self.rankings = {"score": Ranking.of(predictions.score, event)}
        self.masks = subgroup_masks(predictions)
        if baseline is not None:
            self.rankings["baseline"] = baseline.result()
        self._placements: dict[tuple[str, tuple[str, str] | None], Placements | None] = {}

    def placements(self, column: str, subgroup: tuple[str, str] | None = None) -> Placements | None:
        """The placements of the `column` scores ("score" or "baseline") of all rows or of one subgroup's (those of
        every value of the subgroup's column are computed together, from one split of the ranking)."""
        import numpy as np

        from charter.evaluation.statistics import placements

        key = (column, subgroup)
        if key not in self._placements:
            ranking = self.rankings[column]
            if subgroup is None:
                self._placements[key] = placements(ranking)
            else:
                values = [value for attribute, value in self.masks if attribute == subgroup[0]]
                codes = np.zeros(ranking.size, dtype=np.int32)
                for i, value in enumerate(values):
                    codes[self.masks[(subgroup[0], value)]] = i
                for value, part in zip(values, ranking.split(codes, len(values)), strict=True):
                    self._placements[(column, (subgroup[0], value))] = placements(part)
        return self._placements[key]


def compute_figures(predictions: Predictions, settings: FigureSettings) -> dict[str, Any]:
    """The evaluation's computed part of `spec`: metrics, thresholds, calibration, subgroups, comparison, and the
    `evidence` fields that say how (methods, level, seed, replicates, scored span)."""
    from charter.evaluation.calibration import calibration_errors
    from charter.evaluation.statistics import average_precision
    from charter.evaluation.threshold_counts import counts_at, scored_span_days

    score, label = predictions.score, predictions.label
    days = scored_span_days(predictions.time)
    if days <= 0:  # alerts per day need a span of time: said at the file, as every problem of its rows
        raise PredictionsError(str(predictions.path), "span.zero", time=f"{predictions.time[0]}Z")
    if len(label) and (label.all() or not label.any()):  # no rate or ranking is defined: said at the file too
        raise PredictionsError(str(predictions.path), "labels.one_class", label=int(label[0]))
    methods: dict[str, str] = {}
    calibration_methods: dict[str, str] = {}
    comparison_methods: dict[str, str] = {}
    # The bootstrap needs nothing else computed: it runs beside the rest (numpy lets go of the GIL for nearly all
    # its work), which is computed meanwhile; the figures are the same in any order. The calibration curve comes
    # first, before the bootstrap starts: statsmodels' lowess holds the GIL for most of its work, so beside it the
    # bootstrap's threads would mostly wait for the GIL (measured: more CPU, no less wall time).
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="charter-figures") as pool:
        event = label != 0
        ranked = _Ranked(predictions, event, pool)
        ranking = ranked.rankings["score"]
        curve = calibration_errors(score, event)
        auprc = pool.submit(average_precision, ranking, settings.level, settings.replicates, settings.seed)
        counts = counts_at(score, label, settings.thresholds)
        thresholds = [threshold_row(t, counts.at(t), days) for t in settings.thresholds]
        subgroups = _subgroups(predictions, ranked, settings, days)
        comparison = (_comparison(predictions, ranked, settings, days, comparison_methods)
                      if predictions.baseline is not None and settings.baseline is not None else None)
        calibration = _calibration(ranked, settings, calibration_methods, curve)
        spec: dict[str, Any] = {"metrics": _metrics(ranked, settings, methods, auprc.result())}
    spec["thresholds"] = thresholds
    methods["rates"] = "wilson"
    spec["operatingThreshold"] = settings.operating
    spec["periodDays"] = rounded(days)
    spec["calibration"] = calibration
    methods.update(calibration_methods)
    if subgroups:
        spec["subgroups"] = subgroups
    if comparison is not None:
        spec["comparison"] = comparison
        methods.update(comparison_methods)
    spec["evidence"] = {
        "level": settings.level, "seed": settings.seed, "replicates": settings.replicates, "methods": methods,
        "scoredFrom": _instant(predictions.time.min()), "scoredTo": _instant(predictions.time.max()),
    }
    return spec


def _instant(moment: np.datetime64) -> str:
    """A scoring time as RFC 3339 in UTC (the reader keeps times as UTC seconds)."""
    return datetime.fromtimestamp(int(moment.astype("int64")), UTC).isoformat().replace("+00:00", "Z")


def _estimate(found: Estimate | None) -> dict[str, Any] | None:
    if found is None:
        return None
    shown: dict[str, Any] = {"value": rounded(found.value)}
    if found.lower is not None and found.upper is not None:
        shown.update({"ciLower": rounded(found.lower), "ciUpper": rounded(found.upper), "ciLevel": found.level})
    shown["method"] = found.method
    return shown


def _difference(found: Difference | None) -> dict[str, Any] | None:
    if found is None:
        return None
    shown: dict[str, Any] = {"delta": rounded(found.delta)}
    if found.lower is not None and found.upper is not None:
        shown.update({"ciLower": rounded(found.lower), "ciUpper": rounded(found.upper), "ciLevel": found.level})
    if found.p_value is not None:
        shown["pValue"] = rounded(found.p_value)
    shown["method"] = f"{found.method}; p-value {found.test}" if found.test else found.method
    return shown


def _metrics(ranked: _Ranked, settings: FigureSettings, methods: dict[str, str],
             average_precision: Estimate | None) -> dict[str, Any]:
    from charter.evaluation.statistics import brier, delong

    ranking = ranked.rankings["score"]
    metrics: dict[str, Any] = {}
    n, events = ranking.size, int(ranking.event.sum())
    metrics["prevalence"] = {"value": rounded(events / n)} if n else None
    auroc = _estimate(delong(ranked.placements("score"), settings.level))
    auprc = _estimate(average_precision)
    for name, shown in (("auroc", auroc), ("auprc", auprc)):
        if shown is not None:
            metrics[name] = shown
            methods[name] = shown["method"]
    found = brier(ranking.score, ranking.event)
    if found is not None:
        metrics["brier"] = {"value": rounded(found), "method": "brier"}
        methods["brier"] = "brier"
    return {k: v for k, v in metrics.items() if v is not None}


def _calibration(ranked: _Ranked, settings: FigureSettings, methods: dict[str, str],
                 errors: CalibrationErrors | None) -> dict[str, Any]:
    from charter.evaluation.calibration import (
        calibration_intercept,
        calibration_slope,
        observed_expected,
        reliability_bins,
    )
    from charter.evaluation.statistics import brier

    ranking = ranked.rankings["score"]
    score, label = ranking.score, ranking.event
    shown: dict[str, Any] = {}
    intervals: dict[str, Any] = {"level": settings.level}
    for key, found in (("slope", calibration_slope(score, label, settings.level)),
                       ("intercept", calibration_intercept(score, label, settings.level)),
                       ("observedExpected", observed_expected(score, label, settings.level))):
        if found is None:
            continue
        shown[key] = rounded(found.value)
        if found.lower is not None and found.upper is not None:
            intervals[key] = {"lower": rounded(found.lower), "upper": rounded(found.upper)}
        methods[f"calibration.{key}"] = found.method
    if len(intervals) > 1:
        shown["intervals"] = intervals
    score_error = brier(score, label)
    if score_error is not None:
        shown["brier"] = rounded(score_error)
    if errors is not None:
        shown["ici"], shown["e50"], shown["e90"] = (rounded(errors.ici), rounded(errors.e50), rounded(errors.e90))
        methods["calibration.ici"] = errors.method
    bins = [{"predicted": rounded(b.mean_predicted), "observed": rounded(b.observed), "n": b.n, "events": b.events,
             "from": rounded(b.lower), "to": rounded(b.upper),
             "interval": {"lower": rounded(b.observed_lower), "upper": rounded(b.observed_upper)}}
            for b in reliability_bins(score, label, settings.bins, settings.level, order=ranking.order)]
    if bins:
        shown["bins"] = bins
        methods["calibration.bins"] = f"equal-count-{settings.bins}"
    return shown


def small_sample(n: int, events: int) -> bool:
    return n < SMALL_SAMPLE_UNITS or events < SMALL_SAMPLE_EVENTS or n - events < SMALL_SAMPLE_EVENTS


def _subgroups(predictions: Predictions, ranked: _Ranked, settings: FigureSettings,
               days: float) -> list[dict[str, Any]]:
    from charter.evaluation.calibration import observed_expected
    from charter.evaluation.statistics import delong
    from charter.evaluation.threshold_counts import counts_at

    found = []
    for (attribute, value), mask in ranked.masks.items():
        score, label = predictions.score[mask], predictions.label[mask]
        n, events = int(mask.sum()), int(label.sum())
        entry: dict[str, Any] = {"name": f"{attribute}={value}", "attribute": attribute, "value": value, "n": n,
                                 "events": events, "prevalence": rounded(events / n) if n else 0.0}
        auroc = delong(ranked.placements("score", (attribute, value)), settings.level)
        entry["metrics"] = {"auroc": rounded(auroc.value)} if auroc is not None else {}
        if auroc is not None and auroc.lower is not None and auroc.upper is not None:
            entry["intervals"] = {"level": settings.level, "auroc": {"lower": rounded(auroc.lower),
                                                                    "upper": rounded(auroc.upper)}}
        oe = observed_expected(score, label, settings.level)
        if oe is not None:
            entry["observedExpected"] = rounded(oe.value)
        entry["atOperatingThreshold"] = threshold_row(
            settings.operating, counts_at(score, label, [settings.operating]).at(settings.operating), days)
        entry["smallSample"] = small_sample(n, events)
        found.append(entry)
    return found


def _comparison(predictions: Predictions, ranked: _Ranked, settings: FigureSettings, days: float,
                methods: dict[str, str]) -> dict[str, Any]:
    from charter.evaluation.statistics import paired_cells, paired_codes, paired_delong

    assert predictions.baseline is not None and settings.baseline is not None
    new, base, label = predictions.score, predictions.baseline, predictions.label
    shown: dict[str, Any] = {"baseline": settings.baseline, "paired": True, "rows": predictions.rows,
                             "baselineColumn": predictions.columns.baseline}
    auroc = _difference(paired_delong(ranked.placements("score"), ranked.placements("baseline"), settings.level))
    if auroc is not None:
        shown["auroc"] = auroc
        methods["comparison.auroc"] = auroc["method"]
    codes = paired_codes(new >= settings.operating, base >= settings.operating, label)
    shown["atOperatingThreshold"] = {"threshold": settings.operating,
                                     **_rate_differences(paired_cells(codes), days, settings, methods)}
    groups = []
    for (attribute, value), mask in ranked.masks.items():
        cells = paired_cells(codes[mask])
        n, events = int(cells.sum()), int(cells[1::2].sum())  # odd cells: the events
        entry: dict[str, Any] = {"name": f"{attribute}={value}", "attribute": attribute, "value": value, "n": n,
                                 "events": events, "smallSample": small_sample(n, events)}
        found = _difference(paired_delong(ranked.placements("score", (attribute, value)),
                                          ranked.placements("baseline", (attribute, value)), settings.level))
        if found is not None:
            entry["auroc"] = found
        rates = _rate_differences(cells, days, settings, None)
        entry.update({k: v for k, v in rates.items() if k in ("sensitivity", "specificity")})
        groups.append(entry)
    if groups:
        shown["subgroups"] = groups
    return shown


def _rate_differences(cells: npt.NDArray[np.int64], days: float, settings: FigureSettings,
                      methods: dict[str, str] | None) -> dict[str, Any]:
    """Sensitivity, specificity, PPV and alerts per day at the operating threshold, from the rows' paired cells:
    paired bootstrap intervals, McNemar's p-values where the test applies."""
    from charter.evaluation.statistics import paired_rate_differences_of_cells

    differences = paired_rate_differences_of_cells(cells, days, settings.level, settings.paired_replicates,
                                                   settings.seed)
    shown = {}
    for rate in ("sensitivity", "specificity", "ppv", "alertsPerDay"):
        found = _difference(differences.get(rate))
        if found is not None:
            shown[rate] = found
            if methods is not None:
                methods[f"comparison.{rate}"] = found["method"]
    return shown

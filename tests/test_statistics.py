"""The statistical methods of charter.evaluation.statistics, each checked against an independent computation:
scikit-learn and statsmodels where they have the method, a quadratic-time reference written here from DeLong's
definition where no Python library does, and pROC's published figures on its aSAH data.

Tolerances: where both sides compute the same sums in a different order, relative 1e-10 (double rounding over
tens of thousands of terms stays below 1e-12); published figures are printed to 15 significant digits and pROC's
own tests compare at 1.5e-8, so 1e-9; bootstrap figures are compared with Monte-Carlo error in mind, said at each.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.proportion import proportion_confint

from charter.evaluation import statistics as evidence
from charter.evaluation.confusion import Confusion
from charter.evaluation.poisson_resampling import draw, poisson_cells
from charter.evaluation.statistics import (
    Difference,
    auroc_delong,
    average_precision_bootstrap,
    average_precision_of_cells,
    brier,
    mcnemar,
    paired_auroc_delong,
    paired_rate_differences,
    paired_threshold_tests,
    precision_recall_cells,
    unpaired_auroc,
    wilson,
    wilson_arrays,
    z_value,
)

Z95 = 1.959963984540054
ROWS, PREVALENCE = 20_000, 0.06
#: Binormal scores: non-events N(0, 1), events N(mu, 1), so the true AUROC is Phi(mu / sqrt 2).
MU_NEW, MU_BASE, CORRELATION = 1.5, 1.2, 0.6


def true_auroc(mu: float) -> float:
    return float(stats.norm.cdf(mu / math.sqrt(2)))


@pytest.fixture(scope="module")
def cohort() -> dict[str, np.ndarray]:
    """20,000 rows, 6% events; two versions' scores on the same rows, their noise correlated 0.6."""
    rng = np.random.Generator(np.random.PCG64(20261114))
    event = rng.random(ROWS) < PREVALENCE
    shared, own = rng.standard_normal(ROWS), rng.standard_normal(ROWS)
    new = MU_NEW * event + shared
    baseline = MU_BASE * event + CORRELATION * shared + math.sqrt(1 - CORRELATION ** 2) * own
    return {"event": event, "new": new, "baseline": baseline}


# --- DeLong: a quadratic-time reference from the definition ---------------------------------------------------

def delong_reference(score_columns: list[np.ndarray], event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUROCs and DeLong's covariance matrix S = S10/m + S01/n, straight from the structural components: psi(X, Y) =
    1 if the event scores higher, 1/2 if tied, 0 if lower, over every (event, non-event) pair."""
    positives = np.stack([s[event] for s in score_columns])  # k x m
    negatives = np.stack([s[~event] for s in score_columns])  # k x n
    psi = ((positives[:, :, None] > negatives[:, None, :]).astype(float)
           + 0.5 * (positives[:, :, None] == negatives[:, None, :]))
    v10, v01 = psi.mean(axis=2), psi.mean(axis=1)  # placements of each event, of each non-event
    covariance = np.cov(v10) / positives.shape[1] + np.cov(v01) / negatives.shape[1]
    return v10.mean(axis=1), np.atleast_2d(covariance)


def half_width_variance(estimate_lower: float, estimate_upper: float) -> float:
    return ((estimate_upper - estimate_lower) / (2 * Z95)) ** 2


@pytest.mark.parametrize("rounding", [None, 1])  # continuous scores, and heavy ties (one decimal)
def test_delong_matches_the_definition(cohort: dict[str, np.ndarray], rounding: int | None) -> None:
    rows = slice(0, 3000)  # ~180 events x 2,820 non-events: 500,000 pairs for the reference
    event = cohort["event"][rows]
    new, baseline = cohort["new"][rows], cohort["baseline"][rows]
    if rounding is not None:
        new, baseline = np.round(new, rounding), np.round(baseline, rounding)
    aurocs, covariance = delong_reference([new, baseline], event)

    single = auroc_delong(new, event)
    assert single is not None and single.method == "delong"
    assert single.value == pytest.approx(aurocs[0], rel=1e-12)
    assert half_width_variance(single.lower or 0, single.upper or 0) == pytest.approx(covariance[0, 0], rel=1e-10)

    paired = paired_auroc_delong(new, baseline, event)
    assert paired is not None and paired.method == "delong-paired"
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    assert paired.delta == pytest.approx(aurocs[0] - aurocs[1], rel=1e-12)
    assert paired.statistic == pytest.approx(paired.delta / math.sqrt(variance), rel=1e-10)
    assert paired.p_value == pytest.approx(2 * stats.norm.sf(abs(paired.delta) / math.sqrt(variance)), rel=1e-9)
    assert paired.lower == pytest.approx(paired.delta - Z95 * math.sqrt(variance), rel=1e-10)


def test_auroc_equals_sklearn_and_covers_the_true_auroc(cohort: dict[str, np.ndarray]) -> None:
    for name, mu in (("new", MU_NEW), ("baseline", MU_BASE)):
        estimate = auroc_delong(cohort[name], cohort["event"])
        assert estimate is not None
        assert estimate.value == pytest.approx(roc_auc_score(cohort["event"], cohort[name]), rel=1e-12)
        assert (estimate.lower or 0) < true_auroc(mu) < (estimate.upper or 1)
    paired = paired_auroc_delong(cohort["new"], cohort["baseline"], cohort["event"])
    assert paired is not None and paired.lower is not None and paired.upper is not None
    assert paired.lower < true_auroc(MU_NEW) - true_auroc(MU_BASE) < paired.upper
    assert paired.p_value is not None and paired.p_value < 1e-6


def test_unpaired_auroc_adds_the_two_variances(cohort: dict[str, np.ndarray]) -> None:
    first, second = slice(0, 2000), slice(2000, 4500)
    new = (cohort["new"][first], cohort["event"][first])
    base = (cohort["baseline"][second], cohort["event"][second])
    (auc_new,), var_new = delong_reference([new[0]], new[1])
    (auc_base,), var_base = delong_reference([base[0]], base[1])
    difference = unpaired_auroc(*new, *base)
    assert difference is not None and difference.method == "delong-unpaired"
    se = math.sqrt(var_new[0, 0] + var_base[0, 0])
    assert difference.delta == pytest.approx(auc_new - auc_base, rel=1e-12)
    assert difference.lower == pytest.approx(difference.delta - Z95 * se, rel=1e-10)
    assert difference.p_value == pytest.approx(2 * stats.norm.sf(abs(difference.delta) / se), rel=1e-9)


# --- pROC's published figures on the aSAH data --------------------------------------------------------------------
# The aSAH data: 113 patients with aneurysmal subarachnoid haemorrhage (Turck et al. 2010, Intensive Care Med
# 36:107-115), shipped with the R package pROC (Robin et al. 2011, BMC Bioinformatics 12:77) as data/aSAH.RData,
# read here column by column: outcome (1 = Poor), wfns (the WFNS grade, 1-5), s100b and ndka (biomarkers). The
# expected figures are those asserted by pROC's own test suite (github.com/xrobin/pROC, tests/testthat/, commit
# ee2877e8): test-auc.R and helper-roc-expected.R (AUCs), test-var.R (DeLong variances), test-ci.auc.R (the DeLong
# interval of ndka), test-roc.test.R (paired DeLong tests: Z, p and the interval of the difference; the unpaired
# statistic D, which is our z: pROC takes its p-value from a t distribution, so only D is compared).

ASAH_OUTCOME = ("00001101001011001011101000000000100110110000000001100010001010011101101111000110100000010000000000001"
                "111110001000")
ASAH_WFNS = ("11113254125255125225211112121134214541425511241125521251222151125214524414121421232421451154221113125"
             "225552445111")
ASAH_S100B = [
    0.13, 0.14, 0.1, 0.04, 0.13, 0.1, 0.47, 0.16, 0.18, 0.1, 0.12, 0.1, 0.44, 0.71, 0.04, 0.08, 0.49, 0.04, 0.07,
    0.33, 0.09, 0.09, 0.07, 0.11, 0.07, 0.17, 0.07, 0.11, 0.13, 0.19, 0.05, 0.16, 0.41, 0.14, 0.34, 0.35, 0.48, 0.09,
    0.96, 0.25, 0.5, 0.46, 0.16, 0.07, 0.43, 0.45, 0.11, 0.08, 0.09, 0.86, 0.52, 0.08, 0.06, 0.13, 2.07, 0.1, 0.14,
    0.15, 0.07, 0.06, 0.77, 0.05, 0.09, 0.3, 0.03, 0.09, 0.04, 0.23, 0.7, 0.09, 0.27, 0.71, 0.08, 0.26, 0.08, 0.16,
    0.09, 0.13, 0.1, 0.08, 0.11, 0.33, 0.11, 0.28, 0.07, 0.1, 0.32, 0.22, 0.07, 0.05, 0.24, 0.38, 0.1, 0.15, 0.08,
    0.14, 0.1, 0.07, 0.04, 0.19, 0.56, 0.14, 0.58, 0.32, 0.82, 0.74, 0.15, 0.47, 0.17, 0.44, 0.15, 0.5, 0.48]
ASAH_NDKA = [
    3.01, 8.54, 8.09, 10.42, 17.4, 12.75, 6.0, 13.2, 15.54, 6.01, 15.96, 17.86, 5.18, 8.9, 13.41, 20.75, 11.6, 16.11,
    32.37, 54.82, 32.41, 49.94, 40.34, 9.47, 6.29, 12.53, 6.54, 6.3, 80.3, 12.8, 9.8, 9.81, 9.85, 18.21, 5.03, 14.04,
    21.93, 8.02, 7.42, 8.38, 6.59, 9.63, 13.12, 7.96, 14.34, 41.43, 7.63, 7.06, 12.59, 13.56, 3.87, 9.44, 7.66, 12.98,
    419.19, 27.19, 22.27, 9.95, 21.22, 11.73, 10.4, 58.83, 6.39, 11.09, 12.22, 13.67, 17.21, 22.63, 12.9, 9.7, 21.57,
    8.23, 72.57, 15.54, 10.51, 10.6, 14.57, 5.19, 9.63, 4.61, 21.48, 17.3, 12.71, 9.44, 11.07, 19.46, 10.83, 5.37,
    11.97, 7.75, 9.83, 10.55, 28.49, 8.53, 12.57, 12.9, 46.83, 11.68, 12.67, 9.01, 9.57, 34.06, 11.72, 14.26, 47.61,
    11.67, 24.58, 10.33, 13.87, 15.89, 22.43, 6.79, 13.45]


@pytest.fixture(scope="module")
def asah() -> dict[str, np.ndarray]:
    return {"outcome": np.array([int(c) for c in ASAH_OUTCOME]), "wfns": np.array([int(c) for c in ASAH_WFNS]),
            "s100b": np.array(ASAH_S100B), "ndka": np.array(ASAH_NDKA)}


PUBLISHED = 1e-9


def test_asah_aurocs_and_delong_variances_are_proc_s(asah: dict[str, np.ndarray]) -> None:
    expected = {"wfns": (0.823678861788618, 0.00146991470882363),
                "ndka": (0.611957994579946, 0.0031908105493913),
                "s100b": (0.73136856368563685, 0.00266868245717244)}
    for name, (auc, variance) in expected.items():
        estimate = auroc_delong(asah[name], asah["outcome"])
        assert estimate is not None and estimate.lower is not None and estimate.upper is not None
        assert estimate.value == pytest.approx(auc, rel=PUBLISHED), name
        assert half_width_variance(estimate.lower, estimate.upper) == pytest.approx(variance, rel=PUBLISHED), name
    ndka = auroc_delong(asah["ndka"], asah["outcome"])
    assert ndka is not None
    assert (ndka.lower, ndka.upper) == pytest.approx((0.501244999271703, 0.722670989888189), rel=PUBLISHED)


@pytest.mark.parametrize(("new", "baseline", "z", "p", "lower", "upper"), [
    ("wfns", "s100b", 2.20898359144091, 0.0271757822291882, 0.0104061769564846, 0.174214419249478),
    ("wfns", "ndka", 2.79777591868904, 0.00514557970691098, 0.0634011709339876, 0.3600405634833566),
    ("ndka", "s100b", -1.39077002573558, 0.164295175223054, -0.2876917446341914, 0.0488706064228094),
])
def test_asah_paired_delong_tests_are_proc_s(asah: dict[str, np.ndarray], new: str, baseline: str, z: float,
                                             p: float, lower: float, upper: float) -> None:
    difference = paired_auroc_delong(asah[new], asah[baseline], asah["outcome"])
    assert difference is not None
    assert difference.statistic == pytest.approx(z, rel=PUBLISHED)
    assert difference.p_value == pytest.approx(p, rel=PUBLISHED)
    assert (difference.lower, difference.upper) == pytest.approx((lower, upper), rel=PUBLISHED)


@pytest.mark.parametrize(("new", "baseline", "d"), [
    ("wfns", "s100b", 1.43490640926908), ("wfns", "ndka", 3.10125096778969), ("ndka", "s100b", -1.55995743389685)])
def test_asah_unpaired_statistic_is_proc_s(asah: dict[str, np.ndarray], new: str, baseline: str, d: float) -> None:
    difference = unpaired_auroc(asah[new], asah["outcome"], asah[baseline], asah["outcome"])
    assert difference is not None and difference.statistic == pytest.approx(d, rel=PUBLISHED)


def test_identical_scores_differ_by_nothing(asah: dict[str, np.ndarray]) -> None:
    # pROC: roc.test(r.wfns, r.wfns) gives Z = 0 and p = 1; so does a monotone transform of the same scores
    for other in (asah["wfns"], 2 * asah["wfns"] + 1):
        difference = paired_auroc_delong(asah["wfns"], other, asah["outcome"])
        assert difference == Difference(0.0, 0.0, 0.0, 1.0, 0.95, "delong-paired", statistic=0.0)


def test_auroc_edge_cases() -> None:
    assert auroc_delong([0.1, 0.2, 0.3], [0, 0, 0]) is None  # no events
    assert auroc_delong([0.1, 0.2, 0.3], [1, 1, 1]) is None  # all events
    assert auroc_delong([0.5], [1]) is None  # a single row
    assert auroc_delong([], []) is None
    single_event = auroc_delong([0.9, 0.1, 0.2, 0.3], [1, 0, 0, 0])
    assert single_event is not None and single_event.value == 1.0 and single_event.lower is None
    tied = auroc_delong([0.5] * 6, [1, 0, 1, 0, 0, 0])  # every score tied: 1/2, and no spread at all
    assert tied is not None and (tied.value, tied.lower, tied.upper) == (0.5, 0.5, 0.5)
    perfect = auroc_delong([0.0, 0.0, 1.0, 1.0], [0, 0, 1, 1])  # scores of exactly 0 and 1; clipped interval
    assert perfect is not None and (perfect.value, perfect.upper) == (1.0, 1.0)
    assert paired_auroc_delong([0.1, 0.2], [0.2, 0.1], [0, 0]) is None
    assert unpaired_auroc([0.1, 0.9], [0, 1], [0.3], [1]) is None
    assert auroc_delong([0.1, 0.2, 0.7], [0, 1, 1], level=0.9) is not None
    with pytest.raises(ValueError):
        z_value(1.0)


# --- Average precision and its Poisson bootstrap -----------------------------------------------------------------

def test_average_precision_equals_sklearn(cohort: dict[str, np.ndarray]) -> None:
    event = cohort["event"]
    for scores in (cohort["new"], np.round(cohort["new"], 1), np.round(cohort["baseline"], 0)):  # ties: one step
        estimate = average_precision_bootstrap(scores, event, replicates=50)
        assert estimate is not None
        assert estimate.value == pytest.approx(average_precision_score(event, scores), rel=1e-12)


def test_average_precision_of_weighted_cells_equals_sklearn_with_sample_weights(cohort: dict[str, np.ndarray]) -> None:
    """A bootstrap replicate is the data with a whole-number weight per row: aggregated into cells, it must give
    sklearn's weighted average precision. Zero weights included (sklearn drops those rows)."""
    rng = np.random.Generator(np.random.PCG64(5))
    event = cohort["event"][:4000]
    for scores in (cohort["new"][:4000], np.round(cohort["new"][:4000], 1)):
        cell, cells = precision_recall_cells(scores, event)
        for _ in range(3):
            weight = rng.poisson(1.0, event.size)
            events = np.bincount(cell[event], weights=weight[event], minlength=cells)
            non_events = np.bincount(cell[~event], weights=weight[~event], minlength=cells + 1)[:cells]
            assert float(average_precision_of_cells(events, non_events)) == pytest.approx(
                average_precision_score(event, scores, sample_weight=weight), rel=1e-12)


def test_average_precision_of_integer_counts_is_bit_for_bit_that_of_float_counts() -> None:
    """Whole-number counts take an integer path (int32, or int64 where a sum could pass 2^31): it must give exactly
    the float path's figure, so a bootstrap's replicates do not move, nor a replicate without events (NaN)."""
    rng = np.random.Generator(np.random.PCG64(9))
    for scale in (1, 3_000):  # the second: sums past 2^31, so int64
        events = rng.poisson(1.0, (6, 5000)) * scale
        non_events = rng.poisson(7.0, (6, 5000)) * scale
        events[2] = 0  # no event drawn: 0/0
        for kind in (np.int32, np.int64):
            if scale > 1 and kind is np.int32:
                continue
            with np.errstate(invalid="ignore"):
                found = average_precision_of_cells(events.astype(kind), non_events.astype(kind))
                expected = average_precision_of_cells(events.astype(np.float64), non_events.astype(np.float64))
            assert np.array_equal(found, expected, equal_nan=True) and np.isnan(found[2])


def test_poisson_cells_know_the_largest_count_each_cell_can_draw() -> None:
    """The bootstrap sizes its integers from `largest`: no draw may exceed it, and it is where the CDF reaches 1."""
    sizes = [0, 1, 2, 7, 300, 40_000]
    tables = poisson_cells(sizes)
    largest = tables.largest()
    counts = draw(tables, np.random.Generator(np.random.PCG64(8)), 20_000)
    assert (counts <= largest).all() and largest[0] == 0
    for size, top in zip(sizes, largest, strict=True):
        assert stats.poisson.cdf(top - 1, size) < 1.0 and (size == 0 or stats.poisson.sf(top, size) < 1e-15)


def test_poisson_cells_draw_poisson_counts() -> None:
    """Each cell's draws follow Poisson(its size): chi-square goodness of fit against scipy's pmf (fixed seed)."""
    sizes = [0, 1, 2, 7, 16, 300, 40_000]
    counts = draw(poisson_cells(sizes), np.random.Generator(np.random.PCG64(3)), 40_000)
    assert counts.shape == (40_000, len(sizes)) and not counts[:, 0].any()
    for column, size in enumerate(sizes[1:], start=1):
        values = counts[:, column]
        # bins with at least 5 expected draws; the two tails pooled into the end bins
        low, high = stats.poisson.ppf([0.001, 0.999], size).astype(int)
        edges = np.arange(low, high + 2)
        observed = np.histogram(np.clip(values, low, high), bins=edges)[0]
        expected = np.diff(stats.poisson.cdf(edges - 1, size))
        expected[0], expected[-1] = stats.poisson.cdf(low, size), stats.poisson.sf(high - 1, size)
        assert stats.chisquare(observed, expected * values.size / expected.sum()).pvalue > 1e-3, size
        assert values.mean() == pytest.approx(size, rel=5 * math.sqrt(1 / (size * values.size)))


def test_average_precision_bootstrap_is_reproducible_and_seeded(cohort: dict[str, np.ndarray],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    first = average_precision_bootstrap(cohort["new"], cohort["event"], replicates=300, seed=1)
    # the same figures in small chunks shared by threads, or in one thread: chunk i always draws from stream i
    monkeypatch.setattr(evidence, "_DRAWS_PER_CHUNK", 1 << 14)
    chunked = average_precision_bootstrap(cohort["new"], cohort["event"], replicates=300, seed=1)
    monkeypatch.setattr(evidence, "_THREADS", 1)
    assert average_precision_bootstrap(cohort["new"], cohort["event"], replicates=300, seed=1) == chunked
    monkeypatch.undo()
    again = average_precision_bootstrap(cohort["new"], cohort["event"], replicates=300, seed=1)
    other = average_precision_bootstrap(cohort["new"], cohort["event"], replicates=300, seed=2)
    assert first == again and first is not None and other is not None
    assert (first.lower, first.upper) != (other.lower, other.upper)
    assert (first.method, first.replicates, first.seed) == ("bootstrap-percentile-poisson", 300, 1)
    assert first.lower is not None and first.upper is not None and first.lower < first.value < first.upper


def test_average_precision_bootstrap_agrees_with_a_row_by_row_bootstrap(cohort: dict[str, np.ndarray]) -> None:
    """The same Poisson bootstrap done the plain way, a weight per row and sklearn per replicate: the intervals
    agree within Monte-Carlo error. 400 plain replicates: the 2.5% and 97.5% points of each side are off by about
    5% of the interval's width (one standard error), so 20% is four of those."""
    event, scores = cohort["event"], cohort["new"]
    ours = average_precision_bootstrap(scores, event, replicates=1000)
    rng = np.random.Generator(np.random.PCG64(11))
    plain = [average_precision_score(event, scores, sample_weight=rng.poisson(1.0, event.size)) for _ in range(400)]
    lower, upper = np.quantile(plain, [0.025, 0.975])
    assert ours is not None and ours.lower is not None and ours.upper is not None
    width = upper - lower
    assert ours.lower == pytest.approx(lower, abs=0.2 * width)
    assert ours.upper == pytest.approx(upper, abs=0.2 * width)


def test_average_precision_edge_cases() -> None:
    assert average_precision_bootstrap([0.1, 0.2], [0, 0]) is None
    assert average_precision_bootstrap([0.1, 0.2], [1, 1]) is None
    assert average_precision_bootstrap([0.3], [1]) is None
    tied = average_precision_bootstrap([0.5] * 8, [1, 0, 0, 0, 1, 0, 0, 0], replicates=200)
    assert tied is not None and tied.value == pytest.approx(0.25)  # one threshold: the prevalence
    one_event = average_precision_bootstrap([0.0, 1.0, 0.2], [0, 1, 0], replicates=200)  # redraws empty replicates
    assert one_event is not None and (one_event.value, one_event.lower, one_event.upper) == (1.0, 1.0, 1.0)


def test_brier_equals_sklearn(cohort: dict[str, np.ndarray]) -> None:
    risk = stats.norm.cdf(cohort["new"] - 2.5)
    assert brier(risk, cohort["event"]) == pytest.approx(brier_score_loss(cohort["event"], risk), rel=1e-12)
    assert brier([0.0, 1.0], [0, 1]) == 0.0
    assert brier([], []) is None


# --- Proportions ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("level", [0.95, 0.9])
def test_wilson_equals_statsmodels(level: float) -> None:
    cases = [(0, 1), (1, 1), (0, 10), (10, 10), (3, 7), (590, 990), (1, 31_630), (31_629, 31_630)]
    for k, n in cases:
        interval = wilson(k, n, level)
        assert interval == pytest.approx(proportion_confint(k, n, alpha=1 - level, method="wilson"), abs=1e-12)
    lower, upper = wilson_arrays([k for k, _ in cases] + [0], [n for _, n in cases] + [0], level)
    assert np.allclose(np.column_stack((lower, upper))[:-1], [wilson(k, n, level) for k, n in cases], atol=1e-12)
    assert np.isnan(lower[-1]) and np.isnan(upper[-1])
    assert wilson(0, 0) is None


def test_mcnemar_equals_statsmodels() -> None:
    for b, c in [(0, 1), (3, 9), (12, 12), (0, 24), (24, 0), (13, 11)]:  # fewer than 25 discordant: exact
        result = mcnemar(b, c)
        reference = sm_mcnemar([[0, b], [c, 0]], exact=True)
        assert result.method == "mcnemar-exact"
        assert (result.statistic, result.p_value) == pytest.approx((reference.statistic, reference.pvalue), rel=1e-12)
    for b, c in [(13, 12), (30, 10), (400, 460), (5, 95)]:  # 25 or more: chi-square, continuity-corrected
        result = mcnemar(b, c)
        reference = sm_mcnemar([[0, b], [c, 0]], exact=False, correction=True)
        assert result.method == "mcnemar-chi2-cc"
        assert (result.statistic, result.p_value) == pytest.approx((reference.statistic, reference.pvalue), rel=1e-12)
    # Equal counts: the correction stops at |b - c| = 0 (R's mcnemar.test); statsmodels would give (0 - 1)^2/(b + c)
    assert mcnemar(20, 20) == (0.0, 1.0, "mcnemar-chi2-cc")
    assert mcnemar(0, 0) == (None, 1.0, "mcnemar-exact")  # no discordant pairs


def fisher_reference(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher exact p from the hypergeometric probabilities of every table with these margins: the sum of
    those no more likely than the observed one (with R's relative tolerance of 1e-7)."""
    events = k1 + k2

    def probability(a: int) -> float:
        return math.comb(n1, a) * math.comb(n2, events - a) / math.comb(n1 + n2, events)

    observed = probability(k1)
    tables = range(max(0, events - n2), min(events, n1) + 1)
    return min(1.0, sum(p for p in map(probability, tables) if p <= observed * (1 + 1e-7)))


# --- Rates at the operating threshold, paired -------------------------------------------------------------------

@pytest.fixture(scope="module")
def alerts(cohort: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"new": cohort["new"] >= 1.6, "baseline": cohort["baseline"] >= 1.5, "event": cohort["event"]}


def test_paired_rate_differences_point_estimates_are_the_rates(alerts: dict[str, np.ndarray]) -> None:
    def confusion(alert: np.ndarray) -> Confusion:
        event = alerts["event"]
        return Confusion(tp=int((alert & event).sum()), fp=int((alert & ~event).sum()),
                         tn=int((~alert & ~event).sum()), fn=int((~alert & event).sum()))

    new, base = confusion(alerts["new"]).rates(), confusion(alerts["baseline"]).rates()
    result = paired_rate_differences(alerts["new"], alerts["baseline"], alerts["event"], span_days=180)
    assert set(result) == {"ppv", "sensitivity", "specificity", "alertsPerDay"}
    for name in ("ppv", "sensitivity", "specificity"):
        assert result[name].delta == pytest.approx((new[name] or 0) - (base[name] or 0), abs=1e-15)
    assert result["alertsPerDay"].delta == pytest.approx(
        (alerts["new"].sum() - alerts["baseline"].sum()) / 180, rel=1e-12)
    for difference in result.values():
        assert difference.method == "paired-bootstrap-percentile" and difference.replicates == 2000
        assert difference.lower is not None and difference.upper is not None
        assert difference.lower <= difference.delta <= difference.upper


def test_paired_bootstrap_width_matches_the_paired_standard_error(alerts: dict[str, np.ndarray]) -> None:
    """For a paired difference of proportions among n events with b and c discordant pairs, the standard error is
    sqrt(b + c - (b - c)^2 / n) / n. 2,000 replicates estimate the interval's width to ~3%; 10% allowed."""
    event = alerts["event"]
    new, base = alerts["new"][event], alerts["baseline"][event]
    b, c, n = int((new & ~base).sum()), int((~new & base).sum()), int(event.sum())
    se = math.sqrt(b + c - (b - c) ** 2 / n) / n
    sensitivity = paired_rate_differences(alerts["new"], alerts["baseline"], event, span_days=None)["sensitivity"]
    assert sensitivity.lower is not None and sensitivity.upper is not None
    assert (sensitivity.upper - sensitivity.lower) / (2 * Z95) == pytest.approx(se, rel=0.1)


def test_paired_threshold_tests_are_mcnemar_on_each_table(alerts: dict[str, np.ndarray]) -> None:
    new, base, event = alerts["new"], alerts["baseline"], alerts["event"]
    tests = paired_threshold_tests(new, base, event)

    def table(a: np.ndarray, b: np.ndarray) -> list[list[int]]:
        return [[int((a & b).sum()), int((a & ~b).sum())], [int((~a & b).sum()), int((~a & ~b).sum())]]

    tables = {"sensitivity": table(new[event], base[event]),
              "specificity": table(~new[~event], ~base[~event]),  # correct among non-events: no alert
              "alertsPerDay": table(new, base)}
    for name, counts in tables.items():
        discordant = counts[0][1] + counts[1][0]
        reference = sm_mcnemar(counts, exact=discordant < 25, correction=True)
        assert tests[name].p_value == pytest.approx(reference.pvalue, rel=1e-12), name
    differences = paired_rate_differences(new, base, event, span_days=180)
    assert differences["sensitivity"].p_value == tests["sensitivity"].p_value
    assert differences["sensitivity"].test == tests["sensitivity"].method
    assert differences["ppv"].p_value is None and differences["ppv"].test is None


def test_paired_rates_edge_cases(alerts: dict[str, np.ndarray]) -> None:
    event = alerts["event"]
    same = paired_rate_differences(alerts["new"], alerts["new"], event, span_days=30, replicates=200)
    for name, difference in same.items():
        assert (difference.delta, difference.lower, difference.upper) == (0.0, 0.0, 0.0)
        assert difference.p_value == (None if name == "ppv" else 1.0)  # McNemar: no discordant pairs
    silent = np.zeros(event.size, dtype=bool)
    none_alert = paired_rate_differences(silent, silent, event, span_days=None, replicates=200)
    assert "ppv" not in none_alert and "alertsPerDay" not in none_alert  # PPV undefined without alerts
    assert paired_threshold_tests(silent, silent, event)["sensitivity"] == (None, 1.0, "mcnemar-exact")
    # three alerts among eleven rows: many replicates have none, so PPV gets no interval
    thin = paired_rate_differences([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
                                   [1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0], span_days=1, replicates=500)
    assert thin["ppv"].delta == pytest.approx(2 / 3 - 1) and thin["ppv"].lower is None
    assert paired_rate_differences([], [], [], span_days=1) == {}

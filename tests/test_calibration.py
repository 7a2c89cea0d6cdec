"""The calibration methods of charter.evaluation.calibration, each against an independent computation: statsmodels'
GLM for the two logistic fits (Charter fits them with its own Newton-Raphson, for speed), a Poisson GLM for the
O/E interval, statsmodels' Wilson interval for the bins, and a quadratic-time local-linear smoother written here
for the calibration curve behind the ICI. Simulated risks with a known truth check that each figure finds it.

Tolerances: the GLM is fitted with tol=1e-13, so both fits agree to ~1e-9 relative (1e-7 allowed); the smoother
sums the same weighted terms in another order (1e-10).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.special import expit
from statsmodels.stats.proportion import proportion_confint

from charter.evaluation.calibration import (
    LOWESS_FRACTION,
    calibration_errors,
    calibration_intercept,
    calibration_slope,
    integrated_calibration_index,
    logit,
    observed_expected,
    reliability_bins,
    smoothed_observed_risk,
)

Z95 = 1.959963984540054
#: The truth of the simulation: logit P(event) = INTERCEPT + SLOPE * logit(predicted risk).
INTERCEPT, SLOPE = -0.3, 0.7


@pytest.fixture(scope="module")
def cohort() -> dict[str, np.ndarray]:
    """20,000 predicted risks around 6%, and outcomes drawn from a known miscalibration of them."""
    rng = np.random.Generator(np.random.PCG64(20261115))
    risk = expit(rng.normal(-3.0, 1.1, 20_000))
    event = rng.random(risk.size) < expit(INTERCEPT + SLOPE * logit(risk))
    calibrated = rng.random(risk.size) < risk
    return {"risk": risk, "event": event, "calibrated": calibrated}


def glm(event: np.ndarray, risk: np.ndarray, with_slope: bool) -> sm.regression.linear_model.RegressionResults:
    offset_or_column = logit(risk)
    if with_slope:
        model = sm.GLM(event.astype(float), sm.add_constant(offset_or_column), family=sm.families.Binomial())
    else:
        model = sm.GLM(event.astype(float), np.ones((risk.size, 1)), family=sm.families.Binomial(),
                       offset=offset_or_column)
    return model.fit(tol=1e-13)


def test_calibration_intercept_equals_the_glm_with_an_offset(cohort: dict[str, np.ndarray]) -> None:
    estimate = calibration_intercept(cohort["risk"], cohort["event"])
    reference = glm(cohort["event"], cohort["risk"], with_slope=False)
    assert estimate is not None and estimate.method == "logistic-offset-wald"
    assert estimate.value == pytest.approx(reference.params[0], rel=1e-7)
    assert (estimate.lower, estimate.upper) == pytest.approx(
        (reference.params[0] - Z95 * reference.bse[0], reference.params[0] + Z95 * reference.bse[0]), rel=1e-7)


def test_calibration_slope_equals_the_glm(cohort: dict[str, np.ndarray]) -> None:
    estimate = calibration_slope(cohort["risk"], cohort["event"])
    reference = glm(cohort["event"], cohort["risk"], with_slope=True)
    assert estimate is not None and estimate.method == "logistic-wald"
    assert estimate.value == pytest.approx(reference.params[1], rel=1e-7)
    assert (estimate.lower, estimate.upper) == pytest.approx(
        (reference.params[1] - Z95 * reference.bse[1], reference.params[1] + Z95 * reference.bse[1]), rel=1e-7)
    assert estimate.lower is not None and estimate.upper is not None
    assert estimate.lower < SLOPE < estimate.upper


def test_well_calibrated_risks_look_calibrated(cohort: dict[str, np.ndarray]) -> None:
    risk, event = cohort["risk"], cohort["calibrated"]
    intercept, slope = calibration_intercept(risk, event), calibration_slope(risk, event)
    ratio = observed_expected(risk, event)
    assert intercept is not None and slope is not None and ratio is not None
    assert (intercept.lower or 0) < 0 < (intercept.upper or 0)
    assert (slope.lower or 0) < 1 < (slope.upper or 0)
    assert (ratio.lower or 0) < 1 < (ratio.upper or 0)
    ici = integrated_calibration_index(risk, event)
    assert ici is not None and ici < 0.005


@pytest.mark.filterwarnings("ignore:invalid value encountered in scalar divide:RuntimeWarning")  # GLM: 0 df
def test_observed_expected_interval_is_the_poisson_glm_s(cohort: dict[str, np.ndarray]) -> None:
    """O ~ Poisson(E * ratio): a one-observation Poisson GLM with offset log E has log(O/E) as its intercept and
    1/sqrt(O) as its standard error, the interval used."""
    risk, event = cohort["risk"], cohort["event"]
    ratio = observed_expected(risk, event)
    observed, expected = event.sum(), risk.sum()
    reference = sm.GLM([observed], [[1.0]], family=sm.families.Poisson(), offset=[math.log(expected)]).fit()
    assert ratio is not None and ratio.method == "oe-poisson-log"
    assert ratio.value == pytest.approx(observed / expected, rel=1e-12)
    log_ratio, se = reference.params[0], reference.bse[0]
    assert (ratio.lower, ratio.upper) == pytest.approx(
        (math.exp(log_ratio - Z95 * se), math.exp(log_ratio + Z95 * se)), rel=1e-9)


def test_calibration_edge_cases() -> None:
    for labels in ([0, 0, 0], [1, 1, 1]):  # one class only
        assert calibration_intercept([0.1, 0.2, 0.3], labels) is None
        assert calibration_slope([0.1, 0.2, 0.3], labels) is None
    # the score separates the outcomes perfectly: the slope runs off to infinity, the fit does not converge
    assert calibration_slope([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0, 0, 0, 1, 1, 1]) is None
    none_observed = observed_expected([0.1, 0.2], [0, 0])
    assert none_observed is not None and (none_observed.value, none_observed.lower) == (0.0, None)
    assert observed_expected([0.0, 0.0], [1, 0]) is None  # nothing expected
    assert observed_expected([], []) is None


def test_scores_of_exactly_0_and_1_are_clipped_before_the_logit() -> None:
    rng = np.random.Generator(np.random.PCG64(2))
    risk = np.concatenate((rng.uniform(0.01, 0.99, 400), [0.0, 0.0, 1.0, 1.0]))
    event = np.concatenate((rng.random(400) < risk[:400], [False, True, True, False]))
    assert np.isfinite(logit(np.array([0.0, 1.0]))).all()
    for fit, with_slope in ((calibration_intercept, False), (calibration_slope, True)):
        estimate = fit(risk, event)
        reference = glm(event, np.clip(risk, 1e-12, 1 - 1e-12), with_slope)
        assert estimate is not None
        assert estimate.value == pytest.approx(reference.params[-1], rel=1e-7)


def test_reliability_bins_are_equal_count_with_wilson_intervals(cohort: dict[str, np.ndarray]) -> None:
    risk, event = cohort["risk"], cohort["event"]
    bins = reliability_bins(risk, event)
    order = np.argsort(risk)
    assert [b.n for b in bins] == [2000] * 10
    for band, rows in zip(bins, np.array_split(order, 10), strict=True):
        assert (band.lower, band.upper) == (risk[rows].min(), risk[rows].max())
        assert band.events == event[rows].sum() and band.observed == event[rows].mean()
        assert band.mean_predicted == pytest.approx(risk[rows].mean(), rel=1e-12)
        assert (band.observed_lower, band.observed_upper) == pytest.approx(
            proportion_confint(band.events, band.n, method="wilson"), abs=1e-12)
    assert sum(b.n for b in reliability_bins(risk, event, bins=7)) == risk.size


def test_reliability_bins_never_split_a_tied_score() -> None:
    risk = np.repeat([0.05, 0.1, 0.2, 0.6], [700, 150, 100, 50])  # 70% of rows share one score
    event = np.arange(risk.size) % 9 == 0
    bins = reliability_bins(risk, event)
    # deciles would cut at rows 100, 200, ... 900: those inside 0.05 merge into its one bin, 800 moves to the end of
    # 0.1 (nearer), 900 to the start of 0.2 (as near as its end), and no cut is left between 0.2 and 0.6
    assert [(b.lower, b.upper) for b in bins] == [(0.05, 0.05), (0.1, 0.1), (0.2, 0.6)]
    assert [b.n for b in bins] == [700, 150, 150]
    assert bins[2].events == event[850:].sum()
    assert reliability_bins([0.3] * 5, [0, 1, 0, 0, 1], bins=3)[0].n == 5
    assert reliability_bins([], []) == []
    one = reliability_bins(risk, event, bins=1)
    assert len(one) == 1 and one[0].n == risk.size


def lowess_reference(x: np.ndarray, y: np.ndarray, fraction: float) -> np.ndarray:
    """Local linear regression at every x, each over its k = fraction * n nearest neighbours, weighted by the
    tricube (1 - (d/h)^3)^3 with h the distance to the k-th nearest (Cleveland 1979), without robustness steps."""
    k = int(fraction * x.size + 1e-10)
    fitted = np.empty(x.size)
    for i, x0 in enumerate(x):
        distance = np.abs(x - x0)
        h = np.sort(distance)[k - 1]
        weight = np.where(distance < h, (1 - (distance / h) ** 3) ** 3, 0.0)
        weight /= weight.sum()
        centre = weight @ x
        spread = weight @ (x - centre) ** 2
        fitted[i] = weight @ y + (x0 - centre) * (weight @ ((x - centre) * y)) / spread
    return fitted


def test_the_calibration_curve_is_a_local_linear_tricube_smoother(cohort: dict[str, np.ndarray]) -> None:
    risk, event = cohort["risk"][:800], cohort["event"][:800]
    expected = lowess_reference(risk, event.astype(float), LOWESS_FRACTION)
    assert smoothed_observed_risk(risk, event, delta=0.0) == pytest.approx(expected, rel=1e-10, abs=1e-13)


def test_ici_knows_the_miscalibration_it_was_given(cohort: dict[str, np.ndarray]) -> None:
    """With the truth known, the mean |predicted - true risk| is what the ICI estimates; lowess over 75% of the
    rows smooths a little, so 0.005 on a truth of ~0.02 is allowed. The spacing of the fitted points (delta)
    moves the ICI by less than 1e-4 here."""
    risk, event = cohort["risk"], cohort["event"]
    truth = np.abs(expit(INTERCEPT + SLOPE * logit(risk)) - risk).mean()
    errors = calibration_errors(risk, event)
    assert errors is not None and errors.method == "ici-lowess"
    assert errors.ici == pytest.approx(truth, abs=0.005)
    assert errors.e50 <= errors.e90 <= errors.emax
    first = slice(0, 5000)
    every_point = np.abs(smoothed_observed_risk(risk[first], event[first], delta=0.0) - risk[first]).mean()
    assert integrated_calibration_index(risk[first], event[first]) == pytest.approx(every_point, abs=1e-4)
    assert calibration_errors([0.5], [1]) is None

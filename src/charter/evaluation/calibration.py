"""Calibration: do the predicted risks match the observed event rates? Overall (observed/expected and the
calibration intercept), in spread (the calibration slope), by risk band (reliability bins) and along the whole
range (the integrated calibration index). Methods are named as recorded and explained in docs/statistics.md.

The two logistic fits are Newton-Raphson written here rather than statsmodels' GLM: at a million rows the GLM
takes 1.5-2 CPU seconds a fit, this a quarter of that; tests/test_calibration.py checks both against the GLM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import expit
from statsmodels.nonparametric.smoothers_lowess import lowess

from charter.evaluation.statistics import Estimate, Floats, scores_and_events, wilson_arrays, z_value

#: Scores of exactly 0 or 1 have no logit; they are moved this far inside (0, 1) first.
RISK_CLIP = 1e-12
#: Newton-Raphson stops when no coefficient moves by more than this (relative to 1 + its size) ...
_TOLERANCE = 1e-10
#: ... and gives up (the fit does not converge: outcomes separated by the score) after this many steps.
_MAX_STEPS = 100
#: The calibration curve: lowess of outcome on predicted risk over 75% of the rows around each point (the span
#: of R's loess, used by Austin & Steyerberg), without robustness iterations (they would discount the events),
#: fitted at points 1% of the risk range apart and interpolated between them (statsmodels' `delta`).
LOWESS_FRACTION = 0.75
LOWESS_ITERATIONS = 0
LOWESS_DELTA = 0.01


def logit(scores: Floats) -> Floats:
    """log(p / (1 - p)) of each score, scores first clipped to [1e-12, 1 - 1e-12]."""
    risk = np.clip(scores, RISK_CLIP, 1.0 - RISK_CLIP)
    result: Floats = np.log(risk) - np.log1p(-risk)
    return result


def observed_expected(scores: npt.ArrayLike, labels: npt.ArrayLike, level: float = 0.95) -> Estimate | None:
    """O/E, events observed over events expected (the sum of predicted risks), with the interval
    exp(log(O/E) +- z / sqrt(O)) (O taken as Poisson). No interval without events; None without expected events."""
    z = z_value(level)
    score, event = scores_and_events(scores, labels)
    observed, expected = int(event.sum()), float(score.sum())
    if expected <= 0.0:
        return None
    ratio = observed / expected
    if observed == 0:
        return Estimate(ratio, None, None, level, "oe-poisson-log")
    half = z / math.sqrt(observed)
    return Estimate(ratio, ratio * math.exp(-half), ratio * math.exp(half), level, "oe-poisson-log")


def _newton(event: npt.NDArray[np.bool_], x: Floats, with_slope: bool) -> tuple[Floats, Floats] | None:
    """Maximum likelihood of the logistic model logit P(event) = a + b*x (with_slope) or a + x (x as offset):
    the coefficients and their covariance (the inverse information), or None when it does not converge."""
    beta = np.array([0.0, 1.0]) if with_slope else np.array([0.0])  # start at perfect calibration

    def linear(coefficients: Floats) -> Floats:
        result: Floats = coefficients[0] + coefficients[1] * x if with_slope else coefficients[0] + x
        return result

    def log_likelihood(eta: Floats) -> float:
        return float(np.sum(eta[event]) - np.sum(np.logaddexp(0.0, eta)))

    def score_and_information(eta: Floats) -> tuple[Floats, Floats]:
        mu = expit(eta)
        residual = event - mu
        weight = mu * (1.0 - mu)
        if not with_slope:
            return np.array([residual.sum()]), np.array([[weight.sum()]])
        wx = weight * x
        information = np.array([[weight.sum(), wx.sum()], [wx.sum(), wx @ x]])
        return np.array([residual.sum(), residual @ x]), information

    eta = linear(beta)
    current = log_likelihood(eta)
    for _ in range(_MAX_STEPS):
        gradient, information = score_and_information(eta)
        try:
            step = np.linalg.solve(information, gradient)
        except np.linalg.LinAlgError:
            return None
        for _ in range(40):  # halve a step that lowers the likelihood (the likelihood is concave: one exists)
            candidate = beta + step
            eta_candidate = linear(candidate)
            value = log_likelihood(eta_candidate)
            if value >= current - 1e-12 * abs(current):
                break
            step = step / 2
        beta, eta, current = candidate, eta_candidate, value
        if not np.all(np.isfinite(beta)):
            return None
        if np.all(np.abs(step) <= _TOLERANCE * (1.0 + np.abs(beta))):
            _, information = score_and_information(eta)
            try:
                covariance = np.asarray(np.linalg.inv(information), dtype=np.float64)
            except np.linalg.LinAlgError:
                return None
            return beta, covariance
    return None


def _wald(value: float, variance: float, level: float, method: str) -> Estimate:
    half = z_value(level) * math.sqrt(variance)
    return Estimate(value, value - half, value + half, level, method)


def calibration_intercept(scores: npt.ArrayLike, labels: npt.ArrayLike, level: float = 0.95) -> Estimate | None:
    """Calibration-in-the-large: a in logit P(event) = a + logit(score) (logit(score) an offset), with its Wald
    interval. 0 when risks are right on average; above 0 when they are too low. None with one class only or when
    the fit does not converge."""
    z_value(level)
    score, event = scores_and_events(scores, labels)
    if event.all() or not event.any():
        return None
    fit = _newton(event, logit(score), with_slope=False)
    if fit is None:
        return None
    return _wald(float(fit[0][0]), float(fit[1][0, 0]), level, "logistic-offset-wald")


def calibration_slope(scores: npt.ArrayLike, labels: npt.ArrayLike, level: float = 0.95) -> Estimate | None:
    """Calibration slope: b in logit P(event) = a + b * logit(score), with its Wald interval. 1 when risks spread as
    far as they should; below 1 when they are too extreme (overfitting). None with one class only or when the fit
    does not converge (outcomes perfectly separated by the score)."""
    z_value(level)
    score, event = scores_and_events(scores, labels)
    if event.all() or not event.any():
        return None
    fit = _newton(event, logit(score), with_slope=True)
    if fit is None:
        return None
    return _wald(float(fit[0][1]), float(fit[1][1, 1]), level, "logistic-wald")


@dataclass(frozen=True)
class ReliabilityBin:
    """One band of predicted risk: its rows' lowest and highest score, counts, mean predicted risk, and the observed
    event rate with its Wilson interval."""

    lower: float
    upper: float
    n: int
    events: int
    mean_predicted: float
    observed: float
    observed_lower: float
    observed_upper: float


def reliability_bins(scores: npt.ArrayLike, labels: npt.ArrayLike, bins: int = 10, level: float = 0.95,
                     order: npt.NDArray[np.int64] | None = None) -> list[ReliabilityBin]:
    """Equal-count bins of predicted risk (deciles by default). Rows with one score stay in one bin: a cut that
    would split them moves to the nearer end of the tie, and cuts that meet merge, so heavy ties give fewer bins.
    `order`: the rows in ascending order of score, ties in row order, when already known (`Ranking.order`)."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, not {bins}")
    score, event = scores_and_events(scores, labels)
    size = score.size
    if not size:
        return []
    if order is None:
        order = np.argsort(score, kind="stable")
    ascending, sorted_event = score[order], event[order]
    nominal = np.round(np.arange(1, bins) * size / bins).astype(np.int64)
    nominal = nominal[(nominal > 0) & (nominal < size)]
    tie_start = np.searchsorted(ascending, ascending[nominal], side="left")
    tie_end = np.searchsorted(ascending, ascending[nominal], side="right")
    cuts = np.where(nominal - tie_start <= tie_end - nominal, tie_start, tie_end)
    starts = np.unique(np.concatenate(([0], cuts[(cuts > 0) & (cuts < size)])))
    counts = np.diff(np.append(starts, size))
    events = np.add.reduceat(sorted_event.astype(np.int64), starts)
    means = np.add.reduceat(ascending, starts) / counts
    lows, highs = wilson_arrays(events, counts, level)
    return [ReliabilityBin(lower=float(ascending[start]), upper=float(ascending[start + count - 1]), n=int(count),
                           events=int(k), mean_predicted=float(mean), observed=float(k / count),
                           observed_lower=float(low), observed_upper=float(high))
            for start, count, k, mean, low, high in zip(starts, counts, events, means, lows, highs, strict=True)]


@dataclass(frozen=True)
class CalibrationErrors:
    """The absolute difference between predicted risk and the smoothed observed risk, over the rows: its mean (ICI),
    median (E50), 90th percentile (E90) and maximum (Emax)."""

    ici: float
    e50: float
    e90: float
    emax: float
    method: str = "ici-lowess"


def smoothed_observed_risk(scores: Floats, labels: npt.NDArray[np.bool_], delta: float = LOWESS_DELTA) -> Floats:
    """The calibration curve at each row: lowess of outcome on predicted risk (in row order); `delta` is the
    spacing of the points where it is fitted, as a share of the risk range (0: at every row)."""
    spread = float(scores.max() - scores.min()) if scores.size else 0.0
    fitted: Floats = lowess(labels.astype(np.float64), scores, frac=LOWESS_FRACTION, it=LOWESS_ITERATIONS,
                            delta=delta * spread, return_sorted=False)
    return fitted


def calibration_errors(scores: npt.ArrayLike, labels: npt.ArrayLike) -> CalibrationErrors | None:
    """ICI, E50, E90 and Emax (Austin & Steyerberg 2019); None without rows or when the curve cannot be fitted."""
    score, event = scores_and_events(scores, labels)
    if score.size < 2:
        return None
    error = np.abs(smoothed_observed_risk(score, event) - score)
    if not np.all(np.isfinite(error)):
        return None
    e50, e90 = np.quantile(error, [0.5, 0.9])
    return CalibrationErrors(ici=float(error.mean()), e50=float(e50), e90=float(e90), emax=float(error.max()))


def integrated_calibration_index(scores: npt.ArrayLike, labels: npt.ArrayLike) -> float | None:
    """ICI: the mean absolute difference between predicted risk and the lowess-smoothed observed risk."""
    errors = calibration_errors(scores, labels)
    return None if errors is None else errors.ici

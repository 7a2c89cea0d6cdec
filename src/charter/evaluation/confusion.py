"""Confusion counts at one threshold and the rates a reviewer reads from them, with Wilson score intervals.

Wilson rather than the normal approximation because alerting models live at the extremes (PPV of a rare event,
specificity near 1) where the normal interval leaves [0, 1] and is too narrow for small counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: z for a two-sided 95% interval.
Z95 = 1.959963984540054
CI_LEVEL = 0.95
RATE_DIGITS = 6
ALERT_DIGITS = 3
#: Significant digits a threshold is compared and written at: 0.30000000000000004 (0.1 + 0.2) is the threshold 0.3.
THRESHOLD_DIGITS = 12


def canonical_threshold(x: float) -> float:
    """The threshold `x` rounded to 12 significant digits, the form in which thresholds are matched and written.

    Scores computed in floating point name a threshold as 0.30000000000000004 as often as 0.3; the two must be one
    row of a threshold table, one operating threshold and one point of a comparison.
    """
    if math.isnan(x):
        raise ValueError("a threshold cannot be NaN")
    return float(f"{x:.{THRESHOLD_DIGITS}g}")


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of successes/trials; None when there are no trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Confusion:
    """True/false positives/negatives at one threshold: an alert is a score at or above the threshold."""

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def alerts(self) -> int:
        return self.tp + self.fp

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    def fractions(self) -> dict[str, tuple[int, int]]:
        """Each rate as (numerator, denominator) of the counts."""
        return {
            "alertRate": (self.alerts, self.total),
            "sensitivity": (self.tp, self.positives),
            "ppv": (self.tp, self.alerts),
            "specificity": (self.tn, self.fp + self.tn),
            "npv": (self.tn, self.tn + self.fn),
        }

    def rates(self) -> dict[str, float | None]:
        """Every rate, None where its denominator is zero (no alerts: PPV is undefined)."""
        return {name: (num / den if den else None) for name, (num, den) in self.fractions().items()}

    def undefined(self) -> list[str]:
        return [name for name, value in self.rates().items() if value is None]


def threshold_row(threshold: float, counts: Confusion, days: float | None) -> dict[str, Any]:
    """One row of an Evaluation's threshold table (schema `thresholdRow`) computed from the counts."""
    rates = counts.rates()
    row: dict[str, Any] = {"threshold": threshold}
    if days is not None:
        row["alertsPerDay"] = round(counts.alerts / days, ALERT_DIGITS)
    for name in ("alertRate", "sensitivity", "ppv", "specificity", "npv"):
        value = rates[name]
        if value is not None:
            row[name] = round(value, RATE_DIGITS)
    row.update({"tp": counts.tp, "fp": counts.fp, "tn": counts.tn, "fn": counts.fn})
    intervals: dict[str, Any] = {"level": CI_LEVEL}
    for name, (num, den) in counts.fractions().items():
        bounds = wilson(num, den)
        if bounds is not None:
            intervals[name] = {"lower": round(bounds[0], RATE_DIGITS), "upper": round(bounds[1], RATE_DIGITS)}
    row["intervals"] = intervals
    return row


def estimate(counts: Confusion, name: str) -> dict[str, Any] | None:
    """A rate as a metric estimate (schema `metricEstimate`) with its Wilson interval."""
    num, den = counts.fractions()[name]
    bounds = wilson(num, den)
    if bounds is None:
        return None
    return {"value": round(num / den, RATE_DIGITS), "ciLower": round(bounds[0], RATE_DIGITS),
            "ciUpper": round(bounds[1], RATE_DIGITS), "ciLevel": CI_LEVEL, "method": "wilson"}


def agrees(stated: float, computed: float, *, min_decimals: int = 0) -> bool:
    """True if `stated` is `computed` rounded to the decimals written (at least `min_decimals`), or within 0.5%.

    A float does not remember trailing zeros (0.70 reads as 0.7), so rates are taken to two decimals at least.
    """
    text = repr(float(stated))
    if "e" in text:
        mantissa, exponent = text.split("e")
        decimals = len(mantissa.partition(".")[2].rstrip("0")) - int(exponent)
    else:
        decimals = len(text.partition(".")[2].rstrip("0"))
    difference = abs(stated - computed)
    return difference <= 0.5 * 10.0 ** -max(decimals, min_decimals) + 1e-12 or difference <= 0.005 * abs(computed)

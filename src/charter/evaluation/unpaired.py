"""The difference between two estimates from independent samples: its confidence interval, p-value and test.

Two evaluations are compared as two samples (unpaired) unless both were scored on the same rows; paired
statistics need the rows themselves (see `charter.evaluation.comparability`, `paired`). Pure Python on purpose:
`evaluate compare`, `promote` and `gate` read registries and must stay free of numpy and scipy.

- A rate with its counts on both sides (sensitivity 566/1490 against 590/1490): `rate_difference`, with Newcombe's
  hybrid score interval (Newcombe 1998, method 10: the Wilson score interval of each rate, combined) and the
  two-sided z-test with the pooled proportion. Newcombe's interval keeps its coverage for small counts and rates
  near 0 or 1 where the Wald interval of a difference does not; the pooled z-test is the score test of "no
  difference" (the same as the chi-squared test of the 2x2 table without continuity correction).
- An estimate that comes only with its interval (an AUROC from a bootstrap): `estimate_difference`, the normal
  approximation of Altman & Bland (BMJ 2003;326:219): each interval gives a standard error, the difference's is
  the root of the sum of their squares. It ignores the correlation two models have on one cohort, which makes it
  conservative (too wide) for evaluations scored on the same units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from charter.evaluation.confusion import wilson

#: Interval of a difference of two rates from counts: Newcombe (1998) method 10, the hybrid score interval.
NEWCOMBE = "newcombe-hybrid-score"
#: Two-sided z-test of no difference with the pooled proportion.
POOLED_Z = "z-test-pooled"
#: Interval and test of a difference of two estimates from their intervals (normal approximation).
FROM_INTERVALS = "normal-from-intervals"
Z_TEST = "z-test"

#: The names people read for each method and test.
LABELS = {NEWCOMBE: "Newcombe hybrid score interval", POOLED_Z: "two-sided pooled z-test",
          FROM_INTERVALS: "normal approximation from the two intervals", Z_TEST: "two-sided z-test"}


@dataclass(frozen=True, slots=True)
class RateDifference:
    """`delta` = first minus second, its interval at `level`, and the p-value of no difference.

    `method` names how the interval was computed, `test` how the p-value was; `statistic` is the test's z, whose
    size says how far the difference is beyond its noise (what subgroups are ranked by).
    """

    delta: float
    lower: float
    upper: float
    p_value: float
    statistic: float
    level: float = 0.95
    method: str = NEWCOMBE
    test: str = POOLED_Z

    def to_dict(self) -> dict[str, Any]:
        return {"delta": self.delta, "lower": self.lower, "upper": self.upper, "level": self.level,
                "pValue": self.p_value, "z": self.statistic, "method": self.method, "test": self.test}


def z_for(level: float) -> float:
    """z of a two-sided interval at `level` (1.959963984540054 for 0.95)."""
    if not 0 < level < 1:
        raise ValueError(f"level {level} is not between 0 and 1")
    return NormalDist().inv_cdf(0.5 + level / 2)


def two_sided_p(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z; erfc keeps small p-values exact where 1 - cdf would round to 0."""
    return math.erfc(abs(z) / math.sqrt(2))


def rate_difference(k1: int, n1: int, k2: int, n2: int, level: float = 0.95) -> RateDifference:
    """k1/n1 - k2/n2 for two independent samples: Newcombe's hybrid score interval and the pooled z-test."""
    if n1 <= 0 or n2 <= 0 or not 0 <= k1 <= n1 or not 0 <= k2 <= n2:
        raise ValueError(f"not two proportions: {k1}/{n1}, {k2}/{n2}")
    z = z_for(level)
    p1, p2 = k1 / n1, k2 / n2
    low1, high1 = wilson(k1, n1, z) or (0.0, 1.0)
    low2, high2 = wilson(k2, n2, z) or (0.0, 1.0)
    delta = p1 - p2
    lower = delta - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    upper = delta + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    statistic = delta / se if se > 0 else 0.0  # pooled 0 or 1: both rates are equal, there is no difference
    return RateDifference(delta, lower, upper, two_sided_p(statistic), statistic, level)


def estimate_difference(value1: float, interval1: tuple[float, float], value2: float,
                        interval2: tuple[float, float], *, level1: float = 0.95, level2: float = 0.95,
                        level: float = 0.95) -> RateDifference | None:
    """value1 - value2 from two independent estimates and their intervals (None when an interval is empty)."""
    se1 = (interval1[1] - interval1[0]) / (2 * z_for(level1))
    se2 = (interval2[1] - interval2[0]) / (2 * z_for(level2))
    se = math.sqrt(se1 * se1 + se2 * se2)
    if not se > 0:
        return None
    delta = value1 - value2
    half = z_for(level) * se
    statistic = delta / se
    return RateDifference(delta, delta - half, delta + half, two_sided_p(statistic), statistic, level,
                          FROM_INTERVALS, Z_TEST)

"""The exact (Garwood) confidence interval of a Poisson count, in pure Python.

A monitoring report counts alerts over a period; the count is Poisson if alerts arrive independently at a steady
rate. Garwood's interval is the exact one: its lower bound is the rate under which a count this high or higher has
probability alpha/2, its upper bound the rate under which a count this low or lower has. Through the link between
the Poisson and gamma distributions (P(X >= k | mu) = P(k, mu), the regularized lower incomplete gamma function)
the bounds are gamma quantiles: lower = G^-1(alpha/2; k), upper = G^-1(1 - alpha/2; k + 1), i.e. half the
chi-square quantiles with 2k and 2k + 2 degrees of freedom.

No SciPy: `status` imports this and must stay light. The incomplete gamma function is its series below a + 1 and
its continued fraction above (as in Numerical Recipes), the quantile Newton's method from the Wilson-Hilferty
approximation, kept inside a bisection bracket (above a million, Wilson-Hilferty alone). Agrees with SciPy's
chi-square quantiles to 1e-10 (tests).
"""

from __future__ import annotations

import math

#: Two-sided level of every interval Charter computes.
LEVEL = 0.95
#: Above this shape, Wilson-Hilferty is the quantile (relative error under 1e-10).
LARGE = 1e6
_TINY = 1e-300
_EPS = 1e-15


def _iterations(a: float) -> int:
    """Enough terms for the series and the continued fraction: both need a few multiples of sqrt(a) near x = a."""
    return 1000 + 20 * int(math.sqrt(a))


def gamma_p(a: float, x: float) -> float:
    """The regularized lower incomplete gamma function P(a, x) = gamma(a, x) / Gamma(a), for a > 0."""
    if a <= 0:
        raise ValueError("a must be positive")
    if x <= 0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:  # series: sum over n of x^n / (a (a+1) ... (a+n))
        term = total = 1.0 / a
        denominator = a
        for _ in range(_iterations(a)):
            denominator += 1
            term *= x / denominator
            total += term
            if term < total * _EPS:
                break
        return min(1.0, total * math.exp(log_front))
    # continued fraction for Q(a, x) = 1 - P(a, x), by the modified Lentz method
    b = x + 1 - a
    c = 1 / _TINY
    d = 1 / b
    h = d
    for i in range(1, _iterations(a)):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = d if abs(d) >= _TINY else _TINY
        c = b + an / c
        c = c if abs(c) >= _TINY else _TINY
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    return max(0.0, 1.0 - math.exp(log_front) * h)


def _normal_quantile(q: float) -> float:
    """The standard normal q-quantile by bisection on erf: only a starting point, and `statistics` is not cheap."""
    lo, hi = -40.0, 40.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def gamma_quantile(q: float, a: float) -> float:
    """The x with P(a, x) = q: the q-quantile of the gamma distribution with shape a and scale 1."""
    if not 0 < q < 1:
        raise ValueError("q must lie strictly between 0 and 1")
    # start from Wilson-Hilferty: the cube root of a gamma variable is nearly normal
    z = _normal_quantile(q)
    x = a * (1 - 1 / (9 * a) + z / (3 * math.sqrt(a))) ** 3
    if a > LARGE:  # within 1e-10 of the exact quantile there, and the series would take sqrt(a) terms
        return x
    # bracket: P(a, lo) <= q <= P(a, hi)
    lo, hi = 0.0, a + 10 * math.sqrt(a) + 50
    while gamma_p(a, hi) < q:
        lo, hi = hi, 2 * hi
    if not lo < x < hi:
        x = (lo + hi) / 2
    for _ in range(200):
        p = gamma_p(a, x)
        if p < q:
            lo = x
        else:
            hi = x
        density = math.exp((a - 1) * math.log(x) - x - math.lgamma(a)) if x > 0 else 0.0
        step = (p - q) / density if density > 0 else math.inf
        candidate = x - step
        if not lo < candidate < hi:  # Newton left the bracket: bisect instead
            candidate = (lo + hi) / 2
        if abs(candidate - x) <= 1e-13 * max(1.0, x) or hi - lo <= 1e-13 * max(1.0, hi):
            return candidate
        x = candidate
    return x


def poisson_interval(count: int, level: float = LEVEL) -> tuple[float, float]:
    """Garwood's exact two-sided interval of a Poisson mean, given one observed `count` (0 or more)."""
    if count < 0:
        raise ValueError("a count is 0 or more")
    alpha = 1 - level
    lower = 0.0 if count == 0 else gamma_quantile(alpha / 2, count)
    upper = gamma_quantile(1 - alpha / 2, count + 1)
    return lower, upper

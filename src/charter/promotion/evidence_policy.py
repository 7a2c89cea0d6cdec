"""The policy's statistical requirements: verified evidence, non-inferiority, calibration, subgroups.

Each requirement reads what the evaluation records (docs/policy.md says what each means in plain words) and becomes
a `Check` whose detail carries the numbers, so the pull request shows why it passed or failed:

- `requireVerifiedEvidence`: the evaluation was computed from predictions, and recomputing it from the pinned rows
  gives every figure it states (`verify`, injected: the recomputation needs the numerics and DVC).
- `nonInferiority: {auroc: 0.01}`: against the version assigned now, on the same rows (a paired comparison), the
  lower bound of the difference's interval lies above -0.01: the candidate is at worst 0.01 worse, with the
  confidence the interval has. Point estimates alone never pass it.
- `calibration: {slope: {min: 0.8, max: 1.2}, ...}`: slope, intercept and observed/expected within their bounds.
- `subgroupFloors: {auroc: 0.7}`: every subgroup's metric at least the floor; a small subgroup (`smallSample`) fails
  only when even its interval's upper bound is below the floor, since its point estimate alone says little.
- `maxSubgroupDrop: {auroc: 0.05}`: no subgroup's paired difference is a significant drop (interval entirely below
  zero) larger than the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from charter.promotion.check import Check
from charter.registry.documents import Document
from charter.registry.fields import value_at

#: Figures a non-inferiority margin can name, and where a paired comparison keeps their difference.
COMPARED: dict[str, tuple[str, ...]] = {
    "auroc": ("comparison", "auroc"),
    "sensitivity": ("comparison", "atOperatingThreshold", "sensitivity"),
    "specificity": ("comparison", "atOperatingThreshold", "specificity"),
    "ppv": ("comparison", "atOperatingThreshold", "ppv"),
}
CALIBRATION = ("slope", "intercept", "observedExpected")

#: Recomputes an evaluation from its pinned rows: the messages of every figure that differs (empty: verified).
Verifier = Callable[[Document], list[str]]


def evidence_checks(rules: dict[str, Any], evaluation: Document, current: str | None,
                    verify: Verifier | None) -> list[Check]:
    """The checks of the statistical requirements `rules` (one environment's policy) names."""
    checks: list[Check] = []
    if rules.get("requireVerifiedEvidence"):
        checks.append(_verified(evaluation, verify))
    margins = rules.get("nonInferiority")
    for metric, margin in (margins.items() if isinstance(margins, dict) else []):
        checks.append(_non_inferior(evaluation, current, metric, float(margin)))
    bounds = rules.get("calibration")
    for name, limits in (bounds.items() if isinstance(bounds, dict) else []):
        checks.append(_calibrated(evaluation, name, limits))
    floors = rules.get("subgroupFloors")
    for metric, floor in (floors.items() if isinstance(floors, dict) else []):
        checks.append(_subgroup_floor(evaluation, metric, float(floor)))
    drops = rules.get("maxSubgroupDrop")
    for metric, limit in (drops.items() if isinstance(drops, dict) else []):
        checks.append(_subgroup_drop(evaluation, current, metric, float(limit)))
    return checks


def _verified(evaluation: Document, verify: Verifier | None) -> Check:
    name = "evidence verified"
    if value_at(evaluation.spec, ("evidence", "source")) != "predictions":
        return Check(name, False, f"{evaluation.ref} was recorded from counts: record it from predictions "
                                  "(charter evaluate record --predictions) so its figures can be recomputed")
    if verify is None:
        return Check(name, False, "the evidence was not recomputed here: run charter gate, or charter evaluate "
                                  f"verify {evaluation.ref}")
    differences = verify(evaluation)
    if differences:
        more = f" (and {len(differences) - 1} more)" if len(differences) > 1 else ""
        return Check(name, False, f"{evaluation.ref}: {differences[0]}{more}")
    rows = value_at(evaluation.spec, ("evidence", "predictions", "rows"))
    return Check(name, True, f"{evaluation.ref}: every figure recomputed from its {rows:,} pinned rows")


def _paired_with(evaluation: Document, current: str | None) -> str | None:
    """Why the evaluation's comparison cannot stand for one against `current`, or None when it can."""
    if current is None:
        return "nothing is assigned now, so there is nothing to be non-inferior to"
    baseline = value_at(evaluation.spec, ("comparison", "baseline"))
    if baseline is None:
        return (f"{evaluation.ref} has no paired comparison: record it with --baseline {current} --baseline-score "
                "COLUMN")
    if baseline != current:
        return f"{evaluation.ref} is compared with {baseline}, but {current} is assigned now"
    return None


def _interval(difference: Any) -> tuple[float, float, float] | None:
    if not isinstance(difference, dict):
        return None
    values = [difference.get(key) for key in ("delta", "ciLower", "ciUpper")]
    numbers = [float(v) for v in values if isinstance(v, int | float)]
    return (numbers[0], numbers[1], numbers[2]) if len(numbers) == 3 else None


def _non_inferior(evaluation: Document, current: str | None, metric: str, margin: float) -> Check:
    name = f"{metric} non-inferior (margin {margin:g})"
    if metric not in COMPARED:
        return Check(name, False, f"non-inferiority is defined for {', '.join(COMPARED)}, not {metric}")
    unpaired = _paired_with(evaluation, current)
    if unpaired is not None:
        return Check(name, False, unpaired)
    found = _interval(value_at(evaluation.spec, COMPARED[metric]))
    if found is None:
        return Check(name, False, f"{evaluation.ref} has no interval for the difference in {metric}")
    delta, low, high = found
    shown = f"Δ{metric} {delta:+.4f} ({low:+.4f} to {high:+.4f}) against {current}"
    return Check(name, low > -margin, f"{shown}: the lower bound is {'above' if low > -margin else 'not above'} "
                                      f"-{margin:g}")


def _calibrated(evaluation: Document, name: str, limits: Any) -> Check:
    low, high = (limits.get("min"), limits.get("max")) if isinstance(limits, dict) else (None, None)
    title = f"calibration {name} in [{_bound(low, '-∞')}, {_bound(high, '∞')}]"
    value = value_at(evaluation.spec, ("calibration", name))
    if not isinstance(value, int | float):
        return Check(title, False, f"{evaluation.ref} reports no calibration {name}")
    inside = (low is None or value >= low) and (high is None or value <= high)
    return Check(title, inside, f"calibration {name} = {value:g} in {evaluation.ref}")


def _bound(value: Any, unbounded: str) -> str:
    return f"{value:g}" if isinstance(value, int | float) else unbounded if value is None else str(value)


def _subgroup_floor(evaluation: Document, metric: str, floor: float) -> Check:
    name = f"every subgroup's {metric} ≥ {floor:g}"
    groups = value_at(evaluation.spec, ("subgroups",))
    groups = [g for g in groups if isinstance(g, dict)] if isinstance(groups, list) else []
    if not groups:
        return Check(name, False, f"{evaluation.ref} reports no subgroups")
    below, unmeasured = [], []
    for group in groups:
        value = value_at(group, ("metrics", metric))
        if not isinstance(value, int | float):
            unmeasured.append(str(group.get("name")))
            continue
        upper = value_at(group, ("intervals", metric, "upper"))
        small = group.get("smallSample") is True
        if value < floor and not (small and isinstance(upper, int | float) and upper >= floor):
            below.append(f"{group.get('name')} {value:.3f} (n={group.get('n')})")
    if below:
        return Check(name, False, "below the floor: " + "; ".join(below))
    note = f" ({len(unmeasured)} without {metric}: {', '.join(unmeasured)})" if unmeasured else ""
    return Check(name, True, f"{len(groups) - len(unmeasured)} subgroups at or above {floor:g}{note}")


def _subgroup_drop(evaluation: Document, current: str | None, metric: str, limit: float) -> Check:
    name = f"no subgroup's {metric} drops significantly by more than {limit:g}"
    unpaired = _paired_with(evaluation, current)
    if unpaired is not None:
        return Check(name, False, unpaired)
    groups = value_at(evaluation.spec, ("comparison", "subgroups"))
    groups = [g for g in groups if isinstance(g, dict)] if isinstance(groups, list) else []
    dropped = []
    for group in groups:
        found = _interval(group.get(metric))
        if found is not None and found[2] < 0 and -found[0] > limit:
            delta, low, high = found
            dropped.append(f"{group.get('name')} Δ{delta:+.3f} ({low:+.3f} to {high:+.3f}, n={group.get('n')})")
    if dropped:
        return Check(name, False, "significant drops: " + "; ".join(dropped))
    return Check(name, True, f"{len(groups)} subgroups compared with {current}: no significant drop beyond "
                             f"{limit:g}")

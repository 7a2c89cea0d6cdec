"""Whether two evaluations measured the same thing, so that their difference means something.

Two evaluations are **comparable** when they were computed on the same data with the same ground truth: the same
cohort (name and version), the same data snapshot, the same event definition (name and version), and, where both
record them, the same number of units (tp + fp + tn + fn of the threshold table) and the same period
(`periodDays`), each within a small tolerance. Otherwise a difference between them mixes the models with the data:
a cohort re-cut to 8,000 units over 365 days "alerts 88.8% less per day" than one of 20,000 units over 90 days,
whatever the models do. `evaluate compare` refuses such a pair, and `promote` and `gate` fail the checks that
compare with the version assigned now, naming what differs.

What an evaluation leaves out is read from its cohort: no `dataSnapshot` means the cohort's
`spec.dataSource.snapshot`, no `periodDays` the length of the cohort's `spec.period`.

**Paired** comparisons (a hook; the paired statistics are not built yet). An evaluation computed from predictions
carries `spec.evidence.predictions` with the `md5` of its rows file and the number of `rows`. Two comparable
evaluations that both carry it, with the same `md5` and `rows`, scored the very same rows: the new one was
computed with the baseline's rows and scores beside its own, and a paired test (McNemar for rates at a threshold,
DeLong for the AUROC) may be used, which is more powerful than the unpaired one because it removes the variation
between units. `Comparability.paired` says so and `pairing` says why not; every comparison made today is unpaired
(`charter.evaluation.unpaired`), which is valid for either case, only less sharp for paired data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from charter.evaluation.confusion import canonical_threshold
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.times import parse_day

#: Units may differ by this fraction of the larger count (a few units dropped for missing inputs) and still be one
#: sample of one cohort.
UNITS_TOLERANCE = 0.02
#: Periods may differ by a day (an end counted or not) or by this fraction of the longer one, whichever is more.
PERIOD_TOLERANCE = 0.02
PERIOD_TOLERANCE_DAYS = 1.0

#: Where an evaluation computed from predictions describes its rows file.
PREDICTIONS = ("evidence", "predictions")


@dataclass(frozen=True, slots=True)
class Difference:
    """One way two evaluations differ: `what` (a short noun), the value of A and of B."""

    what: str
    a: Any
    b: Any

    def __str__(self) -> str:
        return f"{self.what} {_show(self.a)} vs {_show(self.b)}"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.what, "a": self.a, "b": self.b}


def _show(value: Any) -> str:
    if value is None:
        return "(not recorded)"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True, slots=True)
class Basis:
    """What an evaluation was computed on, as far as comparing two of them goes."""

    cohort: str | None
    event: str | None
    snapshot: str | None
    units: int | None
    period_days: float | None
    predictions: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {"cohort": self.cohort, "event": self.event, "dataSnapshot": self.snapshot, "units": self.units,
                "periodDays": self.period_days, "predictions": self.predictions}


@dataclass(frozen=True)
class Comparability:
    """The verdict on A (the reference) against B (the one under review): comparable when nothing differs."""

    a: Document
    b: Document
    basis_a: Basis
    basis_b: Basis
    differences: tuple[Difference, ...] = ()
    #: Why the two are not paired (empty when they are): predictions missing on a side, or other rows.
    pairing: tuple[Difference, ...] = field(default=())

    @property
    def comparable(self) -> bool:
        return not self.differences

    @property
    def verdict(self) -> str:
        return "comparable" if self.comparable else "not comparable"

    @property
    def paired(self) -> bool:
        """Both scored the same rows (same predictions md5 and rows): paired statistics would apply."""
        return self.comparable and not self.pairing and self.basis_a.predictions is not None

    @property
    def summary(self) -> str:
        """The differences, or what the two share, in one line."""
        if not self.comparable:
            return "; ".join(str(d) for d in self.differences)
        shared = self.basis_b
        parts = [f"cohort {shared.cohort}", f"event {shared.event}", f"data snapshot {_show(shared.snapshot)}"]
        if shared.units is not None:
            parts.append(f"{shared.units} units")
        if shared.period_days is not None:
            parts.append(f"{shared.period_days:g} days")
        return ", ".join(parts) + ("; paired (same predictions rows)" if self.paired else "; unpaired")

    def to_dict(self) -> dict[str, Any]:
        return {"a": str(self.a.ref), "b": str(self.b.ref), "comparable": self.comparable, "verdict": self.verdict,
                "differences": [d.to_dict() for d in self.differences], "paired": self.paired,
                "unpairedBecause": [d.to_dict() for d in self.pairing],
                "basis": {"a": self.basis_a.to_dict(), "b": self.basis_b.to_dict()}}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _split(ref: str | None) -> tuple[str | None, str | None]:
    """kind:name@version -> (kind:name, version)."""
    if ref is None:
        return None, None
    name, _, version = ref.partition("@")
    return name, version or None


def units(evaluation: Document) -> int | None:
    """tp + fp + tn + fn at the operating threshold (else the first row with all four counts); None without counts."""
    rows = value_at(evaluation.spec, ("thresholds",))
    rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    counted = [r for r in rows if all(isinstance(r.get(k), int) and not isinstance(r.get(k), bool)
                                      for k in ("tp", "fp", "tn", "fn"))]
    if not counted:
        return None
    operating = value_at(evaluation.spec, ("operatingThreshold",))
    at = [r for r in counted if _same_threshold(r.get("threshold"), operating)]
    row = (at or counted)[0]
    return int(row["tp"] + row["fp"] + row["tn"] + row["fn"])


def _same_threshold(a: Any, b: Any) -> bool:
    return isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool) \
        and not isinstance(b, bool) and canonical_threshold(float(a)) == canonical_threshold(float(b))


def _cohort(evaluation: Document, index: RegistryIndex | None) -> Document | None:
    ref = _text(value_at(evaluation.spec, ("cohort",)))
    return index.get(ref) if ref is not None and index is not None else None


def period_days(evaluation: Document, index: RegistryIndex | None) -> float | None:
    """The evaluation's `periodDays`, else the length of its cohort's period (first and last day counted)."""
    days = value_at(evaluation.spec, ("periodDays",))
    if isinstance(days, int | float) and not isinstance(days, bool) and days > 0:
        return float(days)
    cohort = _cohort(evaluation, index)
    if cohort is None:
        return None
    start, end = (parse_day(str(value_at(cohort.spec, ("period", side)))) for side in ("start", "end"))
    if start is None or end is None or end < start:
        return None
    return float((end - start).days + 1)


def _snapshot(evaluation: Document, index: RegistryIndex | None) -> str | None:
    written = _text(value_at(evaluation.spec, ("dataSnapshot",)))
    if written is not None:
        return written
    cohort = _cohort(evaluation, index)
    return _text(value_at(cohort.spec, ("dataSource", "snapshot"))) if cohort is not None else None


def _predictions(evaluation: Document) -> dict[str, Any] | None:
    block = value_at(evaluation.spec, PREDICTIONS)
    if not isinstance(block, dict):
        return None
    return {"md5": _text(block.get("md5")), "rows": block.get("rows") if isinstance(block.get("rows"), int) else None}


def basis(evaluation: Document, index: RegistryIndex | None) -> Basis:
    return Basis(_text(value_at(evaluation.spec, ("cohort",))), _text(value_at(evaluation.spec, ("event",))),
                 _snapshot(evaluation, index), units(evaluation), period_days(evaluation, index),
                 _predictions(evaluation))


def _apart(a: float, b: float, fraction: float, absolute: float = 0.0) -> bool:
    return abs(a - b) > max(absolute, fraction * max(abs(a), abs(b)))


def _differences(a: Basis, b: Basis) -> list[Difference]:
    found: list[Difference] = []
    for what, (ref_a, ref_b) in (("cohort", (a.cohort, b.cohort)), ("event definition", (a.event, b.event))):
        (name_a, version_a), (name_b, version_b) = _split(ref_a), _split(ref_b)
        if name_a != name_b:
            found.append(Difference(what, ref_a, ref_b))
        elif version_a != version_b:
            found.append(Difference(f"{what} version", version_a, version_b))
    if a.snapshot != b.snapshot:
        found.append(Difference("data snapshot", a.snapshot, b.snapshot))
    if a.units is not None and b.units is not None and _apart(a.units, b.units, UNITS_TOLERANCE):
        found.append(Difference("units", a.units, b.units))
    if a.period_days is not None and b.period_days is not None \
            and _apart(a.period_days, b.period_days, PERIOD_TOLERANCE, PERIOD_TOLERANCE_DAYS):
        found.append(Difference("period (days)", a.period_days, b.period_days))
    return found


def _pairing(a: Basis, b: Basis) -> list[Difference]:
    """Why A and B are not paired: the hook for paired statistics (see the module's docstring)."""
    if a.predictions is None or b.predictions is None:
        return [Difference("predictions", "recorded" if a.predictions else None,
                           "recorded" if b.predictions else None)]
    found = [Difference(f"predictions {key}", a.predictions[key], b.predictions[key]) for key in ("md5", "rows")
             if a.predictions[key] is None or a.predictions[key] != b.predictions[key]]
    return found


def comparability(a: Document, b: Document, index: RegistryIndex | None) -> Comparability:
    """May B (under review) be compared with A (the reference)? The index supplies what an evaluation takes from its
    cohort (snapshot, period); without one, only what the evaluations say is compared."""
    basis_a, basis_b = basis(a, index), basis(b, index)
    return Comparability(a, b, basis_a, basis_b, tuple(_differences(basis_a, basis_b)),
                         tuple(_pairing(basis_a, basis_b)))


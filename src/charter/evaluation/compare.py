"""Two evaluations of one cohort side by side: metric deltas, alert volume per threshold, subgroups that moved.

`A` is the reference (the version running now, or the parent), `B` the one under review; every delta is B - A.
Model version references are resolved to their evaluations on a cohort both have, so `compare model:x@1.1.0
model:x@1.2.0` works as well as naming the evaluations. The promotion pull request embeds the Markdown form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from charter.errors import (
    CohortsDiffer,
    CompareEntryNotFound,
    CompareNeedsTwo,
    NoCommonCohort,
    NoParentToCompare,
    NotComparable,
)
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.references import parse_reference
from charter.registry.untrusted import markdown_code, markdown_text

#: How many subgroups the table and Markdown forms show (JSON has all).
SHOWN_SUBGROUPS = 5


@dataclass(frozen=True)
class MetricDelta:
    name: str
    a: float | None
    b: float | None
    a_interval: tuple[float, float] | None = None
    b_interval: tuple[float, float] | None = None

    @property
    def delta(self) -> float | None:
        return self.b - self.a if self.a is not None and self.b is not None else None

    @property
    def intervals_overlap(self) -> bool | None:
        """None when either side has no interval; False means the difference is beyond both intervals' noise."""
        if self.a_interval is None or self.b_interval is None:
            return None
        return self.a_interval[0] <= self.b_interval[1] and self.b_interval[0] <= self.a_interval[1]

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.name, "a": self.a, "b": self.b, "delta": self.delta,
                "aInterval": list(self.a_interval) if self.a_interval else None,
                "bInterval": list(self.b_interval) if self.b_interval else None,
                "intervalsOverlap": self.intervals_overlap}


@dataclass(frozen=True)
class ThresholdDelta:
    threshold: float
    a: dict[str, float]
    b: dict[str, float]
    operating: bool = False

    def change(self, key: str) -> float | None:
        return self.b[key] - self.a[key] if key in self.a and key in self.b else None

    @property
    def alert_change(self) -> float | None:
        """Relative change of alerts per day (0.04 is 4% more alerts); None when A had none."""
        old, new = self.a.get("alertsPerDay"), self.b.get("alertsPerDay")
        return (new - old) / old if old and new is not None else None

    def to_dict(self) -> dict[str, Any]:
        keys = sorted(set(self.a) & set(self.b))
        return {"threshold": self.threshold, "operating": self.operating, "a": self.a, "b": self.b,
                "delta": {k: self.change(k) for k in keys}, "alertVolumeChange": self.alert_change}


@dataclass(frozen=True)
class SubgroupShift:
    name: str
    metric: str
    a: float
    b: float
    n: int | None = None

    @property
    def delta(self) -> float:
        return self.b - self.a

    def to_dict(self) -> dict[str, Any]:
        return {"subgroup": self.name, "metric": self.metric, "a": self.a, "b": self.b, "delta": self.delta,
                "n": self.n}


@dataclass
class Comparison:
    a: Document
    b: Document
    metrics: list[MetricDelta] = field(default_factory=list)
    thresholds: list[ThresholdDelta] = field(default_factory=list)
    #: Per subgroup present in both, the metric that moved most; largest movement first.
    subgroups: list[SubgroupShift] = field(default_factory=list)
    only_a_thresholds: list[float] = field(default_factory=list)
    only_b_thresholds: list[float] = field(default_factory=list)

    @property
    def cohort(self) -> str:
        return str(value_at(self.a.spec, ("cohort",)))

    @property
    def shared_metrics(self) -> list[MetricDelta]:
        return [m for m in self.metrics if m.delta is not None]

    @property
    def one_sided_metrics(self) -> list[str]:
        """Metrics only one evaluation reports (shown by name only: there is nothing to compare)."""
        return [m.name for m in self.metrics if m.delta is None]

    def model(self, side: str) -> str:
        return str(value_at((self.a if side == "a" else self.b).spec, ("model",)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": {"evaluation": str(self.a.ref), "model": self.model("a")},
            "b": {"evaluation": str(self.b.ref), "model": self.model("b")},
            "cohort": self.cohort,
            "metrics": [m.to_dict() for m in self.metrics],
            "thresholds": [t.to_dict() for t in self.thresholds],
            "thresholdsOnlyInA": self.only_a_thresholds,
            "thresholdsOnlyInB": self.only_b_thresholds,
            "subgroups": [s.to_dict() for s in self.subgroups],
        }

    def to_markdown(self, heading: str = "###") -> list[str]:
        """The comparison as Markdown lines (the promotion PR body and `--format markdown`)."""
        lines = [f"{heading} Compared with {markdown_code(self.model('a'))} on {markdown_code(self.cohort)}", "",
                 f"{markdown_code(str(self.b.ref))} against {markdown_code(str(self.a.ref))}; Δ is candidate minus "
                 "reference.", ""]
        if self.shared_metrics:
            lines += ["| metric | reference | candidate | Δ | intervals |", "|---|---|---|---|---|"]
            for m in self.shared_metrics:
                overlap = {None: "-", True: "overlap", False: "**apart**"}[m.intervals_overlap]
                lines.append(f"| {markdown_text(m.name)} | "
                             f"{_num(m.a)} | {_num(m.b)} | {_signed(m.delta)} | {overlap} |")
        if self.one_sided_metrics:
            lines += ["", f"Reported by one evaluation only: {markdown_text(', '.join(self.one_sided_metrics))}."]
        if self.thresholds:
            lines += ["", "| threshold | alerts/day | Δ alerts | sensitivity | PPV |", "|---|---|---|---|---|"]
            for t in self.thresholds:
                mark = " ◀ operating" if t.operating else ""
                lines.append(f"| {t.threshold:g}{mark} | {_num(t.a.get('alertsPerDay'))} → "
                             f"{_num(t.b.get('alertsPerDay'))} | {_percent(t.alert_change)} | "
                             f"{_signed(t.change('sensitivity'))} | {_signed(t.change('ppv'))} |")
        if self.subgroups:
            lines += ["", "| subgroup moved most | metric | reference | candidate | Δ |", "|---|---|---|---|---|"]
            lines += [f"| {markdown_text(s.name)} | {markdown_text(s.metric)} | {_num(s.a)} | {_num(s.b)} | "
                      f"{_signed(s.delta)} |"
                      for s in self.subgroups[:SHOWN_SUBGROUPS]]
        return lines


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3g}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def _estimate(value: Any) -> tuple[float | None, tuple[float, float] | None]:
    if isinstance(value, dict):
        point, low, high = value.get("value"), value.get("ciLower"), value.get("ciUpper")
        interval = (float(low), float(high)) if isinstance(low, int | float) and isinstance(high, int | float) \
            else None
        return (float(point) if isinstance(point, int | float) else None), interval
    return (float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None), None


def _rows(doc: Document, key: str, field_name: str) -> dict[Any, dict[str, Any]]:
    rows = value_at(doc.spec, (key,))
    return {r[field_name]: r for r in rows if isinstance(r, dict) and field_name in r} \
        if isinstance(rows, list) else {}


_THRESHOLD_KEYS = ("alertsPerDay", "alertRate", "sensitivity", "ppv", "specificity")


def _rates(row: dict[str, Any]) -> dict[str, float]:
    return {k: float(row[k]) for k in _THRESHOLD_KEYS if isinstance(row.get(k), int | float)}


def compare_documents(a: Document, b: Document) -> Comparison:
    """Compare two evaluations (of one cohort: the caller makes sure)."""
    comparison = Comparison(a, b)
    metrics_a = value_at(a.spec, ("metrics",)) or {}
    metrics_b = value_at(b.spec, ("metrics",)) or {}
    for name in [*metrics_a, *(m for m in metrics_b if m not in metrics_a)]:
        (va, ia), (vb, ib) = _estimate(metrics_a.get(name)), _estimate(metrics_b.get(name))
        comparison.metrics.append(MetricDelta(name, va, vb, ia, ib))
    rows_a, rows_b = _rows(a, "thresholds", "threshold"), _rows(b, "thresholds", "threshold")
    operating = value_at(b.spec, ("operatingThreshold",))
    for threshold in sorted(set(rows_a) & set(rows_b)):
        comparison.thresholds.append(ThresholdDelta(float(threshold), _rates(rows_a[threshold]),
                                                    _rates(rows_b[threshold]), threshold == operating))
    comparison.only_a_thresholds = sorted(float(t) for t in set(rows_a) - set(rows_b))
    comparison.only_b_thresholds = sorted(float(t) for t in set(rows_b) - set(rows_a))
    groups_a, groups_b = _rows(a, "subgroups", "name"), _rows(b, "subgroups", "name")
    for name in groups_b:
        if name not in groups_a:
            continue
        old, new = groups_a[name].get("metrics") or {}, groups_b[name].get("metrics") or {}
        shifts = [SubgroupShift(str(name), m, float(old[m]), float(new[m]),
                                n if isinstance(n := groups_b[name].get("n"), int) else None)
                  for m in new if isinstance(new[m], int | float) and isinstance(old.get(m), int | float)]
        if shifts:
            comparison.subgroups.append(max(shifts, key=lambda s: abs(s.delta)))
    comparison.subgroups.sort(key=lambda s: abs(s.delta), reverse=True)
    return comparison


def shared_cohort_pair(index: RegistryIndex, a_model: str, b_model: str) -> tuple[Document, Document] | None:
    """The newest evaluations of two versions on a cohort both were evaluated on (B's newest cohort first)."""
    a_evals = index.evaluations_of(a_model)
    for b_eval in index.evaluations_of(b_model):
        cohort = value_at(b_eval.spec, ("cohort",))
        match = next((e for e in a_evals if value_at(e.spec, ("cohort",)) == cohort), None)
        if match is not None:
            return match, b_eval
    return None


def _side(index: RegistryIndex, text: str) -> tuple[str, Document | None]:
    """A reference given to compare: ('model', None) style for versions, the document for evaluations."""
    ref = parse_reference(text)
    if ref.prefix not in {"evaluation", "model"} or ref.version is None:
        raise NotComparable(text=text)
    doc = index.get(ref)
    if doc is None:
        raise CompareEntryNotFound(ref=ref, prefix=ref.prefix)
    return ref.prefix, doc


def compare(index: RegistryIndex, a: str, b: str | None = None) -> Comparison:
    """Resolve A and B (evaluations or model versions) and compare; with B left out, A is compared with its parent."""
    kind_a, doc_a = _side(index, a)
    if b is None:
        if kind_a != "model" or doc_a is None:
            raise CompareNeedsTwo()
        parent = value_at(doc_a.spec, ("parent",))
        if not isinstance(parent, str):
            raise NoParentToCompare(ref=doc_a.ref)
        a, b = parent, a
        kind_a, doc_a = _side(index, a)
    kind_b, doc_b = _side(index, b)
    assert doc_a is not None and doc_b is not None
    if kind_a == "evaluation" and kind_b == "evaluation":
        pair: tuple[Document, Document] | None = (doc_a, doc_b)
        if value_at(doc_a.spec, ("cohort",)) != value_at(doc_b.spec, ("cohort",)):
            raise CohortsDiffer(ref_a=doc_a.ref, cohort_a=value_at(doc_a.spec, ("cohort",)), ref_b=doc_b.ref,
                                cohort_b=value_at(doc_b.spec, ("cohort",)))
    else:
        a_model = str(doc_a.ref) if kind_a == "model" else str(value_at(doc_a.spec, ("model",)))
        b_model = str(doc_b.ref) if kind_b == "model" else str(value_at(doc_b.spec, ("model",)))
        pair = shared_cohort_pair(index, a_model, b_model)
        if kind_a == "evaluation" or kind_b == "evaluation":
            fixed = doc_a if kind_a == "evaluation" else doc_b
            cohort = value_at(fixed.spec, ("cohort",))
            other = index.evaluations_of(b_model if kind_a == "evaluation" else a_model)
            match = next((e for e in other if value_at(e.spec, ("cohort",)) == cohort), None)
            pair = None if match is None else ((doc_a, match) if kind_a == "evaluation" else (match, doc_b))
        if pair is None:
            raise NoCommonCohort(model_a=a_model, model_b=b_model)
    assert pair is not None
    return compare_documents(pair[0], pair[1])

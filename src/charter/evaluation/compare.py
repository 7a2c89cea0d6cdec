"""Two evaluations of one cohort side by side: metric deltas, alert volume per threshold, subgroups that moved.

`A` is the reference (the version running now, or the parent), `B` the one under review; every delta is B - A.
Model version references are resolved to their evaluations on a cohort both have, so `compare model:x@1.1.0
model:x@1.2.0` works as well as naming the evaluations. The promotion pull request embeds the Markdown form.

Only comparable evaluations are compared (`charter.evaluation.comparability`: same cohort version, data snapshot,
event definition version, units and period); for any other pair the Comparison carries the verdict and what
differs, and no delta at all. Each delta comes with its interval and the p-value of no difference, and says which
test gave them (`charter.evaluation.unpaired`); whether two intervals overlap is no test and is not shown.
Thresholds are matched in one canonical form (`canonical_threshold`), and alerts per day are computed from the
counts and the period, never from the rounded figure written in the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeGuard

from charter.errors import CompareEntryNotFound, CompareNeedsTwo, NoCommonCohort, NoParentToCompare, NotComparable
from charter.evaluation.comparability import Comparability, comparability, period_days
from charter.evaluation.confusion import Confusion, canonical_threshold
from charter.evaluation.unpaired import (
    FROM_INTERVALS,
    LABELS,
    NEWCOMBE,
    POOLED_Z,
    Z_TEST,
    RateDifference,
    estimate_difference,
    rate_difference,
)
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.references import parse_reference
from charter.registry.untrusted import markdown_code, markdown_text

#: How many subgroups the table and Markdown forms show (JSON has all).
SHOWN_SUBGROUPS = 5
#: The level of every interval of a difference.
LEVEL = 0.95


@dataclass(frozen=True)
class MetricDelta:
    name: str
    a: float | None
    b: float | None
    a_interval: tuple[float, float] | None = None
    b_interval: tuple[float, float] | None = None
    #: B - A with its interval and p-value: from the counts of the operating rows for a rate, else from the two
    #: intervals; None when neither side gives what it needs.
    difference: RateDifference | None = None

    @property
    def delta(self) -> float | None:
        return self.b - self.a if self.a is not None and self.b is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.name, "a": self.a, "b": self.b, "delta": self.delta,
                "aInterval": list(self.a_interval) if self.a_interval else None,
                "bInterval": list(self.b_interval) if self.b_interval else None,
                "difference": self.difference.to_dict() if self.difference else None}


@dataclass(frozen=True)
class ThresholdDelta:
    threshold: float
    a: dict[str, float]
    b: dict[str, float]
    operating: bool = False
    #: Alerts per day of each side: (tp + fp) / period days, unrounded (the written figure when either is missing).
    a_alerts_per_day: float | None = None
    b_alerts_per_day: float | None = None
    #: Per rate both rows have counts for, B - A with Newcombe's interval and the pooled z-test.
    differences: dict[str, RateDifference] = field(default_factory=dict)

    def change(self, key: str) -> float | None:
        return self.b[key] - self.a[key] if key in self.a and key in self.b else None

    @property
    def alert_change(self) -> float | None:
        """Relative change of alerts per day (0.04 is 4% more alerts); None when A had none."""
        old, new = self.a_alerts_per_day, self.b_alerts_per_day
        return (new - old) / old if old and new is not None else None

    def to_dict(self) -> dict[str, Any]:
        keys = sorted(set(self.a) & set(self.b))
        return {"threshold": self.threshold, "operating": self.operating, "a": self.a, "b": self.b,
                "delta": {k: self.change(k) for k in keys},
                "alertsPerDay": {"a": self.a_alerts_per_day, "b": self.b_alerts_per_day},
                "alertVolumeChange": self.alert_change,
                "differences": {k: d.to_dict() for k, d in self.differences.items()}}


@dataclass(frozen=True)
class SubgroupShift:
    name: str
    metric: str
    a: float
    b: float
    #: Units in the subgroup in B (`n`) and in A.
    n: int | None = None
    n_a: int | None = None
    #: B - A with its interval and p-value, from the counts the subgroup's n, prevalence and rates give; None for a
    #: metric without counts (an AUROC), which is then not ranked by its size.
    difference: RateDifference | None = None

    @property
    def delta(self) -> float:
        return self.b - self.a

    def to_dict(self) -> dict[str, Any]:
        return {"subgroup": self.name, "metric": self.metric, "a": self.a, "b": self.b, "delta": self.delta,
                "n": self.n, "nA": self.n_a, "difference": self.difference.to_dict() if self.difference else None}


@dataclass
class Comparison:
    a: Document
    b: Document
    comparability: Comparability
    metrics: list[MetricDelta] = field(default_factory=list)
    thresholds: list[ThresholdDelta] = field(default_factory=list)
    #: Per subgroup present in both, the metric that moved most for its uncertainty; subgroups whose change is
    #: furthest beyond its noise first (|z|), then those without counts by size. Never by the raw change: 7 units
    #: moving by 1.0 is noise, 17,000 moving by 0.04 is not.
    subgroups: list[SubgroupShift] = field(default_factory=list)
    only_a_thresholds: list[float] = field(default_factory=list)
    only_b_thresholds: list[float] = field(default_factory=list)

    @property
    def comparable(self) -> bool:
        return self.comparability.comparable

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
            "comparable": self.comparable,
            "differences": [d.to_dict() for d in self.comparability.differences],
            "comparability": self.comparability.to_dict(),
            "metrics": [m.to_dict() for m in self.metrics],
            "thresholds": [t.to_dict() for t in self.thresholds],
            "thresholdsOnlyInA": self.only_a_thresholds,
            "thresholdsOnlyInB": self.only_b_thresholds,
            "subgroups": [s.to_dict() for s in self.subgroups],
        }

    def to_markdown(self, heading: str = "###") -> list[str]:
        """The comparison as Markdown lines (the promotion PR body and `--format markdown`)."""
        refs = f"{markdown_code(str(self.b.ref))} against {markdown_code(str(self.a.ref))}"
        if not self.comparable:
            return [f"{heading} Not comparable with {markdown_code(self.model('a'))}", "",
                    f"{refs}: not compared, they differ in {markdown_text(self.comparability.summary)}."]
        lines = [f"{heading} Compared with {markdown_code(self.model('a'))} on {markdown_code(self.cohort)}", "",
                 f"{refs}; Δ is candidate minus reference. Comparable: "
                 f"{markdown_text(self.comparability.summary)}.", "", METHODS_NOTE, ""]
        if self.shared_metrics:
            lines += ["| metric | reference | candidate | Δ | 95% CI of Δ | p | test |",
                      "|---|---|---|---|---|---|---|"]
            for m in self.shared_metrics:
                lines.append(f"| {markdown_text(m.name)} | {_num(m.a)} | {_num(m.b)} | {_signed(m.delta)} | "
                             f"{_interval(m.difference)} | {_p(m.difference)} | {_test(m.difference)} |")
        if self.one_sided_metrics:
            lines += ["", f"Reported by one evaluation only: {markdown_text(', '.join(self.one_sided_metrics))}."]
        if self.thresholds:
            lines += ["", "| threshold | alerts/day | Δ alerts | Δ sensitivity (95% CI), p | Δ PPV (95% CI), p |",
                      "|---|---|---|---|---|"]
            for t in self.thresholds:
                mark = " ◀ operating" if t.operating else ""
                lines.append(f"| {t.threshold:g}{mark} | {_num(t.a_alerts_per_day)} → {_num(t.b_alerts_per_day)} | "
                             f"{_percent(t.alert_change)} | {rate_cell(t, 'sensitivity')} | {rate_cell(t, 'ppv')} |")
        if self.subgroups:
            lines += ["", "| subgroup (largest change for its uncertainty first) | n | metric | reference | "
                      "candidate | Δ (95% CI) | p |", "|---|---|---|---|---|---|---|"]
            lines += [f"| {markdown_text(s.name)} | {_count(s.n_a)} → {_count(s.n)} | {markdown_text(s.metric)} | "
                      f"{_num(s.a)} | {_num(s.b)} | {_signed(s.delta)} ({_interval(s.difference)}) | "
                      f"{_p(s.difference)} |"
                      for s in self.subgroups[:SHOWN_SUBGROUPS]]
        return lines


#: What the intervals and p-values are, in the words a reviewer reads under the comparison.
METHODS_NOTE = (f"Each Δ has a {LEVEL:.0%} interval and the p-value of no difference, the two evaluations taken as "
                f"independent samples (unpaired): for a rate with its counts, the {LABELS[NEWCOMBE]} (Newcombe 1998, "
                f"method 10) and the {LABELS[POOLED_Z]}; for a metric given only with its interval, the "
                f"{LABELS[FROM_INTERVALS]} (Altman & Bland 2003) and a {LABELS[Z_TEST]}.")

#: Short names of the tests, for table cells.
SHORT_TESTS = {(NEWCOMBE, POOLED_Z): "Newcombe, pooled z", (FROM_INTERVALS, Z_TEST): "from intervals, z"}


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3g}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def _interval(difference: RateDifference | None) -> str:
    return "-" if difference is None else f"{difference.lower:+.3g} to {difference.upper:+.3g}"


def _p(difference: RateDifference | None) -> str:
    if difference is None:
        return "-"
    return "<0.001" if difference.p_value < 0.001 else f"{difference.p_value:.3f}"


def _test(difference: RateDifference | None) -> str:
    return "-" if difference is None else SHORT_TESTS.get((difference.method, difference.test), difference.test)


def rate_cell(t: ThresholdDelta, key: str) -> str:
    """`+0.04 (+0.005 to +0.074), p 0.021` for one rate at one threshold."""
    difference = t.differences.get(key)
    if difference is None:
        return _signed(t.change(key))
    return f"{difference.delta:+.3g} ({_interval(difference)}), p {_p(difference)}"


def _estimate(value: Any) -> tuple[float | None, tuple[float, float] | None, float]:
    """A metric's point, interval and the interval's level."""
    if isinstance(value, dict):
        point, low, high, level = value.get("value"), value.get("ciLower"), value.get("ciUpper"), value.get("ciLevel")
        interval = (float(low), float(high)) if _number(low) and _number(high) else None
        return (float(point) if _number(point) else None), interval, \
            float(level) if _number(level) and 0 < level < 1 else LEVEL
    return (float(value) if _number(value) else None), None, LEVEL


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def threshold_rows(doc: Document) -> dict[float, dict[str, Any]]:
    """The threshold table by canonical threshold (0.30000000000000004 and 0.3 are one row)."""
    rows = value_at(doc.spec, ("thresholds",))
    found: dict[float, dict[str, Any]] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and _number(row.get("threshold")):
            found.setdefault(canonical_threshold(float(row["threshold"])), row)
    return found


def operating_row(doc: Document) -> dict[str, Any] | None:
    """The threshold row at the evaluation's operating threshold."""
    threshold = value_at(doc.spec, ("operatingThreshold",))
    return threshold_rows(doc).get(canonical_threshold(float(threshold))) if _number(threshold) else None


def counts(row: dict[str, Any]) -> Confusion | None:
    values = [row.get(k) for k in ("tp", "fp", "tn", "fn")]
    if all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        return Confusion(*(int(v) for v in values))  # type: ignore[arg-type]
    return None


def alerts_per_day(doc: Document, row: dict[str, Any], index: RegistryIndex | None) -> float | None:
    """(tp + fp) / period days, unrounded; the row's written `alertsPerDay` when counts or period are missing."""
    found, days = counts(row), period_days(doc, index)
    if found is not None and days:
        return found.alerts / days
    written = row.get("alertsPerDay")
    return float(written) if _number(written) else None


def _rows(doc: Document, key: str, field_name: str) -> dict[Any, dict[str, Any]]:
    rows = value_at(doc.spec, (key,))
    return {r[field_name]: r for r in rows if isinstance(r, dict) and field_name in r} \
        if isinstance(rows, list) else {}


_THRESHOLD_KEYS = ("alertsPerDay", "alertRate", "sensitivity", "ppv", "specificity")


def _rates(row: dict[str, Any]) -> dict[str, float]:
    return {k: float(row[k]) for k in _THRESHOLD_KEYS if _number(row.get(k))}


def _fractions(found: Confusion | None) -> dict[str, tuple[int, int]]:
    """Each rate of a row's counts (and the prevalence) as (numerator, denominator), denominators above zero."""
    if found is None:
        return {}
    fractions = {**found.fractions(), "prevalence": (found.positives, found.total)}
    return {k: v for k, v in fractions.items() if v[1] > 0}


def _count_difference(b: tuple[int, int] | None, a: tuple[int, int] | None) -> RateDifference | None:
    return rate_difference(b[0], b[1], a[0], a[1], LEVEL) if a is not None and b is not None else None


def _subgroup_fractions(row: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """A subgroup's rates as (numerator, denominator), from its n, prevalence and the rates themselves: the counts
    are not stored, but n x prevalence are its positives, and so on. Rounding of the written rates makes them
    approximate, which is enough to size a change against its noise."""
    n, prevalence = row.get("n"), row.get("prevalence")
    metrics: dict[str, Any] = row["metrics"] if isinstance(row.get("metrics"), dict) else {}
    if not (isinstance(n, int) and n > 0 and _number(prevalence) and 0 <= prevalence <= 1):
        return {}
    positives = round(n * prevalence)
    found: dict[str, tuple[int, int]] = {}

    def add(name: str, denominator: int | None) -> None:
        value = metrics.get(name)
        if denominator and _number(value) and 0 <= value <= 1:
            found[name] = (round(value * denominator), denominator)

    add("alertRate", n)
    add("sensitivity", positives)
    add("specificity", n - positives)
    alerts = found["alertRate"][0] if "alertRate" in found else None
    if alerts is None and "sensitivity" in found and "specificity" in found:
        alerts = found["sensitivity"][0] + (n - positives) - found["specificity"][0]
    if alerts is None and "sensitivity" in found and _number(metrics.get("ppv")) and metrics["ppv"] > 0:
        alerts = round(found["sensitivity"][0] / metrics["ppv"])
    add("ppv", alerts)
    return found


def _subgroup_rank(shift: SubgroupShift) -> tuple[int, float, str]:
    """Subgroups: the change furthest beyond its noise first; those without counts after, the largest first."""
    if shift.difference is not None:
        return 0, -abs(shift.difference.statistic), shift.name
    return 1, -float(shift.n or 0), shift.name


def _metric_rank(shift: SubgroupShift) -> tuple[int, float]:
    """Within a subgroup, the metric shown: the one furthest beyond its noise, else (no counts) the largest change."""
    if shift.difference is not None:
        return 0, -abs(shift.difference.statistic)
    return 1, -abs(shift.delta)


def compare_documents(a: Document, b: Document, index: RegistryIndex | None) -> Comparison:
    """Compare two evaluations; when they are not comparable, only the verdict and what differs."""
    comparison = Comparison(a, b, comparability(a, b, index))
    if not comparison.comparable:
        return comparison
    operating_a, operating_b = operating_row(a), operating_row(b)
    at_a = _fractions(counts(operating_a) if operating_a else None)
    at_b = _fractions(counts(operating_b) if operating_b else None)
    metrics_a = value_at(a.spec, ("metrics",)) or {}
    metrics_b = value_at(b.spec, ("metrics",)) or {}
    for name in [*metrics_a, *(m for m in metrics_b if m not in metrics_a)]:
        (va, ia, la), (vb, ib, lb) = _estimate(metrics_a.get(name)), _estimate(metrics_b.get(name))
        difference = _count_difference(at_b.get(name), at_a.get(name))
        if difference is None and va is not None and vb is not None and ia is not None and ib is not None:
            difference = estimate_difference(vb, ib, va, ia, level1=lb, level2=la, level=LEVEL)
        comparison.metrics.append(MetricDelta(name, va, vb, ia, ib, difference))
    rows_a, rows_b = threshold_rows(a), threshold_rows(b)
    operating = value_at(b.spec, ("operatingThreshold",))
    operating = canonical_threshold(float(operating)) if _number(operating) else None
    for threshold in sorted(set(rows_a) & set(rows_b)):
        row_a, row_b = rows_a[threshold], rows_b[threshold]
        fractions_a, fractions_b = _fractions(counts(row_a)), _fractions(counts(row_b))
        differences = {k: d for k in ("alertRate", "sensitivity", "ppv", "specificity", "npv")
                       if (d := _count_difference(fractions_b.get(k), fractions_a.get(k))) is not None}
        comparison.thresholds.append(ThresholdDelta(
            threshold, _rates(row_a), _rates(row_b), threshold == operating, alerts_per_day(a, row_a, index),
            alerts_per_day(b, row_b, index), differences))
    comparison.only_a_thresholds = sorted(set(rows_a) - set(rows_b))
    comparison.only_b_thresholds = sorted(set(rows_b) - set(rows_a))
    groups_a, groups_b = _rows(a, "subgroups", "name"), _rows(b, "subgroups", "name")
    for name in groups_b:
        if name not in groups_a:
            continue
        old, new = groups_a[name].get("metrics") or {}, groups_b[name].get("metrics") or {}
        fractions_a, fractions_b = _subgroup_fractions(groups_a[name]), _subgroup_fractions(groups_b[name])
        n_a, n_b = groups_a[name].get("n"), groups_b[name].get("n")
        shifts = [SubgroupShift(str(name), m, float(old[m]), float(new[m]), n_b if isinstance(n_b, int) else None,
                                n_a if isinstance(n_a, int) else None,
                                _count_difference(fractions_b.get(m), fractions_a.get(m)))
                  for m in new if _number(new[m]) and _number(old.get(m))]
        if shifts:
            comparison.subgroups.append(min(shifts, key=_metric_rank))
    comparison.subgroups.sort(key=_subgroup_rank)
    return comparison


def _cohort_name(doc: Document) -> str:
    return str(value_at(doc.spec, ("cohort",))).partition("@")[0]


def comparable_pair(index: RegistryIndex, a_evals: list[Document],
                    b_evals: list[Document]) -> tuple[Document, Document] | None:
    """Of evaluations on a cohort both sides have (newest first, B's first), the newest comparable pair; else the
    pair with the fewest differences, so that the refusal names them; None when no cohort is shared."""
    fallback: tuple[int, Document, Document] | None = None
    for b_eval in b_evals:
        for a_eval in a_evals:
            if _cohort_name(a_eval) != _cohort_name(b_eval):
                continue
            differences = len(comparability(a_eval, b_eval, index).differences)
            if differences == 0:
                return a_eval, b_eval
            if fallback is None or differences < fallback[0]:
                fallback = differences, a_eval, b_eval
    return None if fallback is None else (fallback[1], fallback[2])


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
    """Resolve A and B (evaluations or model versions) and compare; with B left out, A is compared with its parent.

    The Comparison of two evaluations that are not comparable carries the verdict and what differs, and no delta:
    `Comparison.comparable` says which (the CLI exits 1 on it).
    """
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
        return compare_documents(doc_a, doc_b, index)
    a_model = str(doc_a.ref) if kind_a == "model" else str(value_at(doc_a.spec, ("model",)))
    b_model = str(doc_b.ref) if kind_b == "model" else str(value_at(doc_b.spec, ("model",)))
    a_evals = [doc_a] if kind_a == "evaluation" else index.evaluations_of(a_model)
    b_evals = [doc_b] if kind_b == "evaluation" else index.evaluations_of(b_model)
    pair = comparable_pair(index, a_evals, b_evals)
    if pair is None:
        raise NoCommonCohort(model_a=a_model, model_b=b_model)
    return compare_documents(pair[0], pair[1], index)

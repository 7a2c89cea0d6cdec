"""Evidence that cannot be true, and evidence about another population than its cohort (CH815-CH818, CH830-CH833).

A schema checks each number alone and `evaluations` checks the threshold table against its own counts; these checks
ask whether the figures could be what they claim: a proportion or an area under a curve in [0, 1], a value inside
its own interval, subgroups and calibration bins no larger than the evaluation, overall rates that the operating
threshold's counts give, and units, prevalence and period that match the cohort's record (within the tolerances
below: a warning, since an evaluation may fairly drop a few unscored units). The policy's metric floors read these
figures, so `promote` and `gate` ask `implausible` about the evaluation they use.

Pure Python and cheap: it runs in `charter validate` on every Evaluation, in the pre-commit hook too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from charter.evaluation.confusion import Confusion, agrees, canonical_threshold
from charter.registry.documents import Document
from charter.registry.fields import JsonPath, value_at
from charter.registry.findings import Finding, Severity, finding
from charter.registry.index import RegistryIndex
from charter.registry.times import parse_day
from charter.validation.evaluations import check_threshold_table

#: Units (tp + fp + tn + fn) more than 2% away from the cohort's `size` are another population (CH830).
SIZE_TOLERANCE = 0.02
#: Prevalence further from the cohort's `eventPrevalence` than 10% of it, and never more than 0.5 percentage
#: points, is another population or another event definition (CH831); the cohort's figure counts to its written
#: decimals (0.045 stands for 0.0445 to 0.0455).
PREVALENCE_RELATIVE = 0.10
PREVALENCE_POINTS = 0.005
#: `periodDays` more than one day away from the cohort's period (start to end, inclusive) (CH832).
PERIOD_TOLERANCE_DAYS = 1.0

#: A metric is a proportion or an area under a curve, and lies in [0, 1], when a word of its name is one of these
#: (`auroc`, `pr_auc`, `alertRate`, `recall_at_1pct_fpr`, `ndcg@10`, `F1`) ...
BOUNDED_WORDS = frozenset({
    "auroc", "auprc", "auc", "aupr", "aucroc", "aucpr", "rocauc", "prauc", "cindex", "cstatistic", "concordance",
    "brier", "ece", "mce", "accuracy", "sensitivity", "specificity", "ppv", "npv", "precision", "recall",
    "tpr", "fpr", "tnr", "fnr", "fdr", "f1", "f2", "fbeta", "prevalence", "rate", "ndcg",
})
#: ... and none is one of these, which name a difference, a ratio, a count, a time or another scale
#: (`auroc_delta`, `alert_rate_ratio`, `sensitivity_pct`, `ppv_se`).
UNBOUNDED_WORDS = frozenset({
    "delta", "diff", "difference", "change", "gain", "lift", "ratio", "odds", "improvement", "relative",
    "count", "counts", "n", "per", "day", "days", "hour", "hours", "minute", "minutes", "second", "seconds", "time",
    "lead", "loss", "log", "logit", "se", "sd", "std", "stderr", "var", "variance", "z", "pct", "percent",
    "percentage", "points",
})
#: The rates an overall metric of that name must agree with at the operating threshold (CH833).
COUNTED_RATES = ("alertRate", "sensitivity", "ppv", "specificity", "npv")
_WORD = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def bounded(name: str) -> bool:
    """True when a metric of this name is a proportion or an area under a curve (see BOUNDED_WORDS)."""
    words = {w.lower() for w in _WORD.findall(_CAMEL.sub(" ", name))}
    return bool(words & BOUNDED_WORDS) and not words & UNBOUNDED_WORDS


def check_plausibility(doc: Document, index: RegistryIndex | None) -> list[Finding]:
    """Every plausibility finding of an Evaluation (none for other kinds)."""
    if doc.kind is None or doc.kind.name != "Evaluation" or not isinstance(doc.spec, dict):
        return []
    table = _table(doc.spec)
    cohort = _cohort(doc, index)
    return [*_bounds(doc), *_intervals(doc), *_parts(doc, table, cohort), *_against_cohort(doc, table, cohort),
            *_overall_rates(doc, table)]


def implausible(doc: Document, index: RegistryIndex | None = None) -> list[Finding]:
    """The errors that make an evaluation's figures unusable as evidence: these checks and the threshold table's
    own (CH805-CH808). `promote` and `gate` ask it about the evaluation the policy reads."""
    found = [*check_plausibility(doc, index), *check_threshold_table(doc)]
    return [f for f in found if f.severity is Severity.ERROR]


# --- reading ---------------------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class _Table:
    """The counted rows of the threshold table: (index, canonical threshold, counts)."""

    def __init__(self, rows: list[tuple[int, float, Confusion]]) -> None:
        self.rows = rows

    @property
    def first(self) -> tuple[int, float, Confusion] | None:
        return self.rows[0] if self.rows else None

    def at(self, threshold: float | None) -> tuple[int, float, Confusion] | None:
        if threshold is None:
            return None
        wanted = canonical_threshold(threshold)
        return next((row for row in self.rows if row[1] == wanted), None)


def _table(spec: dict[str, Any]) -> _Table:
    rows = spec.get("thresholds")
    counted = []
    for i, row in enumerate(rows if isinstance(rows, list) else []):
        if not isinstance(row, dict):
            continue
        counts = [_count(row.get(k)) for k in ("tp", "fp", "tn", "fn")]
        threshold = _number(row.get("threshold"))
        if threshold is not None and all(c is not None for c in counts):
            counted.append((i, canonical_threshold(threshold), Confusion(*(c or 0 for c in counts))))
    return _Table(counted)


def _cohort(doc: Document, index: RegistryIndex | None) -> Document | None:
    ref = doc.spec.get("cohort")
    if index is None or not isinstance(ref, str):
        return None
    cohort = index.get(ref)
    return cohort if cohort is not None and isinstance(cohort.spec, dict) else None


def _metrics(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    metrics = spec.get("metrics")
    for name, estimate in (metrics.items() if isinstance(metrics, dict) else []):
        if isinstance(name, str) and isinstance(estimate, dict):
            yield name, estimate


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        return max(len(mantissa.partition(".")[2].rstrip("0")) - int(exponent), 0)
    return len(text.partition(".")[2].rstrip("0"))


def _slack(*values: float) -> float:
    """Half a unit of the finest last decimal written: 0.041 stands for anything that rounds to it."""
    return 0.5 * 10.0 ** -max(_decimals(v) for v in values) + 1e-12


# --- (a) proportions and areas in [0, 1] --------------------------------------------------------------------------


def _outside_unit(value: float | None) -> bool:
    return value is not None and not 0.0 <= value <= 1.0


def _bounds(doc: Document) -> list[Finding]:
    """Threshold rows' rates, their intervals and calibration are `rate`s in the schema; metric names are free,
    so metrics are bounded by name."""
    findings = []
    for name, estimate in _metrics(doc.spec):
        if not bounded(name):
            continue
        path = ("spec", "metrics", name)
        value = _number(estimate.get("value"))
        if _outside_unit(value):
            findings.append(finding("CH815", doc.path, doc.place((*path, "value")), name=name, value=value))
        for bound in ("ciLower", "ciUpper"):
            limit = _number(estimate.get(bound))
            if _outside_unit(limit):
                findings.append(finding("CH815.bound", doc.path, doc.place((*path, bound)), name=name, bound=bound,
                                        value=limit))
    for i, group in _subgroups(doc.spec):
        metrics = group.get("metrics")
        for name, raw in (metrics.items() if isinstance(metrics, dict) else []):
            value = _number(raw)
            if isinstance(name, str) and bounded(name) and _outside_unit(value):
                place = doc.place(("spec", "subgroups", i, "metrics", name))
                findings.append(finding("CH815.subgroup", doc.path, place, subgroup=group.get("name"), name=name,
                                        value=value))
    return findings


# --- (b) each value inside its own interval -----------------------------------------------------------------------


def _intervals(doc: Document) -> list[Finding]:
    findings = []
    for name, estimate in _metrics(doc.spec):
        path = ("spec", "metrics", name)
        value, low, high = (_number(estimate.get(k)) for k in ("value", "ciLower", "ciUpper"))
        if low is None or high is None:
            continue
        if low > high:
            findings.append(finding("CH816.order", doc.path, doc.place((*path, "ciLower")), name=name, low=low,
                                    high=high))
        elif value is not None and not low - _slack(value, low, high) <= value <= high + _slack(value, low, high):
            findings.append(finding("CH816", doc.path, doc.place((*path, "value")), name=name, value=value, low=low,
                                    high=high))
    rows = doc.spec.get("thresholds")
    for i, row in enumerate(rows if isinstance(rows, list) else []):
        intervals = row.get("intervals") if isinstance(row, dict) else None
        if not isinstance(intervals, dict):
            continue
        threshold = _number(row.get("threshold"))
        for name, bounds in intervals.items():
            if not isinstance(bounds, dict):
                continue
            low, high, value = _number(bounds.get("lower")), _number(bounds.get("upper")), _number(row.get(name))
            if low is None or high is None or threshold is None:
                continue
            row_path: JsonPath = ("spec", "thresholds", i)
            if low > high:
                findings.append(finding("CH816.row_order", doc.path, doc.place((*row_path, "intervals", name, "lower")),
                                        threshold=threshold, name=name, low=low, high=high))
            elif value is not None and not low - _slack(value, low, high) <= value <= high + _slack(value, low, high):
                findings.append(finding("CH816.row", doc.path, doc.place((*row_path, name)), threshold=threshold,
                                        name=name, value=value, low=low, high=high))
    return findings


# --- (c) parts no larger than the whole --------------------------------------------------------------------------


def _subgroups(spec: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    groups = spec.get("subgroups")
    for i, group in enumerate(groups if isinstance(groups, list) else []):
        if isinstance(group, dict):
            yield i, group


def _units(table: _Table, cohort: Document | None) -> tuple[int, dict[str, object]] | None:
    """The evaluation's units: the threshold table's, else the cohort's size (then `{"cohort": ref}`)."""
    first = table.first
    if first is not None:
        return first[2].total, {}
    size = _count(cohort.spec.get("size")) if cohort is not None else None
    if cohort is not None and size is not None:
        return size, {"cohort": str(cohort.ref)}
    return None


def _passing(parts: list[tuple[int, float]], whole: float) -> int:
    """The index of the part at which the running sum passes `whole` (the last part if it never does): where a
    finding about too large a sum is reported."""
    running = 0.0
    for i, part in parts:
        running += part
        if running > whole:
            return i
    return parts[-1][0]


def _parts(doc: Document, table: _Table, cohort: Document | None) -> list[Finding]:
    """Subgroups of one attribute split the evaluation's units and events; calibration bins split its units."""
    units = _units(table, cohort)
    if units is None:
        return []
    total_units, named = units
    subgroup_key, bins_key = ("CH817.cohort", "CH818.cohort") if named else ("CH817", "CH818")
    events = table.first[2].positives if table.first is not None else None
    by_attribute: dict[str, list[tuple[int, int, float | None]]] = {}
    for i, group in _subgroups(doc.spec):
        n = _count(group.get("n"))
        if n is not None:
            by_attribute.setdefault(str(group.get("attribute")), []).append((i, n, _number(group.get("prevalence"))))
    findings = []
    for attribute, groups in by_attribute.items():
        total = sum(n for _, n, _ in groups)
        if total > total_units:
            i = _passing([(i, n) for i, n, _ in groups], total_units)
            findings.append(finding(subgroup_key, doc.path, doc.place(("spec", "subgroups", i, "n")),
                                    attribute=attribute, total=total, units=total_units, **named))
        counted = [(i, n * p, n * _slack(p)) for i, n, p in groups if p is not None]
        if events is not None and counted and \
                sum(e for _, e, _ in counted) > events + sum(s for _, _, s in counted) + 0.5:
            i = _passing([(i, e - slack) for i, e, slack in counted], events + 0.5)
            findings.append(finding("CH817.events", doc.path, doc.place(("spec", "subgroups", i, "prevalence")),
                                    attribute=attribute, events=sum(e for _, e, _ in counted), total_events=events))
    bins = value_at(doc.spec, ("calibration", "bins"))
    sizes = [(i, n) for i, item in enumerate(bins if isinstance(bins, list) else []) if isinstance(item, dict)
             for n in [_count(item.get("n"))] if n is not None]
    in_bins = sum(n for _, n in sizes)
    if in_bins > total_units:
        i = _passing([(i, float(n)) for i, n in sizes], total_units)
        findings.append(finding(bins_key, doc.path, doc.place(("spec", "calibration", "bins", i, "n")),
                                total=in_bins, units=total_units, **named))
    return findings


# --- (d) the cohort the evaluation names -------------------------------------------------------------------------


def _prevalence_tolerance(cohort_prevalence: float) -> float:
    return max(min(PREVALENCE_RELATIVE * cohort_prevalence, PREVALENCE_POINTS), _slack(cohort_prevalence))


def _against_cohort(doc: Document, table: _Table, cohort: Document | None) -> list[Finding]:
    if cohort is None:
        return []
    findings = []
    named = str(cohort.ref)
    first = table.first
    size = _count(cohort.spec.get("size"))
    if first is not None and size is not None and abs(first[2].total - size) > SIZE_TOLERANCE * size:
        findings.append(finding("CH830", doc.path, doc.place(("spec", "thresholds", first[0])), units=first[2].total,
                                cohort=named, size=size, tolerance=SIZE_TOLERANCE))
    cohort_prevalence = _number(cohort.spec.get("eventPrevalence"))
    stated = _number(value_at(doc.spec, ("metrics", "prevalence", "value")))
    if first is not None and first[2].total:
        prevalence: float | None = first[2].positives / first[2].total
        where: JsonPath = ("spec", "thresholds", first[0])
    else:
        prevalence, where = stated, ("spec", "metrics", "prevalence", "value")
    if prevalence is not None and cohort_prevalence is not None:
        tolerance = _prevalence_tolerance(cohort_prevalence)
        if abs(prevalence - cohort_prevalence) > tolerance:
            findings.append(finding("CH831", doc.path, doc.place(where), prevalence=prevalence, cohort=named,
                                    cohort_prevalence=cohort_prevalence, tolerance=tolerance))
    days = _number(doc.spec.get("periodDays"))
    start, end = (value_at(cohort.spec, ("period", side)) for side in ("start", "end"))
    first_day, last_day = parse_day(str(start)), parse_day(str(end))
    if days is not None and first_day is not None and last_day is not None:
        length = (last_day - first_day).days + 1
        if abs(days - length) > PERIOD_TOLERANCE_DAYS:
            findings.append(finding("CH832", doc.path, doc.place(("spec", "periodDays")), days=days, cohort=named,
                                    start=start, end=end, cohort_days=length, tolerance=PERIOD_TOLERANCE_DAYS))
    return findings


# --- overall rates the counts give ---------------------------------------------------------------------------------


def _overall_rates(doc: Document, table: _Table) -> list[Finding]:
    """An overall sensitivity (PPV, ...) is the operating threshold's; a prevalence any row's. `evaluate record`
    writes them from the counts; a hand-edited one that disagrees is what the policy's floors would read."""
    findings = []
    metrics = dict(_metrics(doc.spec))
    operating = table.at(_number(doc.spec.get("operatingThreshold")))
    if operating is not None:
        rates = operating[2].rates()
        for name in COUNTED_RATES:
            stated, computed = _number(metrics.get(name, {}).get("value")), rates[name]
            if stated is not None and computed is not None and not agrees(stated, computed, min_decimals=2):
                findings.append(finding("CH833", doc.path, doc.place(("spec", "metrics", name, "value")), name=name,
                                        stated=stated, threshold=operating[1], computed=computed))
    stated = _number(metrics.get("prevalence", {}).get("value"))
    first = table.first
    if stated is not None and first is not None and first[2].total:
        computed = first[2].positives / first[2].total
        if not agrees(stated, computed, min_decimals=2):
            findings.append(finding("CH833.prevalence", doc.path, doc.place(("spec", "metrics", "prevalence", "value")),
                                    stated=stated, computed=computed))
    return findings

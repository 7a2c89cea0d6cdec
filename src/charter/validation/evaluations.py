"""Evidence that must agree with itself: invariant results against their ranges and the contract's declarations,
and a threshold table whose rates, alert volumes and counts describe one scoring of one cohort (CH801-CH809).

A JSON Schema checks each number alone; these checks read them together, because a hand-edited evaluation that
claims a higher PPV than its own counts give, or quietly drops a contract's invariant, is wrong evidence.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from charter.evaluation.confusion import Confusion, agrees
from charter.evaluation.invariants import declared_invariants, in_range
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.findings import Finding, finding
from charter.registry.index import RegistryIndex

RATES = ("alertRate", "sensitivity", "ppv", "specificity", "npv")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _range_text(expected: Any) -> str:
    low, high = value_at(expected, ("min",)), value_at(expected, ("max",))
    if low is not None and high is not None:
        return f"[{low}, {high}]"
    return f">= {low}" if low is not None else f"<= {high}"


def check_evaluation(doc: Document, index: RegistryIndex) -> list[Finding]:
    if doc.kind is None or doc.kind.name != "Evaluation" or not isinstance(doc.spec, dict):
        return []
    return [*_check_invariants(doc, index), *_check_thresholds(doc)]


def _check_invariants(doc: Document, index: RegistryIndex) -> list[Finding]:
    findings: list[Finding] = []
    items = doc.spec.get("invariants")
    items = items if isinstance(items, list) else []
    recorded: set[str] = set()
    contract_ref, declared = declared_invariants(index, doc.spec.get("model"))
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        path = ("spec", "invariants", i)
        name = str(item.get("name"))
        recorded.add(name)
        result, expected, passed = _number(item.get("result")), item.get("expected"), item.get("passed")
        if result is not None and isinstance(expected, dict) and expected:
            holds = in_range(result, expected)
            if not holds:
                findings.append(finding(
                    "CH801", doc.path, doc.place((*path, "result")),
                    f"invariant {name}: the model returned {result:g}, outside the expected {_range_text(expected)}",
                    "the model breaks a fixed-input check: fix the model before promoting it"))
            if isinstance(passed, bool) and passed != holds:
                findings.append(finding(
                    "CH802", doc.path, doc.place((*path, "passed")),
                    f"invariant {name} says passed: {str(passed).lower()}, but {result:g} is "
                    f"{'inside' if holds else 'outside'} {_range_text(expected)}",
                    f"set passed: {str(holds).lower()} (passed means result lies in expected)"))
        contract = declared.get(name)
        if contract is not None:
            for key in ("input", "expected"):
                if key in item and item[key] != contract.get(key):
                    findings.append(finding(
                        "CH804", doc.path, doc.place((*path, key)),
                        f"invariant {name}: {key} differs from the one {contract_ref} declares",
                        f"record the check with the contract's {key}: an evaluation may not change a check"))
    for name in declared:
        if name not in recorded:
            findings.append(finding(
                "CH803", doc.path, doc.place(("spec", "invariants") if items else ("spec",)),
                f"invariant {name}, declared by {contract_ref}, has no result in this evaluation",
                "run the check and record its result under spec.invariants"))
    return findings


def _counts(row: dict[str, Any]) -> Confusion | None:
    values = [row.get(k) for k in ("tp", "fp", "tn", "fn")]
    counts = [v for v in values if isinstance(v, int) and not isinstance(v, bool) and v >= 0]
    return Confusion(*counts) if len(counts) == 4 else None


def _check_thresholds(doc: Document) -> list[Finding]:
    rows = doc.spec.get("thresholds")
    rows = rows if isinstance(rows, list) else []
    findings: list[Finding] = []
    days = _number(doc.spec.get("periodDays"))
    counted: list[tuple[int, float, Confusion]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        path = ("spec", "thresholds", i)
        counts, threshold = _counts(row), _number(row.get("threshold"))
        if counts is None or threshold is None:
            continue
        counted.append((i, threshold, counts))
        rates = counts.rates()
        for name in RATES:
            stated, computed = _number(row.get(name)), rates[name]
            if stated is not None and computed is not None and not agrees(stated, computed, min_decimals=2):
                findings.append(finding(
                    "CH805", doc.path, doc.place((*path, name)),
                    f"threshold {threshold:g}: {name} is {stated:g}, but the counts give {computed:.4g}",
                    "correct the rate or the counts (charter evaluate record computes both from the counts)"))
        alerts_per_day = _number(row.get("alertsPerDay"))
        if days is not None and days > 0 and alerts_per_day is not None \
                and not agrees(alerts_per_day, counts.alerts / days):
            findings.append(finding(
                "CH807", doc.path, doc.place((*path, "alertsPerDay")),
                f"threshold {threshold:g}: {alerts_per_day:g} alerts per day, but tp + fp = {counts.alerts} over "
                f"{days:g} days is {counts.alerts / days:.4g}", "correct alertsPerDay, the counts or periodDays"))
    if counted:
        _, first_t, first = counted[0]
        for i, threshold, counts in counted[1:]:
            if counts.total != first.total or counts.positives != first.positives:
                findings.append(finding(
                    "CH806", doc.path, doc.place(("spec", "thresholds", i)),
                    f"threshold {threshold:g} counts {counts.total} units with {counts.positives} events, threshold "
                    f"{first_t:g} {first.total} with {first.positives}",
                    "every row's tp + fp + tn + fn (and tp + fn) must be the same cohort"))
        ordered = sorted(counted, key=lambda c: c[1])
        for (_, low_t, low), (i, high_t, high) in pairwise(ordered):
            if high.alerts > low.alerts or high.tp > low.tp:
                findings.append(finding(
                    "CH808", doc.path, doc.place(("spec", "thresholds", i)),
                    f"threshold {high_t:g} has more alerts ({high.alerts}) or true positives ({high.tp}) than the "
                    f"lower {low_t:g} ({low.alerts}, {low.tp})",
                    "an alert is a score at or above the threshold: counts fall as the threshold rises"))
    operating = _number(doc.spec.get("operatingThreshold"))
    thresholds = {_number(r.get("threshold")) for r in rows if isinstance(r, dict)}
    if operating is not None and rows and operating not in thresholds:
        findings.append(finding(
            "CH809", doc.path, doc.place(("spec", "operatingThreshold")),
            f"the operating threshold {operating:g} is not a row of the threshold table",
            "add its row: alert volume and PPV at the threshold in use are what promotion policy reads"))
    return findings

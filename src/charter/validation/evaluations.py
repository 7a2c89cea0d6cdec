"""Evidence that must agree with itself: invariant results against their ranges and the contract's declarations,
and a threshold table whose rates, alert volumes and counts describe one scoring of one cohort (CH801-CH809).

A JSON Schema checks each number alone; these checks read them together, because a hand-edited evaluation that
claims a higher PPV than its own counts give, or quietly drops a contract's invariant, is wrong evidence.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from charter.evaluation.confusion import Confusion, agrees, canonical_threshold
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
    return [*_check_invariants(doc, index), *check_threshold_table(doc)]


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
                findings.append(finding("CH801", doc.path, doc.place((*path, "result")), name=name, result=result,
                                        range=_range_text(expected)))
            if isinstance(passed, bool) and passed != holds:
                findings.append(finding("CH802.inside" if holds else "CH802.outside", doc.path,
                                        doc.place((*path, "passed")), name=name, result=result,
                                        range=_range_text(expected)))
        contract = declared.get(name)
        if contract is not None:
            for key in ("input", "expected"):
                if key in item and item[key] != contract.get(key):
                    findings.append(finding("CH804", doc.path, doc.place((*path, key)), name=name, key=key,
                                            contract=contract_ref))
    for name in declared:
        if name not in recorded:
            findings.append(finding("CH803", doc.path, doc.place(("spec", "invariants") if items else ("spec",)),
                                    name=name, contract=contract_ref))
    return findings


def _counts(row: dict[str, Any]) -> Confusion | None:
    values = [row.get(k) for k in ("tp", "fp", "tn", "fn")]
    counts = [v for v in values if isinstance(v, int) and not isinstance(v, bool) and v >= 0]
    return Confusion(*counts) if len(counts) == 4 else None


def check_threshold_table(doc: Document) -> list[Finding]:
    """CH805-CH809: the threshold table's rates, alert volumes and counts against each other."""
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
                findings.append(finding("CH805", doc.path, doc.place((*path, name)), threshold=threshold, name=name,
                                        stated=stated, computed=computed))
        alerts_per_day = _number(row.get("alertsPerDay"))
        if days is not None and days > 0 and alerts_per_day is not None \
                and not agrees(alerts_per_day, counts.alerts / days):
            findings.append(finding("CH807", doc.path, doc.place((*path, "alertsPerDay")), threshold=threshold,
                                    stated=alerts_per_day, alerts=counts.alerts, days=days,
                                    computed=counts.alerts / days))
    if counted:
        _, first_t, first = counted[0]
        for i, threshold, counts in counted[1:]:
            if counts.total != first.total or counts.positives != first.positives:
                findings.append(finding("CH806", doc.path, doc.place(("spec", "thresholds", i)),
                                        threshold=threshold, total=counts.total, positives=counts.positives,
                                        first=first_t, first_total=first.total, first_positives=first.positives))
        ordered = sorted(counted, key=lambda c: c[1])
        for (_, low_t, low), (i, high_t, high) in pairwise(ordered):
            if high.alerts > low.alerts or high.tp > low.tp:
                findings.append(finding("CH808" if high.alerts > low.alerts else "CH808.tp", doc.path,
                                        doc.place(("spec", "thresholds", i)), high=high_t,
                                        high_alerts=high.alerts, high_tp=high.tp, low=low_t, low_alerts=low.alerts,
                                        low_tp=low.tp))
    operating = _number(doc.spec.get("operatingThreshold"))
    thresholds = {canonical_threshold(t) for r in rows if isinstance(r, dict)
                  for t in [_number(r.get("threshold"))] if t is not None}
    if operating is not None and rows and canonical_threshold(operating) not in thresholds:
        findings.append(finding("CH809", doc.path, doc.place(("spec", "operatingThreshold")), operating=operating))
    return findings

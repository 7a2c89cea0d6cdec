"""Rules a JSON Schema cannot state: unique natural keys in lists, periods that end after they start."""

from __future__ import annotations

from charter.registry.documents import Document
from charter.registry.fields import dotted, value_at
from charter.registry.findings import Finding, finding
from charter.registry.natural_keys import keyed_lists

#: Where periods are, as (kind, path of the {start, end} mapping).
_PERIODS = (("Cohort", ("spec", "period")), ("DeploymentRecord", ("spec", "period")))


def check_unique_keys(doc: Document) -> list[Finding]:
    if doc.kind is None:
        return []
    findings: list[Finding] = []
    for path, key, items in keyed_lists(doc.kind.name, doc.data):
        first_seen: dict[object, int] = {}
        for i, item in enumerate(items):
            value = item.get(key) if isinstance(item, dict) else None
            if value is None or isinstance(value, dict | list):
                continue
            if value in first_seen:
                findings.append(finding("CH206", doc.path, doc.place((*path, i, key)), list=dotted(path), key=key,
                                        value=value, first=first_seen[value] + 1, second=i + 1))
            else:
                first_seen[value] = i
    return findings


def check_periods(doc: Document) -> list[Finding]:
    findings: list[Finding] = []
    for kind_name, path in _PERIODS:
        if doc.kind is None or doc.kind.name != kind_name:
            continue
        node = value_at(doc.data, path)
        if not isinstance(node, dict):
            continue
        start, end = node.get("start"), node.get("end")
        # ISO dates and date-times of one form compare correctly as strings.
        if isinstance(start, str) and isinstance(end, str) and len(start) == len(end) and end < start:
            findings.append(finding("CH207", doc.path, doc.place((*path, "end")), period=dotted(path), start=start,
                                    end=end))
    return findings

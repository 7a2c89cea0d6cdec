"""The counts a monitoring record carries agree with one another (CH840-CH845).

A record's denominators (units scored, alerts, labelled outcomes, events, labelled alerts, true positives; overall
and per subgroup) are what `status` holds against the evaluation, so counts that cannot all be true are refused
where they were written, as `validate` and `monitor record` read them.
"""

from __future__ import annotations

from typing import Any

from charter.deployment.expectation import COUNTS, count_of, period_days, subgroup_key
from charter.evaluation.confusion import agrees
from charter.registry.documents import Document
from charter.registry.fields import JsonPath, dotted, value_at
from charter.registry.findings import Finding, finding
from charter.registry.kinds import KINDS

#: Where each overall count lives in a record's spec.
SECTION = {"unitsScored": "health", "alerts": "health", "labelled": "outcomes", "events": "outcomes",
           "alertsLabelled": "outcomes", "truePositives": "outcomes"}
#: (part, whole): a count that counts part of what another counts can never exceed it.
PART_OF = (("alerts", "unitsScored"), ("labelled", "unitsScored"), ("events", "labelled"),
           ("alertsLabelled", "labelled"), ("alertsLabelled", "alerts"), ("truePositives", "events"),
           ("truePositives", "alertsLabelled"))


def _counts(spec: Any, paths: dict[str, JsonPath]) -> dict[str, tuple[int, JsonPath]]:
    """Each count present (a whole number; the schema reports any other value), with its path in the spec."""
    found = {}
    for name, path in paths.items():
        count = count_of(value_at(spec, path))
        if count is not None:
            found[name] = (count, path)
    return found


def _shown(path: JsonPath) -> str:
    """`spec.health.alerts`: a count's place as the schema's findings name places."""
    return dotted(("spec", *path))


def _consistency(doc: Document, counts: dict[str, tuple[int, JsonPath]], days: float | None,
                 periodless: bool) -> list[Finding]:
    """One set of counts (a record's, or one subgroup's) agrees with itself."""
    findings = []
    for part, whole in PART_OF:
        if part in counts and whole in counts and counts[part][0] > counts[whole][0]:
            (value, path), (limit, whole_path) = counts[part], counts[whole]
            findings.append(finding("CH840", doc.path, doc.place(("spec", *path)), part=_shown(path), value=value,
                                    whole=_shown(whole_path), limit=limit))
    if all(n in counts for n in ("labelled", "events", "alertsLabelled", "truePositives")):
        false_alerts = counts["alertsLabelled"][0] - counts["truePositives"][0]
        negatives = counts["labelled"][0] - counts["events"][0]
        if false_alerts > negatives >= 0 and counts["truePositives"][0] <= counts["alertsLabelled"][0]:
            findings.append(finding("CH841", doc.path, doc.place(("spec", *counts["alertsLabelled"][1])),
                                    false_alerts=false_alerts, negatives=negatives))
    if "alerts" in counts and periodless:
        findings.append(finding("CH844.alerts", doc.path, doc.place(("spec", *counts["alerts"][1])),
                                field=_shown(counts["alerts"][1])))
    if "truePositives" in counts and "alertsLabelled" not in counts and "events" not in counts:
        findings.append(finding("CH844.truePositives", doc.path, doc.place(("spec", *counts["truePositives"][1])),
                                field=_shown(counts["truePositives"][1])))
    labelled, alerts_labelled = counts.get("labelled"), counts.get("alertsLabelled")
    if labelled and alerts_labelled and "events" in counts and labelled[0] == alerts_labelled[0]:
        findings.append(finding("CH845", doc.path, doc.place(("spec", *counts["events"][1])),
                                field=_shown(counts["events"][1])))
    return findings


def check_record_counts(doc: Document) -> list[Finding]:
    """Counts within the record, each subgroup's within itself and against the whole, alertsPerDay against them."""
    if doc.kind is not KINDS["DeploymentRecord"] or not isinstance(doc.spec, dict):
        return []
    spec = doc.spec
    days = period_days(spec)
    overall = _counts(spec, {name: (SECTION[name], name) for name in COUNTS})
    # a health or outcome report without a period is already a schema error; other records may carry no period
    periodless = "period" not in spec and spec.get("type") not in ("health", "outcome")
    findings = _consistency(doc, overall, days, periodless)
    stated = value_at(spec, ("health", "alertsPerDay"))
    if isinstance(stated, int | float) and not isinstance(stated, bool) and "alerts" in overall and days is not None:
        alerts = overall["alerts"][0]
        if not agrees(stated, alerts / days):
            findings.append(finding("CH842", doc.path, doc.place(("spec", "health", "alertsPerDay")), stated=stated,
                                    alerts=alerts, days=days, computed=alerts / days))
    items = spec.get("subgroups")
    seen: dict[tuple[str, str], JsonPath] = {}
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        key = subgroup_key(item)
        if key in seen:
            findings.append(finding("CH843", doc.path, doc.place(("spec", "subgroups", i)),
                                    attribute=item.get("attribute"), value=item.get("value"),
                                    first_line=doc.place(("spec", *seen[key]))[0]))
        else:
            seen[key] = ("subgroups", i)
        counts = _counts(spec, {name: ("subgroups", i, name) for name in COUNTS})
        findings += _consistency(doc, counts, days, periodless)
        for name, (value, path) in counts.items():
            if name in overall and value > overall[name][0]:
                findings.append(finding("CH840", doc.path, doc.place(("spec", *path)), part=_shown(path),
                                        value=value, whole=_shown(overall[name][1]), limit=overall[name][0]))
    return findings


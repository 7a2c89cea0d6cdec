"""Deployment-record checks: a record describes the past, in an environment the registry knows.

Shared by `validate` (records written by any tool) and `monitor record` (checked before the file is written).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from charter.registry.config import RegistryConfig
from charter.registry.documents import Document
from charter.registry.findings import Finding, finding
from charter.registry.kinds import KINDS
from charter.registry.times import parse_instant
from charter.validation.record_counts import check_record_counts

#: Clocks of deploy systems and of this machine differ a little; more than this ahead is a mistake.
CLOCK_SKEW = timedelta(minutes=5)


def utc_timestamp(moment: datetime) -> str:
    """`2026-11-30T06:00:00Z`: the one form records write."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_dates(doc: Document, now: datetime) -> list[Finding]:
    """`at` and the period's end are not in the future, and a report is made once its period is over."""
    findings: list[Finding] = []
    spec = doc.spec if isinstance(doc.spec, dict) else {}
    at_text = spec.get("at")
    at = parse_instant(at_text) if isinstance(at_text, str) else None
    if at is not None and at > now + CLOCK_SKEW:
        findings.append(finding("CH811.at", doc.path, doc.place(("spec", "at")), at=at_text,
                                now=utc_timestamp(now)))
    period = spec.get("period")
    end_text = period.get("end") if isinstance(period, dict) else None
    end = parse_instant(end_text) if isinstance(end_text, str) else None
    if end is not None and end > now + CLOCK_SKEW:
        findings.append(finding("CH811.end", doc.path, doc.place(("spec", "period", "end")), end=end_text,
                                now=utc_timestamp(now)))
    elif end is not None and at is not None and end > at:
        findings.append(finding("CH813", doc.path, doc.place(("spec", "period", "end")), at=at_text,
                                end=end_text))
    return findings


def check_record(doc: Document, config: RegistryConfig, now: datetime | None = None) -> list[Finding]:
    if doc.kind is not KINDS["DeploymentRecord"]:
        return []
    findings = check_dates(doc, now or datetime.now(UTC)) + check_record_counts(doc)
    environment = doc.spec.get("environment") if isinstance(doc.spec, dict) else None
    if config.document is not None and isinstance(environment, str) and environment not in config.environments:
        declared = ", ".join(config.environments) or "none"
        findings.append(finding("CH814", doc.path, doc.place(("spec", "environment")),
                                environment=environment, declared=declared))
    return findings

"""`status`: what should run where (environment files) against what deploy systems last said runs (records).

The environment files are the intent; deployment records are the deploy systems' reports. Replaying a model's
records in time order gives what runs now: `deployed` replaces the version deployed before, `canary-started`
adds a version beside it, `rolled-back` takes a version out (and, for the deployed one, the version deployed
before it runs again). Where intent and report differ the row says how, so a script can act on it.

The latest health and outcome reports are also held against expectation (`deployment.expectation`): where they
carry counts, each monitored figure is compared with the evaluation its version was promoted on, and a figure
outside expectation fails the report as drift does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from charter.deployment.expectation import Comparison, Expectation, Expectations, period_days, record_counts
from charter.deployment.model_performance import HEALTH_METRICS, OUTCOME_METRICS
from charter.errors import NotAnEnvironment, NotAnEnvironmentNone
from charter.registry.config import RegistryConfig
from charter.registry.documents import Document
from charter.registry.environments import assignment_items
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS
from charter.registry.references import Reference
from charter.registry.times import parse_instant
from charter.registry.versions import version_key

#: Record types that change what runs.
DEPLOY_TYPES = ("deployed", "canary-started", "rolled-back")

IN_SYNC = "in-sync"
NOT_DEPLOYED = "not-deployed"  # assigned, but no deploy system has reported it running
DIFFERENT_VERSION = "different-version"  # running versions are not the assigned ones
ROLLED_BACK = "rolled-back"  # the assigned version was rolled back and nothing replaced it
NOT_ASSIGNED = "not-assigned"  # running, but no version of the model is assigned there
STATES = (IN_SYNC, NOT_DEPLOYED, DIFFERENT_VERSION, ROLLED_BACK, NOT_ASSIGNED)


@dataclass(frozen=True, slots=True)
class Figures:
    """The latest health or outcome report of a model in an environment."""

    record: str
    version: str
    at: str
    age_days: float | None
    values: dict[str, float]
    counts: dict[str, int] = field(default_factory=dict)  # the denominators the report carries
    period_days: float | None = None
    expectation: Expectation | None = None  # None: no counts to hold against the evaluation

    def to_dict(self) -> dict[str, Any]:
        return {"record": self.record, "version": self.version, "at": self.at, "ageDays": self.age_days,
                "values": self.values, "counts": self.counts,
                "periodDays": None if self.period_days is None else round(self.period_days, 6),
                "expectation": self.expectation.to_dict() if self.expectation else None}


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """One model in one environment: intent, report, and whether they agree."""

    environment: str
    model: str
    expected: tuple[str, ...]  # assigned versions, `VERSION (mode)` order as in the environment file
    expected_modes: dict[str, str]
    running: tuple[str, ...]  # versions the records say run
    state: str
    detail: str
    last_event: str | None  # reference of the latest deployment event (deployed, canary, rollback, incident)
    last_event_type: str | None
    last_event_at: str | None
    health: Figures | None = None
    outcome: Figures | None = None

    @property
    def in_sync(self) -> bool:
        return self.state == IN_SYNC

    @property
    def outside_expectation(self) -> list[Comparison]:
        """The monitored figures of the latest reports that lie outside expectation."""
        return [c for f in (self.health, self.outcome) if f is not None and f.expectation is not None
                for c in f.expectation.outside]

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment, "model": self.model,
            "expected": [{"version": v, "mode": self.expected_modes.get(v, "full")} for v in self.expected],
            "running": list(self.running), "state": self.state, "inSync": self.in_sync, "detail": self.detail,
            "lastEvent": None if self.last_event is None else {
                "record": self.last_event, "type": self.last_event_type, "at": self.last_event_at},
            "health": self.health.to_dict() if self.health else None,
            "outcome": self.outcome.to_dict() if self.outcome else None,
            "withinExpectation": not self.outside_expectation,
        }


@dataclass(frozen=True)
class StatusReport:
    rows: list[ModelStatus] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return all(row.in_sync for row in self.rows)

    @property
    def within_expectation(self) -> bool:
        return not any(row.outside_expectation for row in self.rows)

    @property
    def ok(self) -> bool:
        """In sync, and every monitored figure within expectation: what exit code 0 means."""
        return self.in_sync and self.within_expectation

    def to_dict(self) -> dict[str, Any]:
        return {"inSync": self.in_sync, "withinExpectation": self.within_expectation,
                "models": [row.to_dict() for row in self.rows]}


@dataclass(frozen=True, slots=True)
class _Record:
    doc: Document
    model: str
    version: str
    environment: str
    type: str
    at: str
    instant: datetime


def _records(index: RegistryIndex) -> list[_Record]:
    found = []
    for doc in index.entries(KINDS["DeploymentRecord"]):
        spec = doc.spec
        ref, env, kind, at = (value_at(spec, (k,)) for k in ("model", "environment", "type", "at"))
        if not all(isinstance(v, str) for v in (ref, env, kind, at)) or "@" not in ref:
            continue
        instant = parse_instant(at)
        if instant is None:
            continue
        name, version = ref.removeprefix("model:").split("@", 1)
        found.append(_Record(doc, name, version, env, kind, at, instant))
    return sorted(found, key=lambda r: (r.instant, r.doc.name or ""))


def _assignments(doc: Document | None) -> list[tuple[str, str, str]]:
    """(model, version, mode) of every assignment in an environment file."""
    found = []
    for item in assignment_items(doc.spec if doc is not None else None):
        ref = item["model"]
        if ref.startswith("model:") and "@" in ref:
            name, version = ref.removeprefix("model:").split("@", 1)
            found.append((name, version, str(item.get("mode", "full"))))
    return found


def _replay(records: list[_Record]) -> tuple[list[str], set[str]]:
    """What runs after these deploy events (oldest first), and the versions rolled back and not redeployed."""
    deployed: list[str] = []  # versions deployed in turn; the last one runs
    canaries: list[str] = []
    rolled_back: set[str] = set()
    for record in records:
        version = record.version
        if record.type == "deployed":
            canaries = [v for v in canaries if v != version]
            deployed = [v for v in deployed if v != version] + [version]
            rolled_back.discard(version)
        elif record.type == "canary-started":
            canaries = [v for v in canaries if v != version] + [version]
            rolled_back.discard(version)
        elif record.type == "rolled-back":
            canaries = [v for v in canaries if v != version]
            deployed = [v for v in deployed if v != version]
            rolled_back.add(version)
    running = ([deployed[-1]] if deployed else []) + [v for v in canaries if not deployed or v != deployed[-1]]
    return running, rolled_back


def _figures(record: _Record | None, keys: tuple[str, ...], section: str, now: datetime,
             expectations: Expectations) -> Figures | None:
    if record is None:
        return None
    data = value_at(record.doc.spec, (section,))
    values: dict[str, float] = {}
    if isinstance(data, dict):
        for key in keys:
            value = data.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[key] = float(value)
        measures = data.get("measures") if section == "outcomes" else None
        for key, value in (measures if isinstance(measures, dict) else {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[str(key)] = float(value)
    age = round((now - record.instant).total_seconds() / 86400, 1)
    spec = record.doc.spec
    return Figures(str(record.doc.ref), record.version, record.at, age, values, record_counts(spec),
                   period_days(spec), expectations.of(record.doc))


def _compare(expected: list[str], running: list[str], rolled_back: set[str], reported: bool) -> tuple[str, str]:
    if set(expected) == set(running):
        return IN_SYNC, "runs as assigned" if expected else "nothing assigned, nothing running"
    if not expected:
        return NOT_ASSIGNED, f"{', '.join(running)} runs but no version is assigned"
    missing = [v for v in expected if v not in running]
    if not reported:
        return NOT_DEPLOYED, f"no deploy system has reported {', '.join(expected)} running"
    back = [v for v in missing if v in rolled_back]
    now = ", ".join(running) if running else "nothing"
    if back:
        return ROLLED_BACK, f"{', '.join(back)} was rolled back; {now} runs"
    if not running:
        return NOT_DEPLOYED, f"{', '.join(missing)} not deployed yet; nothing runs"
    extra = [v for v in running if v not in expected]
    detail = f"assigned {', '.join(expected)}, running {now}"
    if extra and not missing:
        detail += f" ({', '.join(extra)} still runs)"
    return DIFFERENT_VERSION, detail


def environment_names(index: RegistryIndex, config: RegistryConfig) -> list[str]:
    """Declared environments in promotion order, then any others that have a file or records."""
    names = list(config.environments)
    extra = {d.name for d in index.entries(KINDS["Environment"]) if d.name}
    extra |= {r.environment for r in _records(index)}
    return names + sorted(extra - set(names))


def compute_status(index: RegistryIndex, config: RegistryConfig, environment: str | None = None,
                   now: datetime | None = None) -> StatusReport:
    """One row per model and environment that has an assignment or a record; `environment` picks one."""
    now = now or datetime.now(UTC)
    names = environment_names(index, config)
    if environment is not None:
        if environment not in names:
            unknown = NotAnEnvironment if names else NotAnEnvironmentNone
            raise unknown(environment=environment, known=", ".join(names))
        names = [environment]
    expectations = Expectations(index, config)
    grouped: dict[tuple[str, str], list[_Record]] = defaultdict(list)
    for record in _records(index):  # oldest first, and so within each group
        grouped[(record.environment, record.model)].append(record)
    rows: list[ModelStatus] = []
    for env in names:
        assigned = _assignments(index.get(Reference("environment", env)))
        reported = sorted(model for environment, model in grouped if environment == env)
        for model in dict.fromkeys([a[0] for a in assigned] + reported):
            expected = [v for m, v, _ in assigned if m == model]
            modes = {v: mode for m, v, mode in assigned if m == model}
            mine = grouped.get((env, model), [])
            deploys = [r for r in mine if r.type in DEPLOY_TYPES]
            running, rolled_back = _replay(deploys)
            state, detail = _compare(expected, running, rolled_back, bool(deploys))
            events = [r for r in mine if r.type in (*DEPLOY_TYPES, "incident")]
            last = events[-1] if events else None
            health = next((r for r in reversed(mine) if r.type == "health"), None)
            outcome = next((r for r in reversed(mine) if r.type == "outcome"), None)
            rows.append(ModelStatus(
                env, model, tuple(expected), modes, tuple(sorted(running, key=version_key)), state, detail,
                str(last.doc.ref) if last else None, last.type if last else None, last.at if last else None,
                _figures(health, HEALTH_METRICS, "health", now, expectations),
                _figures(outcome, OUTCOME_METRICS, "outcomes", now, expectations),
            ))
    return StatusReport(rows)

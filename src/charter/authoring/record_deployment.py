"""`monitor record`: a deploy event or a health/outcome report becomes a DeploymentRecord, in one commit.

Records are append-only and one file each, named by the time they describe plus model, environment, type and a
random suffix: two deploy systems writing at once (in one clone or in two) never touch the same file, and the
file names sort by time. The input file is checked where it is, so a mistake is reported at its line and column
in the file the reporter wrote, not in a record nobody has seen yet.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.errors import (
    InvalidRecord,
    NotAnEnvironment,
    NotAnEnvironmentNoneDeclared,
    RecordExists,
    RecordFileNotAMapping,
    RecordFileNotFound,
    RecordFileNotJson,
    RecordFileNotYaml,
    RecordFileUnreadable,
    RecordModelNotFound,
    RecordNamesNoVersion,
    RecordVersionNotFound,
    UnknownRecordType,
)
from charter.registry.config import RegistryConfig
from charter.registry.documents import Document
from charter.registry.fields import JsonPath, Positions
from charter.registry.findings import Finding, finding, has_errors
from charter.registry.index import RegistryIndex
from charter.registry.kinds import API_VERSION, KINDS, NAME_RE
from charter.registry.references import Reference, parse_reference
from charter.registry.times import parse_instant
from charter.registry.yamlio import DataUnreadable, dump_yaml, load_data
from charter.validation.records import utc_timestamp

if TYPE_CHECKING:
    from charter.authoring.change import Change

RECORD_TYPES = ("deployed", "canary-started", "rolled-back", "incident", "health", "outcome")
_ENVELOPE = ("apiVersion", "kind", "metadata", "spec")
_NAME_LIMIT = 63


@dataclass
class MonitorRequest:
    """What to record: the model version and environment from the command line, the rest from `file`."""

    model: str
    environment: str
    file: Path
    record_type: str | None = None
    reporter: str | None = None
    commit: bool = True
    now: datetime | None = None


@dataclass(frozen=True)
class DraftRecord:
    """A record built from the input, not yet checked; `given` is the spec as the file wrote it."""

    document: Document
    model: Reference
    given: dict[str, Any]


@dataclass(frozen=True)
class RecordedEntry:
    ref: str
    path: str  # registry-relative
    document: dict[str, Any]
    commit: str | None
    warnings: list[Finding]


def read_input(path: Path) -> tuple[dict[str, Any], Positions]:
    """The record file's mapping and where each value is; a file that does not parse is one clear error."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RecordFileNotFound(path=path) from None
    except OSError as exc:
        raise RecordFileUnreadable(path=path, error=exc) from None
    try:
        data, positions = load_data(raw, str(path), as_json=path.suffix.lower() == ".json")
    except DataUnreadable as exc:
        shown = RecordFileNotJson if exc.json else RecordFileNotYaml
        raise shown(path=path, line=exc.line, column=exc.column, problem=exc.problem) from None
    if not isinstance(data, dict):
        raise RecordFileNotAMapping(path=path)
    return data, positions


def _shifted(positions: Positions, prefix: JsonPath) -> Positions:
    """Positions of a spec-only file, as if the file were the record's `spec`."""
    return Positions({(*prefix, *k): v for k, v in positions.values.items()},
                     {(*prefix, *k): v for k, v in positions.keys.items()})


def record_name(model: Reference, environment: str, record_type: str, at: datetime) -> str:
    """`20261130-061500-sepsis-risk-1-0-0-production-health-3fa9c2`: sorts by time, unique by its suffix."""
    stamp = at.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    suffix = secrets.token_hex(3)
    middle = re.sub(r"[^a-z0-9]+", "-", f"{model.name}-{model.version}-{environment}-{record_type}".lower())
    room = _NAME_LIMIT - len(stamp) - len(suffix) - 2
    middle = middle[:room].strip("-")
    return f"{stamp}-{middle}-{suffix}" if middle else f"{stamp}-{suffix}"


def _now(request: MonitorRequest) -> datetime:
    return (request.now or datetime.now(UTC)).replace(microsecond=0)


def _check_known(index: RegistryIndex, config: RegistryConfig, request: MonitorRequest) -> tuple[Reference, Document]:
    """The model version and environment named on the command line exist (usage errors otherwise)."""
    model = parse_reference(request.model if request.model.startswith("model:") else f"model:{request.model}")
    if model.version is None:
        raise RecordNamesNoVersion(model=model)
    doc = index.get(model)
    if doc is None:
        versions = [d.version or "" for d in index.versions(KINDS["ModelVersion"], model.name)]
        if versions:
            raise RecordVersionNotFound(model=model, versions=", ".join(versions))
        raise RecordModelNotFound(model=model)
    known = list(config.environments) or [d.name or "" for d in index.entries(KINDS["Environment"])]
    if request.environment not in known:
        unknown = NotAnEnvironment if known else NotAnEnvironmentNoneDeclared
        raise unknown(environment=request.environment, known=", ".join(known))
    if request.record_type is not None and request.record_type not in RECORD_TYPES:
        raise UnknownRecordType(record_type=request.record_type, known=", ".join(RECORD_TYPES))
    return model, doc


def _agreement(doc: Document, request: MonitorRequest, model: Reference, given: dict[str, Any]) -> list[Finding]:
    """Values the file repeats must agree with the command line."""
    findings = []
    for key, wanted in (("model", str(model)), ("environment", request.environment), ("type", request.record_type)):
        value = given.get(key)
        if wanted is not None and value is not None and value != wanted:
            findings.append(finding("CH812", doc.path, doc.place(("spec", key)), key=key, value=value,
                                    wanted=wanted))
    return findings


def build_record(index: RegistryIndex, config: RegistryConfig, request: MonitorRequest,
                 data: dict[str, Any], positions: Positions) -> DraftRecord:
    """The record to write, as a Document whose positions point into the input file; not yet checked."""
    model, version_doc = _check_known(index, config, request)
    full = any(key in data for key in _ENVELOPE)
    spec_in = data.get("spec") if full else data
    spec: dict[str, Any] = dict(spec_in) if isinstance(spec_in, dict) else {}
    meta_in = data.get("metadata") if full else None
    metadata: dict[str, Any] = dict(meta_in) if isinstance(meta_in, dict) else {}
    if not full and "description" in spec:
        metadata["description"] = spec.pop("description")
    given = dict(spec)
    record_type = request.record_type or spec.get("type")
    spec.setdefault("model", str(model))
    spec.setdefault("environment", request.environment)
    if request.record_type is not None:
        spec.setdefault("type", request.record_type)
    if request.reporter is not None:
        spec.setdefault("reporter", request.reporter)
    spec.setdefault("at", utc_timestamp(_now(request)))
    at = parse_instant(spec["at"]) if isinstance(spec["at"], str) else None
    shown_type = record_type if isinstance(record_type, str) and record_type in RECORD_TYPES else "record"
    name = record_name(model, request.environment, shown_type, at or _now(request))
    family = index.get(Reference("model", model.name))
    metadata["name"] = name
    metadata.setdefault("owner", family.owner if family is not None and family.owner else version_doc.owner)
    metadata.setdefault("description", f"{shown_type} of {model} in {request.environment}.")
    metadata.setdefault("status", "active")
    leading = ("model", "environment", "type", "at", "reporter")
    spec = {**{k: spec[k] for k in leading if k in spec}, **spec}
    document: dict[str, Any] = {"apiVersion": data.get("apiVersion", API_VERSION) if full else API_VERSION,
                                "kind": data.get("kind", "DeploymentRecord") if full else "DeploymentRecord",
                                "metadata": metadata, "spec": spec}
    doc = Document(str(request.file), document, positions if full else _shifted(positions, ("spec",)))
    return DraftRecord(doc, model, given)


def check_record(draft: DraftRecord, index: RegistryIndex, request: MonitorRequest) -> list[Finding]:
    """Schema, periods, references, dates, counts, and agreement with the command line."""
    from charter.validation.record_counts import check_record_counts
    from charter.validation.records import check_dates
    from charter.validation.references import check_references
    from charter.validation.schema_check import check_schema
    from charter.validation.semantics import check_periods

    doc = draft.document
    findings = check_schema(doc) + check_periods(doc) + check_references(doc, index) + check_dates(doc, _now(request))
    findings += check_record_counts(doc)
    findings += _agreement(doc, request, draft.model, draft.given)
    return sorted(dict.fromkeys(findings), key=lambda f: f.sort_key)


def record_event(root: Path, request: MonitorRequest) -> RecordedEntry:
    """Check the input, write `records/NAME.yaml` atomically and commit it; on any failure nothing stays.

    Monitoring and deploy systems write at once by nature: the change takes its turn (`authoring.change`), so
    every parallel record lands in a commit of its own, and a record killed part-way is undone by the next change.
    """
    from charter.authoring.change import change

    data, positions = read_input(request.file)  # the reporter's mistake is said without waiting for the lock
    with change(root, "monitor record", needs_git=request.commit) as current:
        return _record(root, request, data, positions, current)


def _record(root: Path, request: MonitorRequest, data: dict[str, Any], positions: Positions,
            current: Change) -> RecordedEntry:
    from charter.authoring.codeowners import keep_codeowners_in_step
    from charter.registry.schemas import schema_comment
    from charter.store.loader import LazyRegistry
    from charter.store.transaction import write_text_atomic

    # Deploy jobs call this for every event: parse only the entries the record names, as `validate PATHS` does.
    lazy = LazyRegistry(root)
    index, config = lazy.index, lazy.config
    draft = build_record(index, config, request, data, positions)
    findings = check_record(draft, index, request)
    if has_errors(findings):
        raise InvalidRecord(findings)
    kind, doc = KINDS["DeploymentRecord"], draft.document
    name = doc.name or ""
    assert NAME_RE.match(name), name  # record_name only makes valid names
    relpath = kind.relative_path(name, None)
    if (root / relpath).exists():  # six random hex digits make this all but impossible; never overwrite a record
        raise RecordExists(path=relpath)
    current.begin(relpath, entry=relpath)
    write_text_atomic(root / relpath, f"{schema_comment(kind, relpath)}\n{dump_yaml(doc.data)}")
    codeowners = keep_codeowners_in_step(current, relpath, doc.owner)
    commit = current.commit(_commit_message(relpath, doc), [relpath], [codeowners] if codeowners else []) \
        if request.commit else None
    return RecordedEntry(f"record:{name}", relpath, doc.data, commit, findings)


def _commit_message(relpath: str, doc: Document) -> str:
    spec = doc.spec
    return "\n".join([
        f"Record {spec.get('type')} of {spec.get('model')} in {spec.get('environment')}", "",
        f"record: {relpath}", f"at: {spec.get('at')}", f"reporter: {spec.get('reporter')}",
    ])

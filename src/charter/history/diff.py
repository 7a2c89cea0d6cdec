"""Semantic diff: what changed between two entries, or two revisions of a registry, and how much it matters.

Two documents are walked side by side. Lists with a natural key (input fields by name, thresholds by value,
subgroups by name) are compared by that key, so reordering is no change and a rename is a removal plus an addition;
lists of plain values are compared as sets; other lists by position. Each difference is one `Change` with its old
and new value, and gets exactly one class (breaking, warning, info) from an ordered table of rules: the first rule
whose kind, path pattern, operation and condition match decides. The table is data (`RULES`), not code.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from charter.registry.documents import Document, parse_document
from charter.registry.environments import assignment_items
from charter.registry.fields import JsonPath
from charter.registry.kinds import ENTRY_FOLDERS, REGISTRY_FILE, is_entry_candidate, locate_path
from charter.registry.natural_keys import NATURAL_KEYS
from charter.registry.versions import major_of

if TYPE_CHECKING:
    from charter.adapters.git.repo import RevisionReader

Op = Literal["added", "removed", "changed"]
ChangeClass = Literal["breaking", "warning", "info"]
#: The classes, most serious first: the order of every summary and report.
CLASSES: tuple[ChangeClass, ...] = ("breaking", "warning", "info")
#: Kinds whose version number promises compatibility: a breaking change needs a new major version (CH603).
#: A model version's number tells the order of training runs; what callers rely on is its contract.
SEMVER_KINDS = frozenset({"Contract", "EventDefinition", "Cohort"})
#: Free-text fields that document rather than define; changing them is information.
DOC_FIELDS = frozenset({"description", "notes", "note"})
#: The metadata that the diff reports (name and version are the entry's identity, not a change of it).
METADATA_FIELDS = ("owner", "description", "status", "tags")
#: Keyed lists the diff compares by key beyond `natural_keys.NATURAL_KEYS` (which validation also enforces as
#: unique; these may repeat a key, and a list that does is compared by position).
DIFF_KEYS: dict[str, tuple[tuple[JsonPath, str], ...]] = {
    "Environment": ((("spec", "assignments"), "model"),),
    "EventDefinition": ((("spec", "reviewers"), "name"),),
    "ModelVersion": ((("spec", "provenance", "datasets"), "name"),),
}


@dataclass(frozen=True)
class Change:
    """One difference between two documents.

    `path` is where the change is in the newer document (a removed list item: the list it left), so a finding
    or an editor can point at it; `field` names the place for people, with list items by their natural key:
    `spec.input.fields[heart_rate].unit`. `delta` is new minus old where both are numbers.
    """

    path: JsonPath
    op: Op
    old: Any
    new: Any
    severity: ChangeClass
    reason: str
    delta: float | None = None
    field: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "path": list(self.path), "op": self.op, "old": self.old, "new": self.new,
                "severity": self.severity, "reason": self.reason, "delta": self.delta}

    @property
    def summary(self) -> str:
        """One line: `spec.input.fields[heart_rate].unit: bpm → beats/min (unit changed)`."""
        return f"{self.field}: {describe_values(self)} ({self.reason})"


# --- rules --------------------------------------------------------------------------------------------------------

Condition = Callable[[Any, Any], bool]
_ALL_OPS: frozenset[Op] = frozenset({"added", "removed", "changed"})


def _always(old: Any, new: Any) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    """`kind` ("*" for every kind), a path `pattern`, the operations it covers, a condition on (old, new).

    Patterns are dotted paths: `*` is any one mapping key, `[]` any list item (and any member of a list of plain
    values), `**` any number of segments: `spec.input.fields[].range.min`, `spec.codeSets.**`, `**.description`.
    """

    kind: str
    pattern: str
    ops: frozenset[Op]
    severity: ChangeClass
    reason: str
    when: Condition = _always

    def matches(self, kind: str, steps: tuple[str, ...], op: Op, old: Any, new: Any) -> bool:
        return (self.kind in ("*", kind) and op in self.ops and _glob(_tokens(self.pattern), steps)
                and self.when(old, new))


def _rule(kind: str, pattern: str, ops: str, severity: ChangeClass, reason: str,
          when: Condition = _always) -> Rule:
    chosen = _ALL_OPS if ops == "any" else frozenset(o for o in _ALL_OPS if o in ops.split())
    return Rule(kind, pattern, chosen, severity, reason, when)


@cache
def _tokens(pattern: str) -> tuple[str, ...]:
    return tuple(t for t in re.split(r"\.|(\[\])", pattern) if t)


def _glob(pattern: tuple[str, ...], steps: tuple[str, ...]) -> bool:
    if not pattern:
        return not steps
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_glob(rest, steps[i:]) for i in range(len(steps) + 1))
    if not steps:
        return False
    if head == "*":
        return steps[0] != "[]" and _glob(rest, steps[1:])
    return head == steps[0] and _glob(rest, steps[1:])


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _raised(old: Any, new: Any) -> bool:
    a, b = _number(old), _number(new)
    return a is not None and b is not None and b > a


def _lowered(old: Any, new: Any) -> bool:
    a, b = _number(old), _number(new)
    return a is not None and b is not None and b < a


def _made_required(old: Any, new: Any) -> bool:
    return new is True and old is not True


def _is_required(old: Any, new: Any) -> bool:
    return isinstance(new, dict) and new.get("required") is True


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_DURATION_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def duration_seconds(text: Any) -> float | None:
    """An ISO 8601 duration in seconds (a year as 365 days, a month as 30), or None if it is not one."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    return sum(float(part) * unit for part, unit in zip(match.groups(), _DURATION_SECONDS, strict=True) if part)


def _shortened(old: Any, new: Any) -> bool:
    a, b = duration_seconds(old), duration_seconds(new)
    return a is not None and b is not None and b < a


BREAKING: ChangeClass = "breaking"
WARNING: ChangeClass = "warning"
INFO: ChangeClass = "info"
_CONTRACT_FIELD = "spec.input.fields[]"

#: The classification table: the first rule that matches a change decides its class. Kind rules come first,
#: then the rules for every kind: documentation and metadata are information, additions are information, any
#: other removal or change is a warning.
RULES: tuple[Rule, ...] = (
    *(_rule("*", f"**.{name}", "any", INFO, "documentation") for name in sorted(DOC_FIELDS)),
    # Contract: what callers send, what they get back, how fast, and what happens when scoring fails.
    _rule("Contract", _CONTRACT_FIELD, "removed", BREAKING, "input field removed"),
    _rule("Contract", _CONTRACT_FIELD, "added", BREAKING, "required input field added", _is_required),
    _rule("Contract", _CONTRACT_FIELD, "added", INFO, "optional input field added"),
    _rule("Contract", f"{_CONTRACT_FIELD}.type", "any", BREAKING, "type changed"),
    _rule("Contract", f"{_CONTRACT_FIELD}.unit", "changed removed", BREAKING, "unit changed"),
    _rule("Contract", f"{_CONTRACT_FIELD}.unit", "added", WARNING, "unit now stated"),
    _rule("Contract", f"{_CONTRACT_FIELD}.required", "any", BREAKING, "made required", _made_required),
    _rule("Contract", f"{_CONTRACT_FIELD}.required", "any", INFO, "made optional"),
    _rule("Contract", f"{_CONTRACT_FIELD}.range", "added", BREAKING, "range added"),
    _rule("Contract", f"{_CONTRACT_FIELD}.range.min", "added", BREAKING, "range tightened (lower bound added)"),
    _rule("Contract", f"{_CONTRACT_FIELD}.range.max", "added", BREAKING, "range tightened (upper bound added)"),
    _rule("Contract", f"{_CONTRACT_FIELD}.range.min", "changed", BREAKING, "range tightened (min raised)", _raised),
    _rule("Contract", f"{_CONTRACT_FIELD}.range.max", "changed", BREAKING, "range tightened (max lowered)", _lowered),
    _rule("Contract", f"{_CONTRACT_FIELD}.range.**", "changed removed", INFO, "range widened", _always),
    _rule("Contract", f"{_CONTRACT_FIELD}.allowed[]", "removed", BREAKING, "allowed value removed"),
    _rule("Contract", f"{_CONTRACT_FIELD}.allowed[]", "added", INFO, "allowed value added"),
    _rule("Contract", f"{_CONTRACT_FIELD}.allowed", "added", BREAKING, "values restricted to a list"),
    _rule("Contract", f"{_CONTRACT_FIELD}.allowed", "removed", INFO, "values no longer restricted"),
    _rule("Contract", f"{_CONTRACT_FIELD}.freshness", "added", BREAKING, "freshness limit added"),
    _rule("Contract", f"{_CONTRACT_FIELD}.freshness.maxAge", "changed", BREAKING,
          "freshness tightened (maxAge shortened)", _shortened),
    _rule("Contract", f"{_CONTRACT_FIELD}.freshness.maxAge", "changed", INFO, "freshness loosened (maxAge longer)"),
    _rule("Contract", f"{_CONTRACT_FIELD}.freshness", "removed", INFO, "freshness limit removed"),
    _rule("Contract", f"{_CONTRACT_FIELD}.missing.**", "any", WARNING, "missing-value behaviour changed"),
    _rule("Contract", "spec.latency.*", "changed", BREAKING, "latency tightened", _lowered),
    _rule("Contract", "spec.latency.*", "changed", WARNING, "latency loosened"),
    _rule("Contract", "spec.output.type", "any", BREAKING, "output type changed"),
    _rule("Contract", "spec.output.range.**", "any", BREAKING, "output range changed"),
    _rule("Contract", "spec.output.interpretation", "any", BREAKING, "output interpretation changed"),
    _rule("Contract", "spec.output.thresholds.**", "any", BREAKING, "output thresholds changed"),
    _rule("Contract", "spec.output.classes.**", "any", BREAKING, "output classes changed"),
    _rule("Contract", "spec.fallback", "removed", BREAKING, "fallback removed"),
    _rule("Contract", "spec.fallback.behaviour", "any", BREAKING, "fallback behaviour changed"),
    _rule("Contract", "spec.fallback.value", "any", BREAKING, "fallback value changed"),
    # EventDefinition: any change to what fires the event changes what the label means.
    _rule("EventDefinition", "spec.logic", "any", BREAKING, "event logic changed"),
    _rule("EventDefinition", "spec.codeSets.**", "any", BREAKING, "code set changed"),
    _rule("EventDefinition", "spec.timeAnchor", "any", BREAKING, "time anchor changed"),
    _rule("EventDefinition", "spec.windows.**", "any", BREAKING, "window changed"),
    _rule("EventDefinition", "spec.inclusion.**", "any", BREAKING, "inclusion criteria changed"),
    _rule("EventDefinition", "spec.exclusion.**", "any", BREAKING, "exclusion criteria changed"),
    _rule("EventDefinition", "spec.implementation.hash", "any", BREAKING, "implementation changed (content hash)"),
    # Cohort: any change to who is in it changes what the population means.
    _rule("Cohort", "spec.inclusion.**", "any", BREAKING, "inclusion criteria changed"),
    _rule("Cohort", "spec.exclusion.**", "any", BREAKING, "exclusion criteria changed"),
    _rule("Cohort", "spec.period.**", "any", BREAKING, "period changed"),
    _rule("Cohort", "spec.sites.**", "any", BREAKING, "sites changed"),
    _rule("Cohort", "spec.dataSource.**", "any", BREAKING, "data source changed"),
    _rule("Cohort", "spec.labelEvent", "any", BREAKING, "label event changed"),
    # ModelVersion: metrics move (with their delta); another artifact is another model.
    _rule("ModelVersion", "spec.metrics.*", "changed", INFO, "metric changed"),
    _rule("ModelVersion", "spec.metrics.*", "added", INFO, "metric added"),
    _rule("ModelVersion", "spec.metrics.*", "removed", INFO, "metric removed"),
    _rule("ModelVersion", "spec.artifact.hash", "any", BREAKING, "artifact changed (hash)"),
    _rule("ModelVersion", "spec.provenance.**", "any", INFO, "training provenance"),
    # Evaluation: the evidence moved.
    _rule("Evaluation", "spec.metrics.**", "changed", WARNING, "metric changed"),
    _rule("Evaluation", "spec.thresholds.**", "changed", WARNING, "threshold row changed"),
    _rule("Evaluation", "spec.operatingThreshold", "changed", WARNING, "operating threshold changed"),
    _rule("Evaluation", "spec.subgroups[].metrics.*", "changed", WARNING, "subgroup metric changed"),
    # Environment: assignments are promotions (also listed as such by `diff_revisions`).
    _rule("Environment", "spec.assignments[]", "added", INFO, "model version assigned"),
    _rule("Environment", "spec.assignments[]", "removed", WARNING, "model version unassigned"),
    _rule("Environment", "spec.assignments[].mode", "any", WARNING, "rollout mode changed"),
    _rule("Environment", "spec.assignments[].percent", "any", WARNING, "canary share changed"),
    # Every kind.
    _rule("*", "metadata.**", "any", INFO, "metadata changed"),
    _rule("*", "**", "added", INFO, "added"),
    _rule("*", "**", "removed", WARNING, "removed"),
    _rule("*", "**", "changed", WARNING, "changed"),
)


def classify(kind_name: str, steps: tuple[str, ...], op: Op, old: Any, new: Any,
             rules: tuple[Rule, ...] = RULES) -> tuple[ChangeClass, str]:
    """The class and reason of the first rule that matches."""
    for rule in rules:
        if rule.matches(kind_name, steps, op, old, new):
            return rule.severity, rule.reason
    return "warning", "changed"  # pragma: no cover - the last rules match everything


# --- walking two documents ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _At:
    """A place in both documents: its path in the newer one, its name for people, its steps for the rules."""

    path: JsonPath
    shown: str
    steps: tuple[str, ...]

    def key(self, key: str) -> _At:
        return _At((*self.path, key), f"{self.shown}.{key}" if self.shown else key, (*self.steps, key))

    def item(self, index: int, label: str) -> _At:
        return _At((*self.path, index), f"{self.shown}[{label}]", (*self.steps, "[]"))

    def member(self, index: int | None) -> _At:
        """A member of a list of plain values: named by the list, the value itself is the change."""
        return _At(self.path if index is None else (*self.path, index), self.shown, (*self.steps, "[]"))


@dataclass(frozen=True)
class _Raw:
    at: _At
    op: Op
    old: Any
    new: Any


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if _number(old) is not None and _number(new) is not None:
        return bool(old == new)
    return type(old) is type(new) and bool(old == new)


def _member_key(value: Any) -> tuple[str, Any]:
    """Hashable identity of a plain value; `true` and `1` are different values."""
    if isinstance(value, bool):
        return ("bool", value)
    if _number(value) is not None:
        return ("number", float(value))
    return (type(value).__name__, value)


def key_label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _list_key(kind_name: str, steps: tuple[str, ...]) -> str | None:
    for path, key in (*NATURAL_KEYS.get(kind_name, ()), *DIFF_KEYS.get(kind_name, ())):
        if tuple(str(p) for p in path) == steps:
            return key
    return None


def _keyed(items: list[Any], key: str) -> dict[Any, int] | None:
    """Key value → index, or None where an item lacks a plain key or two share one."""
    found: dict[Any, int] = {}
    for i, item in enumerate(items):
        value = item.get(key) if isinstance(item, dict) else None
        if value is None or not _scalar(value) or _member_key(value) in found:
            return None
        found[_member_key(value)] = i
    return found


def _walk(kind: str, old: Any, new: Any, at: _At) -> Iterator[_Raw]:
    if _same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                yield _Raw(at.key(key), "removed", old[key], None)
        for key in new:
            if key not in old:
                yield _Raw(at.key(key), "added", None, new[key])
            else:
                yield from _walk(kind, old[key], new[key], at.key(key))
    elif isinstance(old, list) and isinstance(new, list):
        yield from _walk_list(kind, old, new, at)
    else:
        yield _Raw(at, "changed", old, new)


def _walk_list(kind: str, old: list[Any], new: list[Any], at: _At) -> Iterator[_Raw]:
    key = _list_key(kind, at.steps)
    before = _keyed(old, key) if key else None
    after = _keyed(new, key) if key else None
    if key and before is not None and after is not None:
        for member, i in before.items():
            if member not in after:
                yield _Raw(_At(at.path, f"{at.shown}[{key_label(old[i][key])}]", (*at.steps, "[]")),
                           "removed", old[i], None)
        for member, j in after.items():
            place = at.item(j, key_label(new[j][key]))
            if member not in before:
                yield _Raw(place, "added", None, new[j])
            else:
                yield from _walk(kind, old[before[member]], new[j], place)
    elif all(_scalar(v) for v in old) and all(_scalar(v) for v in new):
        old_members = {_member_key(v) for v in old}
        new_members = {_member_key(v) for v in new}
        for value in old:
            if _member_key(value) not in new_members:
                yield _Raw(at.member(None), "removed", value, None)
        for j, value in enumerate(new):
            if _member_key(value) not in old_members:
                yield _Raw(at.member(j), "added", None, value)
    else:
        for i in range(min(len(old), len(new))):
            yield from _walk(kind, old[i], new[i], at.item(i, str(i)))
        for j in range(len(old), len(new)):
            yield _Raw(at.item(j, str(j)), "added", None, new[j])
        for i in range(len(new), len(old)):
            yield _Raw(_At(at.path, f"{at.shown}[{i}]", (*at.steps, "[]")), "removed", old[i], None)


def _delta(old: Any, new: Any) -> float | None:
    a, b = _number(old), _number(new)
    return round(b - a, 12) if a is not None and b is not None else None


def diff_entries(kind_name: str, old: dict[str, Any], new: dict[str, Any],
                 rules: tuple[Rule, ...] = RULES) -> list[Change]:
    """Every difference between two documents of one kind, each classified: metadata first, then `spec`."""
    def metadata(doc: dict[str, Any]) -> dict[str, Any]:
        meta = doc.get("metadata")
        return {k: meta[k] for k in METADATA_FIELDS if k in meta} if isinstance(meta, dict) else {}

    raw = [*_walk(kind_name, metadata(old), metadata(new), _At(("metadata",), "metadata", ("metadata",))),
           *_walk(kind_name, old.get("spec"), new.get("spec"), _At(("spec",), "spec", ("spec",)))]
    changes = []
    for r in raw:
        severity, reason = classify(kind_name, r.at.steps, r.op, r.old, r.new, rules)
        changes.append(Change(r.at.path, r.op, r.old, r.new, severity, reason, _delta(r.old, r.new), r.at.shown))
    return changes


def count_by_class(changes: list[Change]) -> dict[str, int]:
    return {c: sum(1 for change in changes if change.severity == c) for c in CLASSES}


# --- versions -----------------------------------------------------------------------------------------------------


def _version(doc: dict[str, Any]) -> str | None:
    meta = doc.get("metadata")
    value = meta.get("version") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def breaking_without_major_bump(kind_name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The breaking changes from `old` to `new` (two versions of one entry) when the major number did not rise.

    Empty when the major version increased, when the kind's versions promise no compatibility (model versions),
    or when a version is not semver (the schema check reports that).
    """
    if kind_name not in SEMVER_KINDS:
        return []
    old_major, new_major = major_of(_version(old)), major_of(_version(new))
    if old_major is None or new_major is None or new_major > old_major:
        return []
    return [c for c in diff_entries(kind_name, old, new) if c.severity == "breaking"]


# --- entries and revisions ----------------------------------------------------------------------------------------

EntryStatus = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class EntryDiff:
    """One entry that differs. An added version is compared with the version before it (`previous`)."""

    path: str
    kind: str | None
    ref: str | None
    status: EntryStatus
    changes: tuple[Change, ...] = ()
    previous: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "ref": self.ref, "status": self.status,
                "previous": self.previous, "note": self.note or None,
                "summary": count_by_class(list(self.changes)), "changes": [c.to_dict() for c in self.changes]}


@dataclass(frozen=True)
class AssignmentChange:
    """A promotion, demotion or rollout change: one model version's assignment in one environment."""

    environment: str
    model: str
    op: Op
    old_mode: str | None = None
    new_mode: str | None = None
    old_percent: float | None = None
    new_percent: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class RegistryDiff:
    """What differs between two revisions (`new` None: the work tree), or between two entries."""

    old: str
    new: str | None
    compares: Literal["revisions", "references"] = "revisions"
    entries: list[EntryDiff] = dataclasses.field(default_factory=list)
    promotions: list[AssignmentChange] = dataclasses.field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [c for e in self.entries for c in e.changes]

    def summary(self) -> dict[str, Any]:
        statuses = {s: sum(1 for e in self.entries if e.status == s) for s in ("added", "removed", "changed")}
        return {**count_by_class(self.changes), "entries": statuses, "promotions": len(self.promotions)}

    def to_dict(self) -> dict[str, Any]:
        return {"compares": self.compares, "old": self.old, "new": self.new, "summary": self.summary(),
                "entries": [e.to_dict() for e in self.entries],
                "promotions": [p.to_dict() for p in self.promotions]}


def diff_documents(old: Document, new: Document) -> EntryDiff:
    """Two entries of one kind (two versions, usually) compared."""
    kind = new.kind.name if new.kind is not None else ""
    return EntryDiff(new.path, kind or None, str(new.ref) if new.ref else None, "changed",
                     tuple(diff_entries(kind, old.data, new.data)), str(old.ref) if old.ref else None)


def _assignments(doc: Document | None) -> dict[str, dict[str, Any]]:
    return {item["model"]: item for item in assignment_items(doc.spec if doc is not None else None)}


def _percent(item: dict[str, Any] | None) -> float | None:
    return _number(item.get("percent")) if item is not None else None


def assignment_changes(environment: str, old: Document | None, new: Document | None) -> list[AssignmentChange]:
    """Assignments added, removed or changed (mode, canary share) between two versions of an environment file."""
    before, after = _assignments(old), _assignments(new)
    found: list[AssignmentChange] = []
    for model, item in after.items():
        was = before.get(model)
        mode = item.get("mode")
        if was is None:
            found.append(AssignmentChange(environment, model, "added", None, mode, None, _percent(item)))
        elif was.get("mode") != mode or _percent(was) != _percent(item):
            found.append(AssignmentChange(environment, model, "changed", was.get("mode"), mode, _percent(was),
                                          _percent(item)))
    for model, item in before.items():
        if model not in after:
            found.append(AssignmentChange(environment, model, "removed", item.get("mode"), None, _percent(item)))
    return found


class _Side:
    """One side of a revision diff: a revision read through git, or the work tree (`reader` None)."""

    def __init__(self, root: Path, reader: RevisionReader | None, label: str) -> None:
        self.root = root
        self.reader = reader
        self.label = label

    def read(self, relpath: str) -> bytes | None:
        if self.reader is not None:
            return self.reader.read(relpath)
        try:
            return (self.root / relpath).read_bytes()
        except OSError:
            return None

    def document(self, relpath: str) -> Document | None:
        raw = self.read(relpath)
        return parse_document(raw, relpath)[0] if raw is not None else None

    def siblings(self, relpath: str) -> list[str]:
        folder = relpath.rsplit("/", 1)[0]
        if self.reader is not None:
            return sorted(self.reader.files((folder,)))
        return sorted(f"{folder}/{p.name}" for p in (self.root / folder).glob("*.y*ml"))


def previous_version(paths: list[str], relpath: str) -> str | None:
    """Among `paths`, the file of the highest version below the one at `relpath` (same kind and name)."""
    from charter.registry.versions import version_key

    here = locate_path(relpath)
    if here is None or not here.kind.versioned or here.version is None:
        return None
    lower = [(version_key(loc.version), p) for p in paths
             if (loc := locate_path(p)) is not None and loc.kind is here.kind and loc.name == here.name
             and loc.version is not None and version_key(loc.version) < version_key(here.version)]
    return max(lower)[1] if lower else None


def _identity(doc: Document) -> tuple[str | None, str | None]:
    return (doc.kind.name if doc.kind is not None else None), (str(doc.ref) if doc.ref is not None else None)


def _added(relpath: str, after: Document, side: _Side) -> EntryDiff:
    """A new entry; a new version is compared with the highest version below it on the same side."""
    kind, ref = _identity(after)
    earlier = previous_version(side.siblings(relpath), relpath)
    base = side.document(earlier) if earlier is not None else None
    if kind is None or base is None or base.kind is not after.kind:
        return EntryDiff(relpath, kind, ref, "added")
    return EntryDiff(relpath, kind, ref, "added", tuple(diff_entries(kind, base.data, after.data)),
                     str(base.ref) if base.ref else None)


def _entry_diff(relpath: str, old: _Side, new: _Side) -> EntryDiff | None:
    """How one file differs between the two sides; None where it does not, semantically."""
    old_raw, new_raw = old.read(relpath), new.read(relpath)
    if old_raw is None and new_raw is None:
        return None
    before = parse_document(old_raw, relpath)[0] if old_raw is not None else None
    after = parse_document(new_raw, relpath)[0] if new_raw is not None else None
    status: EntryStatus = "added" if old_raw is None else "removed" if new_raw is None else "changed"
    location = locate_path(relpath)
    fallback = (location.kind.name if location is not None else None), None
    for raw, doc, side in ((old_raw, before, old), (new_raw, after, new)):
        if raw is not None and doc is None:
            known = after or before
            kind, ref = _identity(known) if known is not None else fallback
            return EntryDiff(relpath, kind, ref, status, note=f"does not parse at {side.label}; not compared")
    if after is None:
        assert before is not None
        return EntryDiff(relpath, *_identity(before), "removed")
    if before is None:
        return _added(relpath, after, new)
    kind, ref = _identity(after)
    if kind is None or before.kind is not after.kind:
        return EntryDiff(relpath, kind, ref, "changed", note="its kind changed or is unknown; not compared")
    changes = diff_entries(kind, before.data, after.data)
    return EntryDiff(relpath, kind, ref, "changed", tuple(changes)) if changes else None


def diff_revisions(root: Path, rev_a: str, rev_b: str | None = None) -> RegistryDiff:
    """Entries added, removed and changed (with their changes) from `rev_a` to `rev_b` (None: the work tree),
    and the promotions: assignment changes in environment files."""
    from charter.adapters.git.repo import RevisionReader
    from charter.store.loader import discover_files

    reader_a = RevisionReader(root, rev_a)
    reader_b = RevisionReader(root, rev_b) if rev_b is not None else None
    old, new = _Side(root, reader_a, rev_a), _Side(root, reader_b, rev_b or "the work tree")
    scope = (*ENTRY_FOLDERS, REGISTRY_FILE)
    paths = {c.path for c in reader_a.changes(scope, until=reader_b)}
    if reader_b is None:  # git diff does not see files that are not tracked yet
        paths |= set(discover_files(root)) - reader_a.files(scope)
    result = RegistryDiff(rev_a, rev_b)
    for relpath in sorted(p for p in paths if p == REGISTRY_FILE or is_entry_candidate(p)):
        entry = _entry_diff(relpath, old, new)
        if entry is not None:
            result.entries.append(entry)
        location = locate_path(relpath)
        if location is not None and location.kind.name == "Environment" and not (entry and entry.note):
            result.promotions.extend(assignment_changes(location.name, old.document(relpath),
                                                        new.document(relpath)))
    return result


def describe_value(value: Any, limit: int = 60) -> str:
    """A value in one short line: scalars as YAML writes them, structures as compact JSON."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = " ".join(value.split())
    elif isinstance(value, int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_values(change: Change, limit: int = 60) -> str:
    """`old → new` (with the delta of numbers), `+ new` or `- old`; a structure only as `added` or `removed`."""
    if change.op == "added":
        return "added" if isinstance(change.new, dict | list) else f"+ {describe_value(change.new, limit)}"
    if change.op == "removed":
        return "removed" if isinstance(change.old, dict | list) else f"- {describe_value(change.old, limit)}"
    text = f"{describe_value(change.old, limit)} → {describe_value(change.new, limit)}"
    if change.delta is not None:
        text += f" ({change.delta:+g})"
    return text

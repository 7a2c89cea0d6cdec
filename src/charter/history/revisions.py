"""What differs between two entries, or two revisions of a registry: entries added, removed and changed (with their
field changes), and promotions: assignment changes in environment files.

Also the version promise of semver kinds: a breaking change needs a new major version (CH603).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from charter.history.diff import FieldChange, count_by_class, diff_entries
from charter.history.diff_rules import Op, as_number
from charter.registry.documents import Document, parse_document, read_raw
from charter.registry.environments import assignment_items
from charter.registry.kinds import ENTRY_FOLDERS, REGISTRY_FILE, is_entry_candidate, locate_path
from charter.registry.versions import major_of, version_key

if TYPE_CHECKING:
    from charter.adapters.git.revision import RevisionReader

#: Kinds whose version number promises compatibility: a breaking change needs a new major version (CH603).
#: A model version's number tells the order of training runs; what callers rely on is its contract.
SEMVER_KINDS = frozenset({"Contract", "EventDefinition", "Cohort"})


def _version(doc: dict[str, Any]) -> str | None:
    meta = doc.get("metadata")
    value = meta.get("version") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def breaking_without_major_bump(kind_name: str, old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
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
    changes: tuple[FieldChange, ...] = ()
    previous: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "ref": self.ref, "status": self.status,
                "previous": self.previous, "note": self.note or None,
                "summary": count_by_class(list(self.changes)), "changes": [c.to_dict() for c in self.changes]}


@dataclass(frozen=True)
class AssignmentDiff:
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
    promotions: list[AssignmentDiff] = dataclasses.field(default_factory=list)

    @property
    def changes(self) -> list[FieldChange]:
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
    return as_number(item.get("percent")) if item is not None else None


def assignment_diffs(environment: str, old: Document | None, new: Document | None) -> list[AssignmentDiff]:
    """Assignments added, removed or changed (mode, canary share) between two versions of an environment file."""
    before, after = _assignments(old), _assignments(new)
    found: list[AssignmentDiff] = []
    for model, item in after.items():
        was = before.get(model)
        mode = item.get("mode")
        if was is None:
            found.append(AssignmentDiff(environment, model, "added", None, mode, None, _percent(item)))
        elif was.get("mode") != mode or _percent(was) != _percent(item):
            found.append(AssignmentDiff(environment, model, "changed", was.get("mode"), mode, _percent(was),
                                          _percent(item)))
    for model, item in before.items():
        if model not in after:
            found.append(AssignmentDiff(environment, model, "removed", item.get("mode"), None, _percent(item)))
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
        return read_raw(self.root, relpath)[0]  # a link, pipe or device of the work tree is not read

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
    from charter.adapters.git.revision import RevisionReader
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
            result.promotions.extend(assignment_diffs(location.name, old.document(relpath),
                                                        new.document(relpath)))
    return result

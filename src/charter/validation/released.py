"""History checks (`validate --base REF`): what was released at REF stays as it was.

An entry of a versioned kind (and every deployment record) that exists at REF with a status other than draft is
released: its `spec` must not change and its file must not be deleted. Metadata status, description, owner, tags
and annotations may change, so versions can be deprecated and retired. Models and environments are living
documents: a model family's description evolves and environments change by promotion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from charter.adapters.git.revision import RevisionReader
from charter.registry.documents import Document, blob_id, parse_document, positions_from
from charter.registry.fields import JsonPath, dotted
from charter.registry.findings import Finding, finding
from charter.registry.kinds import ENTRY_FOLDERS, KINDS
from charter.store.cache import ParseCache
from charter.store.loader import LazyRegistry, LoadedRegistry

IMMUTABLE_KINDS = frozenset(k for k in KINDS.values() if k.versioned) | {KINDS["DeploymentRecord"]}


def first_difference(old: Any, new: Any, path: JsonPath = ()) -> JsonPath | None:
    """The path of the first place where two documents differ, for pointing at it."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            if key not in old or key not in new:
                return (*path, key)
            found = first_difference(old[key], new[key], (*path, key))
            if found is not None:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list):
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            found = first_difference(a, b, (*path, i))
            if found is not None:
                return found
        return None if len(old) == len(new) else (*path, min(len(old), len(new)))
    if old != new or type(old) is not type(new):
        return path
    return None


class BaseDocuments:
    """The documents of changed files at the base revision, for the history and compatibility checks: read in one
    `git cat-file --batch`, and parsed once, or taken from the parse cache where it holds the same bytes at the
    same path (a file edited in place was usually read by an earlier run as it was)."""

    def __init__(self, reader: RevisionReader, cache: ParseCache | None) -> None:
        self._reader = reader
        self._cache = cache
        self._known: dict[str, Document | None] = {}

    def of(self, relpaths: list[str]) -> dict[str, Document | None]:
        raws = self._reader.read_many([p for p in relpaths if p not in self._known])
        blobs = {path: blob_id(raw) for path, raw in raws.items() if raw is not None}
        cached = self._cache.parsed(blobs) if self._cache is not None and blobs else {}
        for path, raw in raws.items():
            if raw is None:
                self._known[path] = None
            elif path in cached:
                data = cached[path][0]
                self._known[path] = Document(path, data, positions_from(raw, path), blobs[path]) \
                    if data is not None else None
            else:
                self._known[path] = parse_document(raw, path, blobs[path])[0]
        return {path: self._known[path] for path in relpaths}


def check_history(root: Path, loaded: LoadedRegistry | LazyRegistry, base: str, selected: set[str] | None,
                  reader: RevisionReader | None = None, documents: BaseDocuments | None = None) -> list[Finding]:
    reader = reader or RevisionReader(root, base)
    documents = documents or BaseDocuments(reader, loaded.cache)
    findings: list[Finding] = []
    changes = [c for c in reader.changes(ENTRY_FOLDERS)
               if c.status != "A" and (selected is None or c.path in selected)]
    at_base = documents.of([c.path for c in changes])
    for change in changes:
        before = at_base[change.path]
        if before is None or before.kind not in IMMUTABLE_KINDS or before.status == "draft":
            continue
        current, _ = loaded.read(change.path)
        if change.status == "D" or not (root / change.path).exists():
            findings.append(finding("CH602", change.path, (1, 1), ref=before.ref, base=base, path=change.path))
        elif current is not None:
            findings.extend(_changed_spec(before, current, base))
    return findings


def _changed_spec(before: Document, current: Document, base: str) -> list[Finding]:
    diff = first_difference(before.spec, current.spec, ("spec",))
    if diff is None:
        return []
    return [finding("CH601", current.path, current.place(diff), ref=before.ref, base=base, field=dotted(diff))]

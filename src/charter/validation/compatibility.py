"""Compatibility checks (`validate --base REF`): a breaking change needs a new major version (CH603).

A version added since REF (or still a draft at REF, so still open to edits) is compared with the version before
it: the highest lower version in the work tree. If the diff has a breaking change and the major number did not
rise, callers who pin `^1` would silently get something they cannot use. Only kinds whose version number promises
compatibility are checked (contracts, event definitions, cohorts; see `charter.history.revisions.SEMVER_KINDS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from charter.adapters.git.revision import RevisionReader
from charter.registry.documents import Document
from charter.registry.findings import Finding, finding
from charter.registry.index import RegistryIndex
from charter.registry.kinds import ENTRY_FOLDERS
from charter.registry.versions import next_major, version_key
from charter.store.loader import LazyRegistry, LoadedRegistry
from charter.validation.released import BaseDocuments

if TYPE_CHECKING:
    from charter.history.diff import FieldChange


def check_compatibility(root: Path, loaded: LoadedRegistry | LazyRegistry, base: str, selected: set[str] | None,
                        reader: RevisionReader | None = None, documents: BaseDocuments | None = None) -> list[Finding]:
    reader = reader or RevisionReader(root, base)
    documents = documents or BaseDocuments(reader, loaded.cache)
    at_base = reader.files(ENTRY_FOLDERS)
    drafts_at_base = set()
    modified = [change.path for change in reader.changes(ENTRY_FOLDERS) if change.status == "M"]
    for path, before in documents.of(modified).items():
        if before is not None and before.status == "draft":
            drafts_at_base.add(path)
    index = loaded.index
    findings: list[Finding] = []
    candidates = index.entries() if selected is None else \
        [doc for path in sorted(selected) for doc in [loaded.read(path)[0]]
         if doc is not None and doc.ref is not None and index.get(doc.ref) is doc]
    for doc in candidates:
        if doc.path in at_base and doc.path not in drafts_at_base:
            continue  # released at the base: the history check keeps its spec as it was
        # only a new version pays the import of the diff
        from charter.history.revisions import SEMVER_KINDS, breaking_without_major_bump

        if doc.kind is None or doc.kind.name not in SEMVER_KINDS:
            continue
        if selected is not None and doc.path not in selected:
            continue
        previous = _previous(index, doc)
        if previous is None:
            continue
        breaking = breaking_without_major_bump(doc.kind.name, previous.data, doc.data)
        if breaking:
            findings.append(_finding(doc, previous, breaking))
    return findings


def _previous(index: RegistryIndex, doc: Document) -> Document | None:
    """The highest version below `doc`'s among the same entry's versions."""
    if doc.kind is None or doc.name is None or doc.version is None:
        return None
    here = version_key(doc.version)
    lower = [d for d in index.versions(doc.kind, doc.name) if d.version and version_key(d.version) < here]
    return lower[-1] if lower else None


def _finding(doc: Document, previous: Document, breaking: list[FieldChange]) -> Finding:
    first = min(breaking, key=lambda c: doc.place(c.path, key=True))
    major = next_major(previous.version or "")
    assert doc.kind is not None and doc.name is not None
    target = doc.kind.relative_path(doc.name, major)
    return finding("CH603.more" if len(breaking) > 1 else "CH603", doc.path, doc.place(first.path, key=True),
                   ref=doc.ref, previous=previous.version, change=first.summary, more=len(breaking) - 1,
                   major=major, target=target, previous_ref=previous.ref)

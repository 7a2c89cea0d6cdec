"""Identity checks: a file's path agrees with what it declares, entries are unique, versions have a family."""

from __future__ import annotations

from charter.registry.documents import Document
from charter.registry.findings import Finding, finding
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS, REGISTRY_KIND, locate_path
from charter.registry.references import Reference


def check_identity(doc: Document) -> list[Finding]:
    kind = doc.kind
    if kind is None or kind is REGISTRY_KIND or doc.name is None:
        return []
    expected = kind.relative_path(doc.name, doc.version)
    location = locate_path(doc.path)
    if location is None:
        return [finding("CH303", doc.path, (1, 1), path=doc.path, kind=kind.name, name=doc.name, expected=expected)]
    if location.kind is not kind:
        return [finding("CH301.kind", doc.path, doc.place(("kind",)), location=location.kind.name, kind=kind.name,
                        expected=expected)]
    if location.name != doc.name:
        return [finding("CH301.name", doc.path, doc.place(("metadata", "name")), name=doc.name,
                        path_name=location.name, expected=expected)]
    if kind.versioned and doc.version is not None and location.version != doc.version:
        return [finding("CH301.version", doc.path, doc.place(("metadata", "version")), version=doc.version,
                        path_version=location.version, expected=expected)]
    return []


def check_family(doc: Document, index: RegistryIndex) -> list[Finding]:
    """A ModelVersion needs the Model it is a version of."""
    if doc.kind is not KINDS["ModelVersion"] or doc.name is None:
        return []
    family = Reference("model", doc.name)
    if family in index:
        return []
    return [finding("CH304", doc.path, doc.place(("metadata", "name")), name=doc.name)]


def check_duplicates(index: RegistryIndex, selected: set[str]) -> list[Finding]:
    return [
        finding("CH302", second.path, second.place(("metadata", "name")), ref=second.ref, other=first.path)
        for first, second in index.duplicate_pairs(selected)
    ]

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
        return [finding("CH303", doc.path, (1, 1), f"{doc.path} is not a place where an entry can live",
                        f"a {kind.name} named {doc.name!r} belongs at {expected} (see docs/format.md)")]
    if location.kind is not kind:
        return [finding("CH301", doc.path, doc.place(("kind",)),
                        f"file is at a {location.kind.name} location but declares kind {kind.name}",
                        f"move it to {expected}, or correct `kind`")]
    if location.name != doc.name:
        return [finding("CH301", doc.path, doc.place(("metadata", "name")),
                        f"metadata.name is {doc.name!r} but the path says {location.name!r}",
                        f"rename the file to {expected}, or correct metadata.name")]
    if kind.versioned and doc.version is not None and location.version != doc.version:
        return [finding("CH301", doc.path, doc.place(("metadata", "version")),
                        f"metadata.version is {doc.version!r} but the path says {location.version!r}",
                        f"rename the file to {expected}, or correct metadata.version")]
    return []


def check_family(doc: Document, index: RegistryIndex) -> list[Finding]:
    """A ModelVersion needs the Model it is a version of."""
    if doc.kind is not KINDS["ModelVersion"] or doc.name is None:
        return []
    family = Reference("model", doc.name)
    if family in index:
        return []
    return [finding("CH304", doc.path, doc.place(("metadata", "name")),
                    f"model version of {doc.name!r}, but there is no model {doc.name!r}",
                    f"create models/{doc.name}/model.yaml (charter new model {doc.name})")]


def check_duplicates(index: RegistryIndex, selected: set[str]) -> list[Finding]:
    return [
        finding("CH302", second.path, second.place(("metadata", "name")),
                f"{second.ref} is also defined in {first.path}",
                "each entry lives in exactly one file: remove or rename one of them")
        for first, second in index.duplicate_pairs(selected)
    ]

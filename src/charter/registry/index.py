"""The registry index: every entry by reference, the references each makes, and who refers to whom.

Reverse relations are computed here and nowhere else; nobody writes them by hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from charter.registry.documents import Document
from charter.registry.fields import JsonPath, value_at
from charter.registry.kinds import KINDS, Kind
from charter.registry.references import REFERENCE_RE, Reference
from charter.registry.versions import version_key


@dataclass(frozen=True, slots=True)
class Link:
    """One reference written in a document: where it is and what it names."""

    source: Document
    field: JsonPath
    target: Reference


def find_references(data: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Reference]]:
    """Every string in `spec` that is a whole reference, with its JSON path (in document order)."""
    found: list[tuple[JsonPath, Reference]] = []
    if isinstance(data, str):
        _match(data, path, found)
    elif isinstance(data, dict | list):
        _collect(data, path, found)
    return iter(found)


def references_in(doc: Document) -> list[tuple[JsonPath, Reference]]:
    """`find_references(doc.spec)`, found once per document: the index and the reference check both need them,
    and the parse cache keeps them with the document's data."""
    if doc.references_found is None:
        doc.references_found = list(find_references(doc.spec, ()))
    return doc.references_found


def _collect(node: dict[str, Any] | list[Any], path: JsonPath, found: list[tuple[JsonPath, Reference]]) -> None:
    """The walk of `strings_in`, building a path only for containers and matches: it runs on every document."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(value, str):
            if ":" in value:  # every reference has one; most strings do not
                _match(value, (*path, key), found)
        elif isinstance(value, dict | list):
            _collect(value, (*path, key), found)


def _match(text: str, path: JsonPath, found: list[tuple[JsonPath, Reference]]) -> None:
    match = REFERENCE_RE.match(text)
    if match:
        found.append((path, Reference(match.group(1), match.group(2), match.group(3))))


class RegistryIndex:
    def __init__(self, documents: Iterable[Document]) -> None:
        self._by_ref: dict[str, Document] = {}
        self.duplicates: list[tuple[Document, Document]] = []
        self._links: dict[str, list[Link]] = {}
        self._reverse: dict[str, list[Link]] = defaultdict(list)
        self._by_kind: dict[str, list[Document]] = defaultdict(list)
        self.unusable: set[str] = set()
        for doc in documents:
            self.add(doc)

    def add(self, doc: Document) -> None:
        ref, kind = doc.ref, doc.kind
        if ref is None or kind is None:
            return
        key = str(ref)
        if key in self._by_ref:
            self.duplicates.append((self._by_ref[key], doc))
            return
        self._by_ref[key] = doc
        self._by_kind[kind.name].append(doc)
        links = [Link(doc, ("spec", *field), target) for field, target in references_in(doc)]
        self._links[key] = links
        for link in links:
            self._reverse[str(link.target)].append(link)

    def duplicate_pairs(self, paths: set[str]) -> list[tuple[Document, Document]]:
        """Entries defined twice where either file is among `paths`."""
        return [(a, b) for a, b in self.duplicates if a.path in paths or b.path in paths]

    def add_unusable(self, ref: Reference) -> None:
        """An entry that exists on disk but does not parse or disagrees with its path."""
        self.unusable.add(str(ref))

    def get(self, ref: Reference | str) -> Document | None:
        return self._by_ref.get(str(ref))

    def __contains__(self, ref: object) -> bool:
        return str(ref) in self._by_ref

    def __len__(self) -> int:
        return len(self._by_ref)

    def entries(self, kind: Kind | None = None) -> list[Document]:
        if kind is not None:
            return list(self._by_kind.get(kind.name, []))
        return list(self._by_ref.values())

    def references_from(self, doc: Document) -> list[Link]:
        return list(self._links.get(str(doc.ref), [])) if doc.ref else []

    def dependents(self, ref: Reference | str) -> list[Link]:
        """Every link that points at `ref` (for a model family, also at any of its versions)."""
        return list(self._reverse.get(str(ref), []))

    def versions(self, kind: Kind, name: str) -> list[Document]:
        """All versions of one versioned entry, oldest first by semver precedence."""
        found = [d for d in self._by_kind.get(kind.name, []) if d.name == name and d.version]
        return sorted(found, key=lambda d: version_key(d.version or ""))

    def evaluations_of(self, version_ref: str) -> list[Document]:
        """Evaluations of exactly this model version, newest first; retired ones no longer count as evidence."""
        found = [d for d in self._by_kind.get(KINDS["Evaluation"].name, [])
                 if value_at(d.spec, ("model",)) == version_ref and d.status != "retired"]
        return sorted(found, key=lambda d: str(value_at(d.spec, ("date",)) or ""), reverse=True)

"""`charter search` and `list --where`: the entries a query matches, with facet counts.

A search reads as little as it can (see `charter.matching` for the three stages): a file whose path already
decides the answer is not opened; a file whose text lacks a word or key the query needs is not parsed; only the
rest is parsed and tested. Over a registry that was already loaded in full, the documents in memory are used.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from charter.documents import Document
from charter.findings import Finding
from charter.json_paths import value_at
from charter.kinds import KINDS, Kind, Location, locate_path
from charter.loader import discover_files, read_files
from charter.matching import QueryContext, compile_query
from charter.parse_cache import ParseCache

if TYPE_CHECKING:
    from charter.api import EntrySummary

FACETS = ("kind", "owner", "tag", "status")


class EntrySource(Protocol):
    """What a search reads: a registry's files, each parsed on request (`LoadedRegistry`, `LazyRegistry`)."""

    @property
    def root(self) -> Path: ...

    @property
    def files(self) -> list[str]: ...

    def read(self, relpath: str) -> tuple[Document | None, list[Finding]]: ...


class RegistryFiles:
    """A registry's entry files, parsed on request and not kept: a search holds only the documents it returns."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = discover_files(root)
        self._cache = ParseCache.open(root)

    def read(self, relpath: str) -> tuple[Document | None, list[Finding]]:
        return read_files(self.root, [relpath], self._cache)[relpath]

    def read_many(self, relpaths: list[str]) -> Iterator[tuple[str, tuple[Document | None, list[Finding]]]]:
        """Files parsed, or taken from the parse cache `validate` fills, a batch at a time (one cache query per
        batch; only a batch's documents are held)."""
        for start in range(0, len(relpaths), READ_BATCH):
            yield from read_files(self.root, relpaths[start:start + READ_BATCH], self._cache).items()


#: Files read per parse-cache query by a search.
READ_BATCH = 512


@dataclass(frozen=True)
class SearchResult:
    """The matching entries (at most `limit` of them, in `list` order), how many matched, and facet counts."""

    query: str
    total: int
    entries: tuple[EntrySummary, ...]
    facets: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "entries": [e.to_dict() for e in self.entries],
            "facets": {name: [{"value": value, "count": count} for value, count in counts]
                       for name, counts in self.facets.items()},
        }


def search(source: EntrySource, query: str, kinds: Sequence[Kind] | None = None, *, limit: int | None = None,
           facets: bool = True, today: date | None = None, prefilter_text: bool = True) -> SearchResult:
    """Run a query over a registry; `limit` None or 0 returns every match."""
    from charter.api import summarize

    docs = find_documents(source, query, kinds, today=today, prefilter_text=prefilter_text)
    order = {name: i for i, name in enumerate(KINDS)}
    rows = sorted((summarize(d) for d in docs),
                  key=lambda r: (order.get(r.kind, len(order)), r.name, _version_key(r.version)))
    shown = tuple(rows[:limit] if limit else rows)
    return SearchResult(query, len(rows), shown, facet_counts(docs) if facets else {})


def _version_key(version: str | None) -> Any:
    from charter.versions import version_key

    return version_key(version or "")


def find_documents(source: EntrySource, query: str, kinds: Sequence[Kind] | None = None, *,
                   today: date | None = None, prefilter_text: bool = True) -> list[Document]:
    """The documents of the registry's entries that match `query`, in file order.

    Raises `QueryError` (a CharterError) for a query that does not parse or names an unknown field.
    """
    context = QueryContext(today or date.today(), lambda: environment_assignments(source))
    predicate = compile_query(query, context, kinds)
    wanted = set(kinds) if kinds else None
    found: list[Document] = []
    seen: set[str] = set()
    candidates: dict[str, tuple[Location, bool | None]] = {}
    root = str(source.root)  # plain strings: a Path per file costs more than reading it
    for relpath in source.files:
        location = locate_path(relpath)
        if location is None or (wanted is not None and location.kind not in wanted):
            continue
        decided = predicate.by_location(location)
        if decided is False:
            continue
        if decided is None and prefilter_text:
            text = _searchable_text(os.path.join(root, relpath))  # noqa: PTH118 - see `root`
            if text is not None and predicate.by_text(text) is False:
                continue
        candidates[relpath] = (location, decided)
    read_many = getattr(source, "read_many", None)
    reads = read_many(list(candidates)) if read_many is not None else \
        ((relpath, source.read(relpath)) for relpath in candidates)
    for relpath, (doc, _) in reads:
        location, decided = candidates[relpath]
        if doc is None or not _is_entry_at(doc, location):
            continue  # an unusable file: `validate` reports it, a search does not guess what it holds
        key = str(doc.ref)
        if key in seen:
            continue
        seen.add(key)
        if decided is True or predicate.by_document(doc, context):
            found.append(doc)
    return found


def _searchable_text(path: str) -> str | None:
    """A file's text, case-folded, for the word test; None where the test could be wrong (escapes) or unread."""
    try:
        with open(path, "rb") as handle:  # noqa: PTH123 - 17,000 files: no Path per file
            text = handle.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    # A YAML escape (`\x41`, `\u00e9`, a `\` line join) can spell a word the raw text does not contain.
    return None if "\\" in text else text.casefold()


def _is_entry_at(doc: Document, location: Location) -> bool:
    """The document is the entry its path says (as the index requires), so its identity is trustworthy."""
    if doc.kind is not location.kind or doc.name != location.name:
        return False
    return not location.kind.versioned or doc.version == location.version


def environment_assignments(source: EntrySource) -> dict[str, frozenset[str]]:
    """Environment name to the model versions it assigns, read from environments/*.yaml."""
    environment = KINDS["Environment"]
    found: dict[str, frozenset[str]] = {}
    for relpath in source.files:
        location = locate_path(relpath)
        if location is None or location.kind is not environment:
            continue
        doc, _ = source.read(relpath)
        if doc is None or not _is_entry_at(doc, location) or location.name in found:
            continue
        items = value_at(doc.spec, ("assignments",))
        refs = [a.get("model") for a in items if isinstance(a, dict)] if isinstance(items, list) else []
        found[location.name] = frozenset(r for r in refs if isinstance(r, str))
    return found


def facet_counts(docs: Sequence[Document]) -> dict[str, tuple[tuple[str, int], ...]]:
    """How many matches have each kind, owner, tag and status; most frequent first."""
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for doc in docs:
        counters["kind"][doc.kind.name if doc.kind else ""] += 1
        if doc.owner:
            counters["owner"][doc.owner] += 1
        tags = value_at(doc.data, ("metadata", "tags"))
        counters["tag"].update({t for t in tags if isinstance(t, str)} if isinstance(tags, list) else ())
        counters["status"][doc.status] += 1
    return {name: tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
            for name, counter in counters.items()}

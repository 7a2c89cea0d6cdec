"""`charter search` and `list --where`: the entries a query matches, with facet counts.

A search reads as little as it can (see `charter.search.predicates` for the three stages): a file whose path already
decides the answer is not opened. Where the parse cache knows a file's bytes from its stat, the search facts kept
for them answer (`charter.search.fact_index`); other files are read: one whose text lacks a word or key the query needs
is not parsed, the rest are parsed and tested. Over a registry already loaded in full, its documents are used.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from charter.registry.documents import Document
from charter.registry.environments import assignment_items
from charter.registry.files import UnsafeFile, read_regular
from charter.registry.findings import Finding
from charter.registry.kinds import KINDS, Kind, Location, locate_path
from charter.search.compile import compile_query
from charter.search.fact_index import IndexUnusable, SearchIndex
from charter.search.predicates import FreeKey, Predicate, QueryContext, free_keys
from charter.store.cache import ParseCache
from charter.store.facts import EntryFacts, facts_of, is_entry_at, values_at
from charter.store.loader import discover_files, read_files

if TYPE_CHECKING:
    from charter.registry.summary import EntrySummary

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

    def search_index(self) -> SearchIndex | None:
        """The facts the parse cache keeps for a search, if there is a cache."""
        return SearchIndex(self.root, self._cache) if self._cache is not None else None

    def read_many(self, relpaths: list[str], *, cached_only: bool = False
                  ) -> Iterator[tuple[str, tuple[Document | None, list[Finding]]]]:
        """Files parsed, or taken from the parse cache `validate` fills, a batch at a time (one cache query per
        batch; only a batch's documents are held). With `cached_only`, files the cache does not hold are left out
        (see `loader.read_files`)."""
        for start in range(0, len(relpaths), READ_BATCH):
            yield from read_files(self.root, relpaths[start:start + READ_BATCH], self._cache,
                                  cached_only=cached_only).items()


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
    from charter.registry.summary import EntrySummary

    found = find_entries(source, query, kinds, today=today, prefilter_text=prefilter_text)
    order = {name: i for i, name in enumerate(KINDS)}
    rows = sorted((EntrySummary(f.ref, f.kind, f.name or "", f.version, f.status, f.owner, relpath, f.description)
                   for relpath, f in found),
                  key=lambda r: (order.get(r.kind, len(order)), r.name, _version_key(r.version)))
    shown = tuple(rows[:limit] if limit else rows)
    return SearchResult(query, len(rows), shown, facet_counts([f for _, f in found]) if facets else {})


def _version_key(version: str | None) -> Any:
    from charter.registry.versions import version_key

    return version_key(version or "")


def find_entries(source: EntrySource, query: str, kinds: Sequence[Kind] | None = None, *,
                 today: date | None = None, prefilter_text: bool = True) -> list[tuple[str, EntryFacts]]:
    """The entries that match `query` (path and facts), in file order.

    Raises `QueryError` (a CharterError) for a query that does not parse or names an unknown field.
    """
    context = QueryContext(today or date.today(), lambda: environment_assignments(source))
    predicate = compile_query(query, context, kinds)
    wanted = set(kinds) if kinds else None
    candidates: dict[str, tuple[Location, bool | None]] = {}
    for relpath in source.files:
        location = locate_path(relpath)
        if location is None or (wanted is not None and location.kind not in wanted):
            continue
        decided = predicate.by_location(location)
        if decided is not False:
            candidates[relpath] = (location, decided)
    index_of = getattr(source, "search_index", None)
    index: SearchIndex | None = index_of() if index_of is not None else None
    found: list[tuple[str, EntryFacts]] | None = None
    if index is not None:
        with contextlib.suppress(IndexUnusable):  # a file changed under the search: read every file instead
            found = _find_indexed(source, index, predicate, context, candidates, prefilter_text)
    if found is None:
        found = _find_read(source, predicate, context, candidates, prefilter_text)
    if not found:
        _check_free_keys(source, query, free_keys(predicate))
    return found


def _check_free_keys(source: EntrySource, query: str, keys: list[FreeKey]) -> None:
    """A query that matched nothing and names a map key (`spec.metrics.aurocc`) that no entry has: a typo, as an
    unknown field is, so an error at the key with the closest key the registry has. A key that some entry has, or
    a map no entry fills yet, is a true empty answer. Only an empty answer pays for this (one more read)."""
    from charter.search.compile import suggest_word
    from charter.search.syntax import QueryError

    for free in keys:
        present = _keys_present(source, free)
        if not present or free.key in present:
            continue
        known = sorted(present)
        dotted = ".".join(free.map_path)
        shown = ", ".join(known[:KEYS_SHOWN]) + (", …" if len(known) > KEYS_SHOWN else "")
        guess = suggest_word(free.key, known)
        raise QueryError(query, free.column, "unknown_key" if guess else "unknown_key.unguessed", key=free.key,
                         map=dotted, known=shown, guess=guess)


#: How many of a map's keys an unknown-key error lists.
KEYS_SHOWN = 12


def _keys_present(source: EntrySource, free: FreeKey) -> set[str]:
    """Every key of the map at `free.map_path` in the registry's entries of the kinds that have it."""
    kinds = set(free.kinds)
    paths = [relpath for relpath in source.files
             if (location := locate_path(relpath)) is not None and location.kind.name in kinds]
    read_many = getattr(source, "read_many", None)
    reads = read_many(paths) if read_many is not None else ((relpath, source.read(relpath)) for relpath in paths)
    present: set[str] = set()
    for _, (doc, _findings) in reads:
        if doc is not None:
            present.update(key for value in values_at(doc.data, free.map_path) if isinstance(value, dict)
                           for key in value)
    return present


def _find_read(source: EntrySource, predicate: Predicate, context: QueryContext,
               candidates: dict[str, tuple[Location, bool | None]], prefilter_text: bool
               ) -> list[tuple[str, EntryFacts]]:
    """Every candidate file read (a file whose text rules it out is not parsed) and tested."""
    root = str(source.root)  # plain strings: a Path per file costs more than reading it
    reading: dict[str, tuple[Location, bool | None]] = {}
    for relpath, (location, decided) in candidates.items():
        if decided is None and prefilter_text:
            text = _searchable_text(os.path.join(root, relpath))  # noqa: PTH118 - see `root`
            if text is not None and predicate.by_text(text) is False:
                continue
        reading[relpath] = (location, decided)
    read_many = getattr(source, "read_many", None)
    reads = read_many(list(reading)) if read_many is not None else \
        ((relpath, source.read(relpath)) for relpath in reading)
    found: list[tuple[str, EntryFacts]] = []
    seen: set[str] = set()
    for relpath, (doc, _) in reads:
        location, decided = reading[relpath]
        if doc is None or not is_entry_at(doc, location):
            continue  # an unusable file: `validate` reports it, a search does not guess what it holds
        key = str(doc.ref)
        if key in seen:
            continue
        seen.add(key)
        if decided is True or predicate.by_document(doc, context):
            found.append((relpath, facts_of(doc)))
    return found


def _find_indexed(source: EntrySource, index: SearchIndex, predicate: Predicate, context: QueryContext,
                  candidates: dict[str, tuple[Location, bool | None]], prefilter_text: bool
                  ) -> list[tuple[str, EntryFacts]]:
    """`_find_read`'s answer, from stored facts where a file's stat says they are its own; the other files are
    read and their facts stored (those the parse cache does not hold are first put to the text stage, as
    `_find_read` does). Where two files claim one reference, the text stage is applied to them exactly as
    `_find_read` applies it, since it decides which of them counts."""
    known, unknown = index.resolve(list(candidates))
    read_entries: dict[str, EntryFacts | None] = {}  # an entry read: its facts if it matches (documents not kept)
    taken: set[str] = set()

    def take(reads: Iterable[tuple[str, tuple[Document | None, list[Finding]]]]) -> None:
        for relpath, (doc, _) in reads:
            taken.add(relpath)
            if doc is None:
                continue
            index.learn(relpath, unknown[relpath], doc)
            location, decided = candidates[relpath]
            if is_entry_at(doc, location):
                matches = decided is True or predicate.by_document(doc, context)
                read_entries[relpath] = facts_of(doc) if matches else None

    # A changed file the parse cache holds (a `touch`, a checkout) costs little to learn; the others would have to
    # be parsed, so they are put to the text stage first, as `_find_read` does (a search on an empty cache, or
    # after an upgrade, parses what it must, not the whole registry).
    stamped = [relpath for relpath, stamp in unknown.items() if stamp is not None and relpath in index.read_before]
    source_read_many = getattr(source, "read_many", None)
    if source_read_many is not None and stamped:
        take(source_read_many(stamped, cached_only=True))
    root = str(source.root)
    reading = []
    for relpath in unknown:
        if relpath in taken:
            continue
        if prefilter_text and candidates[relpath][1] is None:
            text = _searchable_text(os.path.join(root, relpath))  # noqa: PTH118 - see `_find_read`
            if text is not None and predicate.by_text(text) is False:
                continue
        reading.append(relpath)
    take(source_read_many(reading) if source_read_many is not None else
         ((relpath, source.read(relpath)) for relpath in reading))
    keys = {relpath: _reference_key(location) for relpath, (location, _) in candidates.items()}
    claims = Counter(keys.values())
    found: list[tuple[str, EntryFacts]] = []
    seen: set[str] = set()
    for relpath, (_, decided) in candidates.items():
        indexed = known.get(relpath)
        if not (indexed.entry if indexed is not None else relpath in read_entries):
            continue  # not an entry: `validate` reports it, a search does not guess what it holds
        key = keys[relpath]
        if claims[key] > 1:
            if decided is None and prefilter_text:
                text = _searchable_text(os.path.join(root, relpath))  # noqa: PTH118 - see `_find_read`
                if text is not None and predicate.by_text(text) is False:
                    continue
            if key in seen:
                continue
            seen.add(key)
        if indexed is None:
            facts = read_entries[relpath]
            if facts is not None:
                found.append((relpath, facts))
        elif decided is True or predicate.by_entry(indexed, context):
            found.append((relpath, indexed.facts))
    index.flush()
    return found


def _reference_key(location: Location) -> str:
    """The reference an entry at this location has, as text (what `_find_read` tells duplicates by)."""
    kind = location.kind
    return f"{kind.prefix}:{location.name}@{location.version}" if kind.versioned else f"{kind.prefix}:{location.name}"


def _searchable_text(path: str) -> str | None:
    """A file's text, case-folded, for the word test; None where the test could be wrong (escapes) or unread."""
    try:  # a regular file only, bounded: a FIFO or a link to /dev/zero named *.yaml is no text (reading says why)
        text = read_regular(path)[0].decode("utf-8")
    except (OSError, UnsafeFile, UnicodeDecodeError):
        return None
    # A YAML escape (`\x41`, `\u00e9`, a `\` line join) can spell a word the raw text does not contain.
    return None if "\\" in text else text.casefold()


def environment_assignments(source: EntrySource) -> dict[str, frozenset[str]]:
    """Environment name to the model versions it assigns, read from environments/*.yaml."""
    environment = KINDS["Environment"]
    found: dict[str, frozenset[str]] = {}
    for relpath in source.files:
        location = locate_path(relpath)
        if location is None or location.kind is not environment:
            continue
        doc, _ = source.read(relpath)
        if doc is None or not is_entry_at(doc, location) or location.name in found:
            continue
        found[location.name] = frozenset(a["model"] for a in assignment_items(doc.spec))
    return found


def facet_counts(entries: Sequence[EntryFacts]) -> dict[str, tuple[tuple[str, int], ...]]:
    """How many matches have each kind, owner, tag and status; most frequent first."""
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for facts in entries:
        counters["kind"][facts.kind] += 1
        if facts.owner:
            counters["owner"][facts.owner] += 1
        counters["tag"].update(facts.tags)
        counters["status"][facts.status] += 1
    return {name: tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
            for name, counter in counters.items()}

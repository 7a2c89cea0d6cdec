"""A search answered from the facts the parse cache keeps, opening only the files that changed.

Which bytes a file holds is known without reading it when its stat (size, times, inode, mode) is the one recorded
when it was last read, and that was long enough after its last change (git's own test for a clean file, on
Charter's own records, so no git filter or index state can fool it). Such a file's search facts
(`charter.store.facts`), stored under that blob id, answer the query; every other file is read and parsed as
before, and what is learnt from it is stored for the next search. A row that fails its checksum, or was written
for other bytes or by other code, is not used: the file is read instead.

Values at a field path (`spec.metrics.auroc`, `spec.metrics.*`) are kept per (field, file) once a query asked for
them, so the first query on a field loads those documents from the parse cache and later ones do not.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.store.cache import ParseCache, stamp_of
from charter.store.facts import (
    BLOB_END,
    WORDS_START,
    EntryFacts,
    reduce_values,
    remember,
    values_at,
    well_formed,
    words_contain,
)

if TYPE_CHECKING:
    from charter.registry.documents import Document
    from charter.search.predicates import QueryContext


class IndexUnusable(Exception):
    """The stored facts cannot answer this search (a file changed while it ran): it is answered from the files."""


class IndexedEntry:
    """An entry seen through its stored facts (an `EntryView`, like `matching.DocumentView`)."""

    __slots__ = ("_facts", "_index", "_record", "relpath")

    def __init__(self, index: SearchIndex, relpath: str, record: bytes) -> None:
        self._index = index
        self.relpath = relpath
        self._record = record
        self._facts: EntryFacts | None = None

    @property
    def entry(self) -> bool:
        """Whether the file is the entry its path names."""
        return self._record[0] == 1

    @property
    def blob(self) -> str:
        return self._record[1:BLOB_END].decode("ascii", "replace")

    @property
    def words(self) -> bytes:
        return self._record[WORDS_START:WORDS_START + int.from_bytes(self._record[BLOB_END:WORDS_START],
                                                                        "little")]

    @property
    def facts(self) -> EntryFacts:
        if self._facts is None:
            end = WORDS_START + int.from_bytes(self._record[BLOB_END:WORDS_START], "little")
            facts = EntryFacts.decode(self._record[end:])
            if facts is None:
                raise IndexUnusable(self.relpath)
            self._facts = facts
        return self._facts

    def values(self, path: tuple[str, ...]) -> list[Any]:
        return self._index.values(self, path)

    def virtual(self, name: str, context: QueryContext) -> list[Any]:
        facts = self.facts
        if name == "kind":
            return [facts.kind] if facts.kind else []
        if name == "ref":
            return [facts.ref] if facts.ref else []
        if name == "path":
            return [self.relpath]
        if name == "status":
            return [facts.status]
        if name == "env":
            return context.environments_for(facts.kind, facts.ref, facts.name)
        raise KeyError(name)

    def has_text(self, needle: str) -> bool:
        return words_contain(self.words, needle)


class SearchIndex:
    """The stored facts of a registry's files, for one search."""

    def __init__(self, root: Path, cache: ParseCache) -> None:
        self.root = root
        self.cache = cache
        self._columns: dict[str, dict[str, tuple[str, bytes, int]]] = {}
        #: Files `resolve` found changed since this code stored their facts: the parse cache likely holds them.
        self.read_before: set[str] = set()

    def resolve(self, relpaths: list[str]) -> tuple[dict[str, IndexedEntry], dict[str, str | None]]:
        """The files whose facts can be used, and the others with the stamp taken of each (None: none usable),
        to be read and then `learn`t. Only these files are stat'ed: a query decided by paths stats few."""
        started = time.time_ns()  # before any stat: see `stamp_of`
        prefix = f"{self.root}{os.sep}"
        stamps: dict[str, str | None] = {}
        for relpath in relpaths:
            try:
                stamps[relpath] = stamp_of(os.lstat(prefix + relpath), started)
            except OSError:
                stamps[relpath] = None
        records, self.read_before = self.cache.facts(stamps)
        known = {relpath: IndexedEntry(self, relpath, record) for relpath, record in records.items()
                 if well_formed(record)}
        unknown = {relpath: stamp for relpath, stamp in stamps.items() if relpath not in known}
        return known, unknown

    def learn(self, relpath: str, stamp: str | None, doc: Document) -> None:
        """Store what reading a file gave, so that the next search need not read it (if its stamp is usable)."""
        if doc.blob is not None:
            remember(self.cache, relpath, doc.blob, doc, stamp)

    def values(self, entry: IndexedEntry, path: tuple[str, ...]) -> list[Any]:
        """What `values_at` finds at `path` in the entry's document, reduced (`reduce_values`): stored per field
        and file once computed; computed from the document the parse cache holds."""
        field = ".".join(path)
        if field.count(".") != len(path) - 1:  # a part with a dot: no query has one; its name would be ambiguous
            return values_at(self._data(entry), path)
        column = self._columns.get(field)
        if column is None:
            column = self._columns[field] = self.cache.field_values(field)
        row = column.get(entry.relpath)
        blob = entry.blob
        if row is not None and row[0] == blob:
            stored = self.cache.field_value(field, entry.relpath, row)
            if stored is not None:
                return stored
        values = reduce_values(values_at(self._data(entry), path))
        self.cache.store_field_values(field, entry.relpath, blob, values)
        return values

    def _data(self, entry: IndexedEntry) -> dict[str, Any]:
        parsed = self.cache.parsed({entry.relpath: entry.blob}).get(entry.relpath)
        if parsed is not None and parsed[0] is not None:
            return parsed[0]
        from charter.store.loader import read_files

        doc, _ = read_files(self.root, [entry.relpath], self.cache)[entry.relpath]
        if doc is None or doc.blob != entry.blob:
            raise IndexUnusable(entry.relpath)
        return doc.data

    def flush(self) -> None:
        self.cache.flush()

"""What a search needs of an entry, taken from its document once and kept in the parse cache.

A search over 17,000 files cannot afford to open them: it reads these facts instead (see `charter.search.fact_index`).
They are exactly what the query stages read of a document, so an answer from facts is the answer from the
document: the entry's identity and summary, the tags its facets count, its free text (casefolded), and, for the
fields a query names, the values `values_at` finds there, reduced by `reduce_values` to what a comparison can see.
"""

from __future__ import annotations

import marshal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.kinds import Location, locate_path
from charter.store.cache import ParseCache

#: A path part that stands for every key of a map (`spec.metrics.*`).
WILDCARD = "*"
#: Between the pieces of an entry's free text, as stored: a needle without it can only match within one piece.
WORD_SEPARATOR = "\0"


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """An entry's identity and summary (as `api.summarize` gives it) and the tags its facets count."""

    kind: str
    name: str | None
    version: str | None
    ref: str
    status: str
    owner: str
    description: str
    tags: tuple[str, ...]

    def encode(self) -> bytes:
        return marshal.dumps((self.kind, self.name, self.version, self.ref, self.status, self.owner,
                              self.description, self.tags))

    @classmethod
    def decode(cls, value: bytes) -> EntryFacts | None:
        """The facts stored as `value`, or None where it is not what `encode` writes."""
        try:
            kind, name, version, ref, status, owner, description, tags = marshal.loads(value)
        except (ValueError, EOFError, TypeError):
            return None
        if not (all(isinstance(t, str) for t in (kind, ref, status, owner, description))
                and all(isinstance(t, str | None) for t in (name, version))
                and isinstance(tags, tuple) and all(isinstance(t, str) for t in tags)):
            return None
        return cls(kind, name, version, ref, status, owner, description, tags)


def facts_of(doc: Document) -> EntryFacts:
    tags = value_at(doc.data, ("metadata", "tags"))
    facet_tags = {t for t in tags if isinstance(t, str)} if isinstance(tags, list) else set()
    return EntryFacts(doc.kind.name if doc.kind else "", doc.name, doc.version, str(doc.ref or ""), doc.status,
                      doc.owner, doc.description, tuple(sorted(facet_tags)))


def is_entry_at(doc: Document, location: Location | None) -> bool:
    """The document is the entry its path says (as the index requires), so its identity is trustworthy."""
    if location is None or doc.kind is not location.kind or doc.name != location.name:
        return False
    return not location.kind.versioned or doc.version == location.version


def free_text(doc: Document) -> list[str]:
    """Where free text is looked for: name, reference, description, notes and tags (not yet casefolded)."""
    notes = values_at(doc.data, ("spec", "notes"))
    tags = values_at(doc.data, ("metadata", "tags"))
    return [doc.name or "", str(doc.ref or ""), doc.description, *scalars(notes), *scalars(tags)]


def encode_words(words: Sequence[str]) -> bytes:
    """Casefolded free text as stored: `surrogatepass` keeps every string encodable and substrings intact."""
    return WORD_SEPARATOR.join(word.casefold() for word in words).encode("utf-8", "surrogatepass")


def words_contain(words: bytes, needle: str) -> bool:
    """Whether a casefolded `needle` is within one piece of the free text `encode_words` stored."""
    if WORD_SEPARATOR in needle:
        return any(needle in piece for piece in words.decode("utf-8", "surrogatepass").split(WORD_SEPARATOR))
    return needle.encode("utf-8", "surrogatepass") in words


def values_at(data: Any, path: tuple[str, ...]) -> list[Any]:
    """Every value at a dotted path; lists on the way are looked into item by item, `*` is every key of a map."""
    current = [data]
    for part in path:
        found: list[Any] = []
        for value in current:
            for item in value if isinstance(value, list) else (value,):
                if not isinstance(item, dict):
                    continue
                if part == WILDCARD:
                    found.extend(v for v in item.values() if v is not None)
                elif item.get(part) is not None:
                    found.append(item[part])
        current = found
        if not current:
            break
    return current


def scalars(value: Any) -> list[str]:
    if isinstance(value, list):
        return [text for item in value for text in scalars(item)]
    if isinstance(value, dict | bool):
        return []
    return [str(value)]


def reduce_values(values: list[Any]) -> list[Any]:
    """Values as a field test sees them, without what no test looks at: a map keeps its keys (`contains`) and a
    plain `value` (a metric estimate compares by it); what is below it is dropped. Lists keep every item."""
    return [_reduced(v) for v in values]


def _reduced(value: Any) -> Any:
    if isinstance(value, list):
        return [_reduced(item) for item in value]
    if isinstance(value, dict):
        return {key: inner if key == "value" and not isinstance(inner, dict | list) else {}
                for key, inner in value.items()}
    return value


def remember(cache: ParseCache, relpath: str, blob: str, doc: Document, stamp: str | None) -> None:
    """Store the search facts of a document read from `relpath` whose bytes are `blob`, and the stat stamp the file
    had before it was read (None where it cannot be trusted: then the file is read by every search)."""
    entry = is_entry_at(doc, locate_path(relpath))
    words = encode_words(free_text(doc))
    header = bytes((entry,)) + blob.encode("ascii") + len(words).to_bytes(4, "little")
    cache.store_facts(relpath, stamp, header + words + facts_of(doc).encode())


#: A stored record: whether the file is the entry its path names (1 byte), its blob id (40 hex digits), the
#: length of its free text (4 bytes, little-endian), the free text (`encode_words`), then `EntryFacts.encode()`.
BLOB_END = 41
WORDS_START = BLOB_END + 4


def well_formed(record: bytes) -> bool:
    return len(record) >= WORDS_START and record[0] in (0, 1) and \
        WORDS_START + int.from_bytes(record[BLOB_END:WORDS_START], "little") <= len(record)

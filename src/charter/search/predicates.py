"""A compiled query: a tree of predicates, and the views of an entry it reads.

A predicate answers in three stages, each as cheaply as it can, so a search reads only what it must:

1. `by_location`: from a file's path alone (kind, name, version, ref, path): True, False or None (cannot tell);
2. `by_text`: from the file's text before parsing: False when a needed word or key is nowhere in it, else None;
3. `by_entry`: the answer, from what an `EntryView` shows of the entry: its parsed document (`by_document`), or
   the facts the parse cache keeps of it (`charter.search.fact_index`), which show the same.

`charter.search.compile` builds the tree from a query; this module only evaluates it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, Protocol

from charter.registry.documents import Document
from charter.registry.kinds import SEMVER_RE, Location
from charter.registry.times import DATE_RE, DATETIME_RE, parse_day, parse_instant
from charter.registry.versions import version_key
from charter.store.facts import free_text, values_at


class QueryContext:
    """What a query may need besides the entries: today's date, and (only if asked) environment assignments."""

    def __init__(self, today: date, assignments: Callable[[], dict[str, frozenset[str]]]) -> None:
        self.today = today
        self._load_assignments = assignments

    @cached_property
    def assignments(self) -> dict[str, frozenset[str]]:
        """Environment name to the model version references it assigns."""
        return self._load_assignments()

    @cached_property
    def families(self) -> dict[str, frozenset[str]]:
        """Environment name to the model names with some version assigned there."""
        return {env: frozenset(ref.removeprefix("model:").partition("@")[0] for ref in refs)
                for env, refs in self.assignments.items()}

    def environments_of(self, doc: Document) -> list[str]:
        return self.environments_for(doc.kind.name if doc.kind else "", str(doc.ref), doc.name)

    def environments_for(self, kind: str, ref: str, name: str | None) -> list[str]:
        """The environments that assign a model version (by its reference) or some version of a model (by name)."""
        if kind == "ModelVersion":
            return [env for env, refs in self.assignments.items() if ref in refs]
        if kind == "Model":
            return [env for env, names in self.families.items() if name in names]
        return []



@dataclass(frozen=True)
class TypedValue:
    """A value of the query with every reading it has: as text, number, date, datetime, version, boolean."""

    text: str
    column: int
    number: float | None = None
    day: date | None = None
    moment: datetime | None = None
    version: str | None = None  # as a full semver: `1.2` reads as 1.2.0
    boolean: bool | None = None


def _ordered(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def compare(value: Any, op: str, literal: TypedValue) -> bool:
    """One found value against a literal, for `=` and the ordering operators."""
    if isinstance(value, list):
        return any(compare(item, op, literal) for item in value)
    if isinstance(value, dict):
        inner = value.get("value")
        return inner is not None and not isinstance(inner, dict | list) and compare(inner, op, literal)
    if isinstance(value, bool):
        return op == "=" and literal.boolean is not None and value == literal.boolean
    if isinstance(value, int | float):
        return literal.number is not None and _ordered(op, float(value), literal.number)
    if not isinstance(value, str):
        return False
    if literal.day is not None:
        day = parse_day(value) if len(value) >= 10 else None
        return day is not None and _ordered(op, day, literal.day)
    if literal.moment is not None:
        moment = parse_instant(value) if DATETIME_RE.match(value) or DATE_RE.match(value) else None
        return moment is not None and _ordered(op, moment, literal.moment)
    if op == "=":
        return value == literal.text
    if literal.version is not None and SEMVER_RE.match(value):
        return _ordered(op, version_key(value), version_key(literal.version))
    if literal.number is not None:
        return False  # text against a number: only equality of the written text means anything
    return _ordered(op, value, literal.text)


def contains(value: Any, needle: str) -> bool:
    if isinstance(value, list):
        return any(str(item).casefold() == needle for item in value if not isinstance(item, dict | list))
    if isinstance(value, dict):
        return any(key.casefold() == needle for key in value)
    return isinstance(value, str) and needle in value.casefold()


class EntryView(Protocol):
    """What the last stage reads of an entry: values at field paths, virtual fields, and its free text."""

    def values(self, path: tuple[str, ...]) -> list[Any]:
        """What `values_at` finds at `path` in the document (or the same reduced by `reduce_values`)."""

    def virtual(self, name: str, context: QueryContext) -> list[Any]:
        """The values of a virtual field (kind, ref, path, status, env)."""

    def has_text(self, needle: str) -> bool:
        """Whether a casefolded needle is in one piece of the entry's free text (`search_facts.free_text`)."""


class DocumentView:
    """An entry seen through its parsed document."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def values(self, path: tuple[str, ...]) -> list[Any]:
        return values_at(self.doc.data, path)

    def virtual(self, name: str, context: QueryContext) -> list[Any]:
        return _VIRTUAL_VALUES[name](self.doc, context)

    def has_text(self, needle: str) -> bool:
        return any(needle in text.casefold() for text in free_text(self.doc))


class Predicate(ABC):
    """A compiled condition; subclasses answer the three stages described in the module docstring."""

    def by_location(self, location: Location) -> bool | None:
        return None

    def by_text(self, text: str) -> bool | None:
        return None

    def by_document(self, doc: Document, context: QueryContext) -> bool:
        """Whether the parsed document matches."""
        return self.by_entry(DocumentView(doc), context)

    @abstractmethod
    def by_entry(self, entry: EntryView, context: QueryContext) -> bool:
        """Whether the entry matches: the last stage, which every condition must answer."""


class Always(Predicate):
    def by_location(self, location: Location) -> bool | None:
        return True

    def by_entry(self, entry: EntryView, context: QueryContext) -> bool:
        return True


class AllOf(Predicate):
    def __init__(self, operands: Sequence[Predicate]) -> None:
        self.operands = tuple(operands)

    def by_location(self, location: Location) -> bool | None:
        return _all([p.by_location(location) for p in self.operands])

    def by_text(self, text: str) -> bool | None:
        return _all([p.by_text(text) for p in self.operands])

    def by_entry(self, entry: EntryView, context: QueryContext) -> bool:
        return all(p.by_entry(entry, context) for p in self.operands)


class AnyOf(Predicate):
    def __init__(self, operands: Sequence[Predicate]) -> None:
        self.operands = tuple(operands)

    def by_location(self, location: Location) -> bool | None:
        return _any([p.by_location(location) for p in self.operands])

    def by_text(self, text: str) -> bool | None:
        return _any([p.by_text(text) for p in self.operands])

    def by_entry(self, entry: EntryView, context: QueryContext) -> bool:
        return any(p.by_entry(entry, context) for p in self.operands)


class NoneOf(Predicate):
    def __init__(self, operand: Predicate) -> None:
        self.operand = operand

    def by_location(self, location: Location) -> bool | None:
        answer = self.operand.by_location(location)
        return None if answer is None else not answer

    def by_text(self, text: str) -> bool | None:
        answer = self.operand.by_text(text)
        return None if answer is None else not answer

    def by_entry(self, entry: EntryView, context: QueryContext) -> bool:
        return not self.operand.by_entry(entry, context)


def _all(answers: list[bool | None]) -> bool | None:
    if False in answers:
        return False
    return True if all(a is True for a in answers) else None


def _any(answers: list[bool | None]) -> bool | None:
    if True in answers:
        return True
    return False if all(a is False for a in answers) else None


class FreeText(Predicate):
    """A word or phrase in an entry's name, reference, description, notes or tags (case ignored)."""

    def __init__(self, text: str) -> None:
        self.needle = text.casefold()
        self.words = self.needle.split()

    def by_text(self, text: str) -> bool | None:
        return None if all(word in text for word in self.words) else False

    def by_entry(self, entry: EntryView, context: QueryContext) -> bool:
        return entry.has_text(self.needle)


@dataclass(frozen=True)
class FreeKey:
    """A key the query names in a map with free keys (`auroc` in `spec.metrics.auroc`): no schema knows it, so only
    the registry can say whether it is a typo. `column` is where the key starts in the query."""

    map_path: tuple[str, ...]
    key: str
    column: int
    kinds: tuple[str, ...]  # the kinds in scope whose documents have the map


class FieldTest(Predicate):
    """A condition on the values found at a field (a document `path`, or a `virtual` field), judged by `test`."""

    def __init__(self, test: Callable[[list[Any]], bool], *, path: tuple[str, ...] = (), virtual: str = "",
                 key: str | None = None, location: Callable[[Location], list[Any] | None] | None = None,
                 needles: Sequence[str] = (), free_key: FreeKey | None = None) -> None:
        self.free_key = free_key
        self.path = path
        self.virtual = virtual
        self.test = test
        self.key = key.casefold() if key else None
        self.location = location
        self.needles = tuple(n.casefold() for n in needles)  # one of them is in the text of every match

    def by_location(self, location: Location) -> bool | None:
        if self.location is None:
            return None
        values = self.location(location)
        return None if values is None else self.test(values)

    def by_text(self, text: str) -> bool | None:
        if self.test([]):
            return None  # without the field the test can still hold (NOT-like tests)
        if self.key is not None and self.key not in text:
            return False
        if self.needles and not any(needle in text for needle in self.needles):
            return False
        return None

    def by_entry(self, entry: EntryView, context: QueryContext) -> bool:
        return self.test(entry.virtual(self.virtual, context) if self.virtual else entry.values(self.path))


_VIRTUAL_VALUES: dict[str, Callable[[Document, QueryContext], list[Any]]] = {
    "kind": lambda doc, _context: [doc.kind.name] if doc.kind else [],
    "ref": lambda doc, _context: [str(doc.ref)] if doc.ref else [],
    "path": lambda doc, _context: [doc.path],
    "status": lambda doc, _context: [doc.status],
    "env": lambda doc, context: context.environments_of(doc),
}


def free_keys(predicate: Predicate) -> list[FreeKey]:
    """Every key of a free-key map that a compiled query names, in the order written."""
    if isinstance(predicate, FieldTest):
        return [predicate.free_key] if predicate.free_key is not None else []
    if isinstance(predicate, AllOf | AnyOf):
        return [key for operand in predicate.operands for key in free_keys(operand)]
    if isinstance(predicate, NoneOf):
        return free_keys(predicate.operand)
    return []

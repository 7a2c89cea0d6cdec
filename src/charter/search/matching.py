"""What a parsed query means: fields checked against the schemas, values typed, and entries tested against it.

A compiled query answers in three stages, each as cheaply as it can, so a search reads only what it must:

1. `by_location`: from a file's path alone (kind, name, version, ref, path): True, False or None (cannot tell);
2. `by_text`: from the file's text before parsing: False when a needed word or key is nowhere in it, else None;
3. `by_entry`: the answer, from what an `EntryView` shows of the entry: its parsed document (`by_document`), or
   the facts the parse cache keeps of it (`charter.search.index`), which show the same.

Semantics (docs/query.md is the user's reference):

- A path that crosses a list looks into every item; a comparison holds when it holds for any value found.
  An entry without the field matches no comparison, and `!=` means "has the field, and no value equals".
- Comparing a metric estimate (`{value, ciLower, ...}`, as evaluations record them) with a number compares its
  `value`, so `spec.metrics.auroc >= 0.8` works on model versions and evaluations alike.
- Numbers compare as numbers, dates (YYYY-MM-DD, RFC 3339, or relative: -30d, -2w, -1y, today) as dates,
  semantic versions by semver precedence, other text alphabetically; `=` on text is exact, `contains`, `~`
  (glob) and free text ignore case, `matches` is a Python regular expression.
- Mixing types the schema rules out (a number field against a word) is an error before anything is read.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, Protocol

from charter.registry.documents import Document
from charter.registry.kinds import KINDS, SEMVER_RE, STATUSES, Kind, Location, find_kind
from charter.registry.references import reference_of
from charter.registry.times import parse_day, parse_instant
from charter.registry.versions import version_key
from charter.search.fields import FieldNode, all_kinds, lookup, suggest
from charter.search.syntax import (
    And,
    Compare,
    Everything,
    Exists,
    Field,
    InList,
    Node,
    Not,
    Or,
    QueryError,
    Text,
    Value,
    parse_query,
)
from charter.store.facts import WILDCARD, free_text, scalars, values_at

#: Short names for the fields people ask about most; each is the dotted path it stands for.
ALIASES = {
    "name": ("metadata", "name"),
    "version": ("metadata", "version"),
    "owner": ("metadata", "owner"),
    "description": ("metadata", "description"),
    "tags": ("metadata", "tags"),
    "tag": ("metadata", "tags"),
}
#: Fields that are not in a document's text but about the entry: its kind, reference, file, status, environments.
VIRTUAL = ("kind", "ref", "path", "status", "env")
ORDERING = ("<", "<=", ">", ">=")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?$")
_PARTIAL_VERSION_RE = re.compile(r"^\d+(\.\d+)?$")
_RELATIVE_RE = re.compile(r"^-(\d+)([dwy])$")
_RELATIVE_DAYS = {"d": 1, "w": 7, "y": 365}
_NUMERIC = {"number", "integer"}
_DATES = {"date", "datetime"}


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
class Literal:
    """A value of the query with every reading it has: as text, number, date, datetime, version, boolean."""

    text: str
    column: int
    number: float | None = None
    day: date | None = None
    moment: datetime | None = None
    version: str | None = None  # as a full semver: `1.2` reads as 1.2.0
    boolean: bool | None = None


def _literal(value: Value, today: date) -> Literal:
    """Every reading of a value; a date-shaped value that is no calendar date raises ValueError."""
    text = value.text
    number = float(text) if _NUMBER_RE.match(text) else None
    day: date | None = None
    moment: datetime | None = None
    relative = _RELATIVE_RE.match(text)
    if relative:
        try:
            day = today - timedelta(days=int(relative.group(1)) * _RELATIVE_DAYS[relative.group(2)])
        except OverflowError:
            raise ValueError(text) from None
    elif text.lower() == "today":
        day = today
    elif _DATE_RE.match(text):
        day = date.fromisoformat(text)
    elif _DATETIME_RE.match(text):
        moment = parse_instant(text)
        if moment is None:
            raise ValueError(text)
    padded = text + ".0" * (2 - text.count(".")) if _PARTIAL_VERSION_RE.match(text) else text
    version = padded if SEMVER_RE.match(padded) else None
    boolean = {"true": True, "false": False}.get(text.lower())
    return Literal(text, value.column, number, day, moment, version, boolean)


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


def _compare(value: Any, op: str, literal: Literal) -> bool:
    """One found value against a literal, for `=` and the ordering operators."""
    if isinstance(value, list):
        return any(_compare(item, op, literal) for item in value)
    if isinstance(value, dict):
        inner = value.get("value")
        return inner is not None and not isinstance(inner, dict | list) and _compare(inner, op, literal)
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
        moment = parse_instant(value) if _DATETIME_RE.match(value) or _DATE_RE.match(value) else None
        return moment is not None and _ordered(op, moment, literal.moment)
    if op == "=":
        return value == literal.text
    if literal.version is not None and SEMVER_RE.match(value):
        return _ordered(op, version_key(value), version_key(literal.version))
    if literal.number is not None:
        return False  # text against a number: only equality of the written text means anything
    return _ordered(op, value, literal.text)


def _contains(value: Any, needle: str) -> bool:
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


class FieldTest(Predicate):
    """A condition on the values found at a field (a document `path`, or a `virtual` field), judged by `test`."""

    def __init__(self, test: Callable[[list[Any]], bool], *, path: tuple[str, ...] = (), virtual: str = "",
                 key: str | None = None, location: Callable[[Location], list[Any] | None] | None = None,
                 needles: Sequence[str] = ()) -> None:
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


def _location_values(path: tuple[str, ...], holders: frozenset[Kind]) -> Callable[[Location], list[Any] | None]:
    """What a file's path tells about a field: its name and version, and that kinds without the field lack it."""

    names = frozenset(kind.name for kind in holders)  # once per file: a name hashes faster than a Kind

    def values(location: Location) -> list[Any] | None:
        if location.kind.name not in names:
            return []
        if path == ("metadata", "name"):
            return [location.name]
        if path == ("metadata", "version") and location.kind.versioned:
            return [location.version]
        return None

    return values


@dataclass
class _Scope:
    query: str
    kinds: tuple[Kind, ...]
    context: QueryContext

    def error(self, column: int, problem: str, hint: str = "") -> QueryError:
        return QueryError(self.query, column, problem, hint)


def compile_query(query: str, context: QueryContext, kinds: Sequence[Kind] | None = None) -> Predicate:
    """Parse and check a query: unknown fields, kinds, statuses, environments and type clashes are errors."""
    scope = _Scope(query, tuple(kinds) if kinds else all_kinds(), context)
    return _compile(parse_query(query), scope)


def _compile(node: Node, scope: _Scope) -> Predicate:
    if isinstance(node, Everything):
        return Always()
    if isinstance(node, Text):
        return FreeText(node.text)
    if isinstance(node, Not):
        return NoneOf(_compile(node.operand, scope))
    if isinstance(node, And):
        return AllOf([_compile(n, scope) for n in node.operands])
    if isinstance(node, Or):
        return AnyOf([_compile(n, scope) for n in node.operands])
    if isinstance(node, Exists):
        return _field_test(node.field, "exists", (), node.field.column, scope)
    if isinstance(node, InList):
        return _field_test(node.field, "in", node.values, node.field.column, scope)
    assert isinstance(node, Compare)
    return _field_test(node.field, node.op, (node.value,), node.column, scope)


def _literals(values: Sequence[Value], scope: _Scope) -> list[Literal]:
    found = []
    for value in values:
        try:
            found.append(_literal(value, scope.context.today))
        except ValueError:
            raise scope.error(value.column, f"{value.text!r} is not a calendar date or time",
                              "write YYYY-MM-DD or an RFC 3339 time such as 2026-01-31T08:00:00Z") from None
    return found


def _field_test(field: Field, op: str, values: Sequence[Value], column: int, scope: _Scope) -> Predicate:
    literals = _literals(values, scope)
    name = field.text
    if len(field.path) == 1 and name in VIRTUAL:
        return _virtual_test(field, op, literals, column, scope)
    path = ALIASES.get(name, field.path) if len(field.path) == 1 else field.path
    holders = {k: n for k in scope.kinds for n in [lookup(k, path)] if n is not None}
    nodes = list(holders.values())
    if not nodes:
        raise _unknown_field(field, path, scope)
    _check_types(field, op, literals, column, nodes, scope)
    matcher = _value_test(op, literals, scope, column)
    key = next((p for p in reversed(path) if p != WILDCARD), None)
    return FieldTest(matcher, path=path, key=key, location=_location_values(path, frozenset(holders)),
                     needles=_needles(op, literals))


def _unknown_field(field: Field, path: tuple[str, ...], scope: _Scope) -> QueryError:
    dotted = ".".join(path)
    elsewhere = [k.name for k in all_kinds() if k not in scope.kinds and lookup(k, path) is not None]
    if elsewhere:
        scoped = ", ".join(k.name for k in scope.kinds)
        return scope.error(field.column, f"{scoped} has no field {dotted!r}",
                           f"it is a field of {', '.join(elsewhere)}")
    guess = suggest(dotted, scope.kinds, (*ALIASES, *VIRTUAL))
    hint = f"did you mean {guess!r}?" if guess else "see docs/query.md for the fields of each kind"
    return scope.error(field.column, f"unknown field {field.text!r}", hint)


def _describe(types: set[str]) -> str:
    names = {"integer": "number", "array": "list", "object": "map", "string": "text", "semver": "version"}
    shown = sorted(names.get(t, t) for t in types)
    return " or ".join(dict.fromkeys(shown)) or "values"


def _check_types(field: Field, op: str, literals: list[Literal], column: int, nodes: list[FieldNode],
                 scope: _Scope) -> None:
    """Refuse comparisons the schemas rule out for every kind in scope."""
    if any(n.open or not n.types for n in nodes):
        return
    types = set().union(*(n.types for n in nodes))
    estimate = any("object" in n.types and "value" in n.children
                   and n.children["value"].types & _NUMERIC for n in nodes)
    numeric = bool(types & _NUMERIC) or estimate
    textual = bool(types & {"string", "date", "datetime", "semver"})
    holds = f"{field.text} holds {_describe(types)}"
    if op in ("contains",) and not types & {"array", "string", "object"}:
        raise scope.error(column, f"'contains' looks into lists, text and maps; {holds}", "use = instead")
    if op in ("~", "matches") and not types & {"string", "array"}:
        raise scope.error(column, f"'{op}' matches text; {holds}", "compare with = < > instead")
    for literal in literals:
        if op in ORDERING:
            if literal.number is not None and numeric:
                continue
            if (literal.day is not None or literal.moment is not None) and types & _DATES:
                continue
            if literal.number is None and literal.day is None and literal.moment is None and textual:
                continue
            if literal.version is not None and "semver" in types:
                continue
            want = "a number" if numeric else "a date" if types & _DATES else "text"
            raise scope.error(literal.column, f"{holds}; {literal.text!r} is not {want}",
                              f"compare {field.text} with {want}")
        elif op in ("=", "!=", "in"):
            if numeric and not textual and "boolean" not in types and literal.number is None:
                raise scope.error(literal.column, f"{holds}; {literal.text!r} is not a number")
            if types == {"boolean"} and literal.boolean is None:
                raise scope.error(literal.column, f"{holds}; write true or false")


def _value_test(op: str, literals: list[Literal], scope: _Scope, column: int) -> Callable[[list[Any]], bool]:
    if op == "exists":
        return bool
    if op == "in":
        return lambda values: any(_compare(v, "=", lit) for v in values for lit in literals)
    literal = literals[0]
    if op == "=":
        return lambda values: any(_compare(v, "=", literal) for v in values)
    if op == "!=":
        return lambda values: bool(values) and not any(_compare(v, "=", literal) for v in values)
    if op in ORDERING:
        return lambda values: any(_compare(v, op, literal) for v in values)
    if op == "contains":
        needle = literal.text.casefold()
        return lambda values: any(_contains(v, needle) for v in values)
    if op == "~":
        pattern = re.compile(fnmatch.translate(literal.text.casefold()))
        return lambda values: any(pattern.match(text.casefold()) for v in values for text in scalars(v))
    try:
        regex = re.compile(literal.text)
    except re.error as exc:
        raise scope.error(literal.column, f"bad regular expression: {exc.msg}",
                          "quote the pattern and escape its special characters") from None
    return lambda values: any(regex.search(text) for v in values for text in scalars(v))


def _virtual_test(field: Field, op: str, literals: list[Literal], column: int, scope: _Scope) -> Predicate:
    """kind, ref, path, status and env: facts about an entry rather than fields written in it."""
    name = field.text
    if op in ORDERING:
        raise scope.error(column, f"{name} can be compared with = != in ~ matches, not {op}")
    if op == "contains":
        raise scope.error(column, f"{name} holds one value per entry: use = or ~ instead of contains")
    exact = op in ("=", "!=", "in")
    if name == "kind" and exact:
        literals = [_known(lit, _kind_name(lit, scope)) for lit in literals]
    elif name == "status" and exact:
        for lit in literals:
            if lit.text not in STATUSES:
                raise scope.error(lit.column, f"unknown status {lit.text!r}", f"use one of: {', '.join(STATUSES)}")
    elif name == "env" and exact:
        known = sorted(scope.context.assignments)
        for lit in literals:
            if lit.text not in known:
                guess = suggest_word(lit.text, known)
                raise scope.error(lit.column, f"no environment {lit.text!r} in this registry",
                                  f"did you mean {guess!r}?" if guess else f"environments: {', '.join(known)}")
    location = _VIRTUAL_LOCATIONS[name](scope.context) if name in _VIRTUAL_LOCATIONS else None
    needles = _needles(op, literals) if name == "status" and "active" not in {lit.text for lit in literals} else ()
    return FieldTest(_value_test(op, literals, scope, column), virtual=name, location=location, needles=needles)


def _needles(op: str, literals: list[Literal]) -> tuple[str, ...]:
    """Text that a file must contain for `=`, `contains` or `in` to hold: the value as written, where YAML
    cannot write it differently (no spaces to fold at, no quote to double; numbers and dates have other forms)."""
    if op not in ("=", "contains", "in"):
        return ()
    for literal in literals:
        if (literal.number is not None or literal.day is not None or literal.moment is not None
                or literal.boolean is not None or not literal.text or any(c.isspace() for c in literal.text)
                or "'" in literal.text or '"' in literal.text):
            return ()
    return tuple(literal.text for literal in literals)


def _environments_at(context: QueryContext) -> Callable[[Location], list[Any] | None]:
    def values(location: Location) -> list[Any] | None:
        if location.kind is KINDS["ModelVersion"]:
            ref = str(reference_of(location.kind, location.name, location.version))
            return [env for env, refs in context.assignments.items() if ref in refs]
        if location.kind is KINDS["Model"]:
            return [env for env, names in context.families.items() if location.name in names]
        return []

    return values


#: The virtual fields a file's path decides (the environments need the environment files, read once).
_VIRTUAL_LOCATIONS: dict[str, Callable[[QueryContext], Callable[[Location], list[Any] | None]]] = {
    "kind": lambda _context: lambda location: [location.kind.name],
    "ref": lambda _context: lambda location: [str(reference_of(location.kind, location.name, location.version))],
    "env": _environments_at,
}


_VIRTUAL_VALUES: dict[str, Callable[[Document, QueryContext], list[Any]]] = {
    "kind": lambda doc, _context: [doc.kind.name] if doc.kind else [],
    "ref": lambda doc, _context: [str(doc.ref)] if doc.ref else [],
    "path": lambda doc, _context: [doc.path],
    "status": lambda doc, _context: [doc.status],
    "env": lambda doc, context: context.environments_of(doc),
}


def _kind_name(literal: Literal, scope: _Scope) -> str:
    kind = find_kind(literal.text)
    if kind is None:
        guess = suggest_word(literal.text, list(KINDS))
        raise scope.error(literal.column, f"unknown kind {literal.text!r}",
                          f"did you mean {guess!r}?" if guess else f"use one of: {', '.join(KINDS)}")
    return kind.name


def _known(literal: Literal, text: str) -> Literal:
    return Literal(text, literal.column)


def suggest_word(word: str, choices: Sequence[str]) -> str | None:
    lowered = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[found[0]] if found else None

"""What a parsed query means: fields checked against the schemas, values typed, and a predicate tree built.

Semantics (docs/query.md is the user's reference):

- A path that crosses a list looks into every item; a comparison holds when it holds for any value found.
  An entry without the field matches no comparison, and `!=` means "has the field, and no value equals".
- Comparing a metric estimate (`{value, ciLower, ...}`, as evaluations record them) with a number compares its
  `value`, so `spec.metrics.auroc >= 0.8` works on model versions and evaluations alike.
- Numbers compare as numbers, dates (YYYY-MM-DD, RFC 3339, or relative: -30d, -2w, -1y, today) as dates,
  semantic versions by semver precedence, other text alphabetically; `=` on text is exact, `contains`, `~`
  (glob) and free text ignore case, `matches` is a Python regular expression.
- Mixing types the schema rules out (a number field against a word, a date field against anything but a date, a
  version field against anything but a version) is an error before anything is read. A key of a free map
  (`spec.metrics.<key>`) is checked against the registry's keys only after a search found nothing (engine.py).

The predicates themselves, and how a value compares, are `charter.search.predicates`.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from charter.registry.kinds import KINDS, SEMVER_RE, STATUSES, Kind, Location, find_kind
from charter.registry.references import reference_of
from charter.registry.times import DATE_RE, DATETIME_RE, parse_instant
from charter.search.fields import FieldNode, all_kinds, lookup, suggest
from charter.search.predicates import (
    AllOf,
    Always,
    AnyOf,
    FieldTest,
    FreeKey,
    FreeText,
    NoneOf,
    Predicate,
    QueryContext,
    TypedValue,
    compare,
    contains,
)
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
from charter.store.facts import WILDCARD, scalars

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
_PARTIAL_VERSION_RE = re.compile(r"^\d+(\.\d+)?$")
_RELATIVE_RE = re.compile(r"^-(\d+)([dwy])$")
_RELATIVE_DAYS = {"d": 1, "w": 7, "y": 365}
_NUMERIC = {"number", "integer"}
_DATES = {"date", "datetime"}


def _typed_value(value: Value, today: date) -> TypedValue:
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
    elif DATE_RE.match(text):
        day = date.fromisoformat(text)
    elif DATETIME_RE.match(text):
        moment = parse_instant(text)
        if moment is None:
            raise ValueError(text)
    padded = text + ".0" * (2 - text.count(".")) if _PARTIAL_VERSION_RE.match(text) else text
    version = padded if SEMVER_RE.match(padded) else None
    boolean = {"true": True, "false": False}.get(text.lower())
    return TypedValue(text, value.column, number, day, moment, version, boolean)


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

    def error(self, column: int, key: str, /, **fields: object) -> QueryError:
        return QueryError(self.query, column, key, **fields)


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


def _typed_values(values: Sequence[Value], scope: _Scope) -> list[TypedValue]:
    found = []
    for value in values:
        try:
            found.append(_typed_value(value, scope.context.today))
        except ValueError:
            raise scope.error(value.column, "not_a_date", value=value.text) from None
    return found


def _field_test(field: Field, op: str, values: Sequence[Value], column: int, scope: _Scope) -> Predicate:
    literals = _typed_values(values, scope)
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
                     needles=_needles(op, literals), free_key=_free_key(field, path, holders))


def _free_key(field: Field, path: tuple[str, ...], holders: dict[Kind, FieldNode]) -> FreeKey | None:
    """The first part of `path` that is a key of a map with free keys (`spec.metrics.<key>`), unless it is `*`."""
    if len(field.path) != len(path):
        return None  # a short name (`owner`) is a fixed field
    for i, part in enumerate(path):
        kinds = tuple(k.name for k in holders for node in [lookup(k, path[:i])]
                      if node is not None and node.any_key is not None and part not in node.children)
        if kinds:
            if part == WILDCARD:
                return None
            return FreeKey(path[:i], part, field.column + len(".".join(path[:i])) + 1, kinds)
    return None


def _unknown_field(field: Field, path: tuple[str, ...], scope: _Scope) -> QueryError:
    dotted = ".".join(path)
    elsewhere = [k.name for k in all_kinds() if k not in scope.kinds and lookup(k, path) is not None]
    if elsewhere:
        return scope.error(field.column, "field_elsewhere", kinds=", ".join(k.name for k in scope.kinds),
                           field=dotted, elsewhere=", ".join(elsewhere))
    guess = suggest(dotted, scope.kinds, (*ALIASES, *VIRTUAL))
    return scope.error(field.column, "unknown_field" if guess else "unknown_field.unguessed", field=field.text,
                       guess=guess)


def _describe(types: set[str]) -> str:
    if types & (_DATES | {"semver"}):
        types = types - {"string"}  # a date or a version is written as a string: say which
    names = {"integer": "number", "array": "list", "object": "map", "string": "text", "semver": "version"}
    shown = sorted(names.get(t, t) for t in types)
    return " or ".join(dict.fromkeys(shown)) or "values"


def _check_types(field: Field, op: str, literals: list[TypedValue], column: int, nodes: list[FieldNode],
                 scope: _Scope) -> None:
    """Refuse comparisons the schemas rule out for every kind in scope."""
    if any(n.open or not n.types for n in nodes):
        return
    types = set().union(*(n.types for n in nodes))
    estimate = any("object" in n.types and "value" in n.children
                   and n.children["value"].types & _NUMERIC for n in nodes)
    numeric = bool(types & _NUMERIC) or estimate
    dated = bool(types & _DATES)
    versioned = "semver" in types
    # Plain text: a string that no kind in scope marks as a date or a version (those take only dates, versions).
    textual = any("string" in n.types and not n.types & (_DATES | {"semver"}) for n in nodes)
    holds = {"field": field.text, "types": _describe(types)}
    if op in ("contains",) and not types & {"array", "string", "object"}:
        raise scope.error(column, "contains_type", **holds)
    if op in ("~", "matches") and not types & {"string", "array"}:
        raise scope.error(column, "matches_type", op=op, **holds)
    for literal in literals:
        if op in ORDERING:
            if literal.number is not None and numeric:
                continue
            if (literal.day is not None or literal.moment is not None) and types & _DATES:
                continue
            if literal.number is None and literal.day is None and literal.moment is None and textual:
                continue
            if literal.version is not None and versioned:
                continue
            raise _not_of_type(literal, _wanted(numeric, dated, versioned), holds, scope)
        elif op in ("=", "!=", "in"):
            if numeric and not textual and not dated and not versioned and "boolean" not in types \
                    and literal.number is None:
                raise scope.error(literal.column, "not_a_number", value=literal.text, **holds)
            readable = (dated and (literal.day is not None or literal.moment is not None)) or (
                versioned and literal.version is not None)
            if (dated or versioned) and not textual and not numeric and not readable:
                raise _not_of_type(literal, _wanted(numeric, dated, versioned), holds, scope)
            if types == {"boolean"} and literal.boolean is None:
                raise scope.error(literal.column, "not_a_boolean", **holds)


def _wanted(numeric: bool, dated: bool, versioned: bool) -> str:
    """The QUERY_MESSAGES key of a value the field cannot be compared with."""
    return ("ordering.number" if numeric else "ordering.date" if dated else "ordering.version" if versioned
            else "ordering.text")


def _not_of_type(literal: TypedValue, key: str, holds: dict[str, str], scope: _Scope) -> QueryError:
    """A value the field's type cannot hold (`spec.date > -90x`, `version >= banana`): an error at the value."""
    return scope.error(literal.column, key, value=literal.text, **holds)


def _value_test(op: str, literals: list[TypedValue], scope: _Scope, column: int) -> Callable[[list[Any]], bool]:
    if op == "exists":
        return bool
    if op == "in":
        return lambda values: any(compare(v, "=", lit) for v in values for lit in literals)
    literal = literals[0]
    if op == "=":
        return lambda values: any(compare(v, "=", literal) for v in values)
    if op == "!=":
        return lambda values: bool(values) and not any(compare(v, "=", literal) for v in values)
    if op in ORDERING:
        return lambda values: any(compare(v, op, literal) for v in values)
    if op == "contains":
        needle = literal.text.casefold()
        return lambda values: any(contains(v, needle) for v in values)
    if op == "~":
        pattern = re.compile(fnmatch.translate(literal.text.casefold()))
        return lambda values: any(pattern.match(text.casefold()) for v in values for text in scalars(v))
    try:
        regex = re.compile(literal.text)
    except re.error as exc:
        raise scope.error(literal.column, "bad_regex", error=exc.msg) from None
    return lambda values: any(regex.search(text) for v in values for text in scalars(v))


def _virtual_test(field: Field, op: str, literals: list[TypedValue], column: int, scope: _Scope) -> Predicate:
    """kind, ref, path, status and env: facts about an entry rather than fields written in it."""
    name = field.text
    if op in ORDERING:
        raise scope.error(column, "virtual_ordering", name=name, op=op)
    if op == "contains":
        raise scope.error(column, "virtual_contains", name=name)
    exact = op in ("=", "!=", "in")
    if name == "kind" and exact:
        literals = [_known(lit, _kind_name(lit, scope)) for lit in literals]
    elif name == "status" and exact:
        for lit in literals:
            if lit.text not in STATUSES:
                raise scope.error(lit.column, "unknown_status", value=lit.text, known=", ".join(STATUSES))
    elif name == "env" and exact:
        known = sorted(scope.context.assignments)
        for lit in literals:
            if lit.text not in known:
                guess = suggest_word(lit.text, known)
                raise scope.error(lit.column, "unknown_environment" if guess else "unknown_environment.unguessed",
                                  value=lit.text, guess=guess, known=", ".join(known))
    location = _VIRTUAL_LOCATIONS[name](scope.context) if name in _VIRTUAL_LOCATIONS else None
    needles = _needles(op, literals) if name == "status" and "active" not in {lit.text for lit in literals} else ()
    return FieldTest(_value_test(op, literals, scope, column), virtual=name, location=location, needles=needles)


def _needles(op: str, literals: list[TypedValue]) -> tuple[str, ...]:
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


def _kind_name(literal: TypedValue, scope: _Scope) -> str:
    kind = find_kind(literal.text)
    if kind is None:
        guess = suggest_word(literal.text, list(KINDS))
        raise scope.error(literal.column, "unknown_kind" if guess else "unknown_kind.unguessed", value=literal.text,
                          guess=guess, known=", ".join(KINDS))
    return kind.name


def _known(literal: TypedValue, text: str) -> TypedValue:
    return TypedValue(text, literal.column)


def suggest_word(word: str, choices: Sequence[str]) -> str | None:
    lowered = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[found[0]] if found else None

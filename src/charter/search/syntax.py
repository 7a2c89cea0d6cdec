"""The query language of `charter search` and `list --where`: tokens, a recursive-descent parser, an AST.

Grammar (keywords are case-insensitive; adjacent conditions are joined by AND):

    query      := [or_expr]
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := not_expr (["AND"] not_expr)*
    not_expr   := "NOT" not_expr | primary
    primary    := "(" or_expr ")" | condition | text
    condition  := FIELD op value | FIELD "exists" | FIELD "in" "(" value ("," value)* ")"
    op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "~" | "matches"
    text       := WORD | STRING            (free text: a word not followed by an operator)

Double-quoted strings know the escapes \\" \\\\ \\n \\t; single-quoted ones keep backslashes as written (only \\'
is an escape), so a regular expression needs no doubling: `name matches '^sepsis-\\d'`.

This module knows only syntax; what a field means and how a value compares is `charter.search.compile`'s job. Every
problem is a `QueryError` that names the column, so the CLI can print the query with a caret under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from charter.errors import CharterError

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
WORD_OPERATORS = ("contains", "matches", "exists", "in")
KEYWORDS = ("and", "or", "not")
_SYMBOLS = "()=<>!~,"
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}


class QueryError(CharterError):
    """A query that cannot be read or does not make sense; the message shows the query and a caret.

    `key` names the problem's words in QUERY_MESSAGES, filled from `fields`: one class with a table, since the
    parser and the compiler find some forty problems that differ only in their words.
    """

    def __init__(self, query: str, column: int, key: str, /, **fields: object) -> None:
        template, hint_template = QUERY_MESSAGES[key]
        problem = template.format(**fields)
        shown, offset = _window(query.replace("\t", " ").replace("\n", " ").replace("\r", " "), column)
        caret = " " * (max(column, 1) - 1 - offset) + "^"
        super().__init__(f"query: {problem} (column {column})\n  {shown}\n  {caret}", hint_template.format(**fields),
                         **fields)
        self.query = query
        self.column = column
        self.problem = problem


#: What a query can get wrong: key -> (problem template, hint template), filled by `QueryError`'s fields. The
#: first group is syntax (this module), the second meaning (`charter.search.compile`); `KEY.variant` is the same
#: problem with another hint.
QUERY_MESSAGES: dict[str, tuple[str, str]] = {
    "bang": ("'!' on its own is not an operator", "write != or NOT"),
    "escape": ("unknown escape \\{escape} in a quoted string",
               "in double quotes write \\\" \\\\ \\n \\t; single quotes keep backslashes"),
    "unclosed_string": ("quoted string is never closed", "end it with {quote}"),
    "unmatched_close": ("')' has no matching '('", ""),
    "unexpected": ("unexpected {token}", ""),
    "nesting": ("the query nests deeper than {limit} levels", ""),
    "empty_parentheses": ("empty parentheses", "put a condition inside, or remove them"),
    "unclosed_parenthesis": ("'(' is never closed", "add a ')'"),
    "expected_close": ("expected ')' or AND/OR, found {token}", ""),
    "ends_early": ("the query ends where a condition was expected", ""),
    "stray_comma": ("',' outside of an `in (...)` list", ""),
    "no_field": ("'{symbol}' needs a field name before it", "write FIELD OPERATOR VALUE, e.g. metadata.owner = team-x"),
    "no_condition": ("{keyword} needs a condition before it", ""),
    "quoted_field": ("a field name is written without quotes", ""),
    "empty_path_part": ("field path {path!r} has an empty part",
                        "separate the parts of a path with single dots: spec.metrics.auroc"),
    "no_value": ("'{operator}' needs a value after it, found {token}", ""),
    "no_value.word": ("'{operator}' needs a value after it, found {token}", "quote it to mean the word itself"),
    "in_needs_list": ("'in' needs a list in parentheses", "e.g. status in (active, draft)"),
    "expected_list_end": ("expected ',' or ')' in the list, found {token}", ""),
    # meaning: fields, types and values (charter.search.compile)
    "not_a_date": ("{value!r} is not a calendar date or time",
                   "write YYYY-MM-DD or an RFC 3339 time such as 2026-01-31T08:00:00Z"),
    "field_elsewhere": ("{kinds} has no field {field!r}", "it is a field of {elsewhere}"),
    "unknown_field": ("unknown field {field!r}", "did you mean {guess!r}?"),
    "unknown_field.unguessed": ("unknown field {field!r}", "see docs/query.md for the fields of each kind"),
    "contains_type": ("'contains' looks into lists, text and maps; {field} holds {types}", "use = instead"),
    "matches_type": ("'{op}' matches text; {field} holds {types}", "compare with = < > instead"),
    "ordering.number": ("{field} holds {types}; {value!r} is not a number", "compare {field} with a number"),
    "ordering.date": ("{field} holds {types}; {value!r} is not a date",
                      "write YYYY-MM-DD, an RFC 3339 time, today, or a date counted back from today: -30d, -2w, -1y"),
    "ordering.version": ("{field} holds {types}; {value!r} is not a version",
                         "write a semantic version such as 1.2.0 (1.2 means 1.2.0)"),
    "ordering.text": ("{field} holds {types}; {value!r} is not text", "compare {field} with text"),
    "not_a_number": ("{field} holds {types}; {value!r} is not a number", ""),
    "not_a_boolean": ("{field} holds {types}; write true or false", ""),
    "unknown_key": ("no entry in this registry has the key {key!r} in {map}",
                    "did you mean {guess!r}? ({map} has: {known})"),
    "unknown_key.unguessed": ("no entry in this registry has the key {key!r} in {map}", "{map} has: {known}"),
    "bad_regex": ("bad regular expression: {error}", "quote the pattern and escape its special characters"),
    "virtual_ordering": ("{name} can be compared with = != in ~ matches, not {op}", ""),
    "virtual_contains": ("{name} holds one value per entry: use = or ~ instead of contains", ""),
    "unknown_status": ("unknown status {value!r}", "use one of: {known}"),
    "unknown_environment": ("no environment {value!r} in this registry", "did you mean {guess!r}?"),
    "unknown_environment.unguessed": ("no environment {value!r} in this registry", "environments: {known}"),
    "unknown_kind": ("unknown kind {value!r}", "did you mean {guess!r}?"),
    "unknown_kind.unguessed": ("unknown kind {value!r}", "use one of: {known}"),
}


#: How much of a long query an error shows on each side of the column it points at.
ERROR_CONTEXT = 60


def _window(query: str, column: int) -> tuple[str, int]:
    """The part of a long query around `column`, with `...` where it was cut, and how many characters were
    dropped in front (to place the caret): a 100 kB query must not become a 100 kB error message."""
    start = max(column - 1 - ERROR_CONTEXT, 0)
    end = column - 1 + ERROR_CONTEXT
    shown = query[start:end]
    prefix = "..." if start else ""
    suffix = "..." if end < len(query) else ""
    return prefix + shown + suffix, start - len(prefix)


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical unit. `kind` is word, string, symbol or end; `column` is 1-based."""

    kind: str
    text: str
    column: int


@dataclass(frozen=True, slots=True)
class Field:
    """A dotted field path as written, e.g. `spec.metrics.auroc`, or a short name such as `env` or `kind`."""

    path: tuple[str, ...]
    column: int

    @property
    def text(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True, slots=True)
class Value:
    """A literal as written: quoted strings are always text, bare words are typed by what they compare with."""

    text: str
    quoted: bool
    column: int


@dataclass(frozen=True, slots=True)
class Everything:
    """The empty query: every entry matches."""


@dataclass(frozen=True, slots=True)
class Text:
    """Free text: a word or quoted phrase to find in names, descriptions, notes and tags."""

    text: str
    column: int


@dataclass(frozen=True, slots=True)
class Compare:
    """`FIELD op VALUE` for the comparison operators and contains, ~ (glob) and matches (regex)."""

    field: Field
    op: str
    value: Value
    column: int  # of the operator


@dataclass(frozen=True, slots=True)
class Exists:
    field: Field


@dataclass(frozen=True, slots=True)
class InList:
    """`FIELD in (a, b, c)`: FIELD equals one of the values."""

    field: Field
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


Node: TypeAlias = Everything | Text | Compare | Exists | InList | Not | And | Or


def tokenize(query: str) -> list[Token]:
    """Split a query into tokens; an unterminated string or a stray character is an error at its column."""
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "\"'":
            text, end = _string(query, i)
            tokens.append(Token("string", text, i + 1))
            i = end
        elif char in _SYMBOLS:
            two = query[i:i + 2]
            if two in ("<=", ">=", "!="):
                tokens.append(Token("symbol", two, i + 1))
                i += 2
            elif char == "!":
                raise QueryError(query, i + 1, "bang")
            else:
                tokens.append(Token("symbol", "=" if two == "==" else char, i + 1))
                i += 2 if two == "==" else 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in _SYMBOLS and query[i] not in "\"'":
                i += 1
            tokens.append(Token("word", query[start:i], start + 1))
    tokens.append(Token("end", "", n + 1))
    return tokens


def _string(query: str, start: int) -> tuple[str, int]:
    """The quoted string whose quote is at `start`: its unescaped text and the index after its closing quote."""
    quote = query[start]
    parts: list[str] = []
    i = start + 1
    while i < len(query):
        char = query[i]
        if char == quote:
            return "".join(parts), i + 1
        if char == "\\":
            if i + 1 >= len(query):
                break
            escaped = query[i + 1]
            if quote == "'" and escaped != "'":
                parts.append(char)  # single quotes keep backslashes, so regular expressions read as written
                i += 1
                continue
            if escaped not in _ESCAPES:
                raise QueryError(query, i + 1, "escape", escape=escaped)
            parts.append(_ESCAPES[escaped])
            i += 2
            continue
        parts.append(char)
        i += 1
    raise QueryError(query, start + 1, "unclosed_string", quote=quote)


#: Deeper nesting than this is refused rather than left to Python's recursion limit.
MAX_NESTING = 64


def parse_query(query: str) -> Node:
    """The AST of a query; syntax errors are `QueryError`s pointing at the offending column."""
    return _Parser(query).parse()


def _is_keyword(token: Token, *words: str) -> bool:
    return token.kind == "word" and token.text.lower() in words


def _is_operator(token: Token) -> bool:
    if token.kind == "symbol":
        return token.text in COMPARISONS or token.text == "~"
    return token.kind == "word" and token.text.lower() in WORD_OPERATORS


def _shown(token: Token) -> str:
    if token.kind == "end":
        return "the end of the query"
    return f"{token.text!r}" if token.kind != "string" else "a quoted string"


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.pos = 0
        self.depth = 0

    def error(self, column: int, key: str, /, **fields: object) -> QueryError:
        return QueryError(self.query, column, key, **fields)

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def parse(self) -> Node:
        if self.peek().kind == "end":
            return Everything()
        node = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            if token.text == ")":
                raise self.error(token.column, "unmatched_close")
            raise self.error(token.column, "unexpected", token=_shown(token))  # pragma: no cover - and_expr takes all
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while _is_keyword(self.peek(), "or"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while True:
            token = self.peek()
            if _is_keyword(token, "and"):
                self.advance()
            elif not self.starts_operand(token):
                break
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def starts_operand(self, token: Token) -> bool:
        if token.kind == "symbol":
            return token.text == "("
        return token.kind in ("word", "string") and not _is_keyword(token, "and", "or")

    def nest(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(column, "nesting", limit=MAX_NESTING)

    def not_expr(self) -> Node:
        token = self.peek()
        if _is_keyword(token, "not"):
            self.advance()
            self.nest(token.column)
            operand = self.not_expr()
            self.depth -= 1
            return Not(operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token.kind == "symbol" and token.text == "(":
            self.advance()
            self.nest(token.column)
            if self.peek().text == ")" and self.peek().kind == "symbol":
                raise self.error(token.column, "empty_parentheses")
            node = self.or_expr()
            closing = self.peek()
            if not (closing.kind == "symbol" and closing.text == ")"):
                if closing.kind == "end":
                    raise self.error(token.column, "unclosed_parenthesis")
                raise self.error(closing.column, "expected_close", token=_shown(closing))
            self.advance()
            self.depth -= 1
            return node
        if token.kind == "end":
            raise self.error(token.column, "ends_early")
        if token.kind == "symbol":
            if token.text == ")":
                raise self.error(token.column, "unmatched_close")
            if token.text == ",":
                raise self.error(token.column, "stray_comma")
            raise self.error(token.column, "no_field", symbol=token.text)
        if _is_keyword(token, "and", "or"):
            raise self.error(token.column, "no_condition", keyword=token.text.upper())
        if _is_operator(self.peek(1)):
            if token.kind == "string":
                raise self.error(token.column, "quoted_field")
            return self.condition()
        self.advance()
        return Text(token.text, token.column)

    def field(self, token: Token) -> Field:
        segments = token.text.split(".")
        offset = 0
        for segment in segments:
            if not segment:
                raise self.error(token.column + offset, "empty_path_part", path=token.text)
            offset += len(segment) + 1
        return Field(tuple(segments), token.column)

    def condition(self) -> Node:
        field = self.field(self.advance())
        operator = self.advance()
        op = operator.text.lower() if operator.kind == "word" else operator.text
        if op == "exists":
            return Exists(field)
        if op == "in":
            return InList(field, self.value_list(operator))
        return Compare(field, op, self.value(operator), operator.column)

    def value(self, operator: Token) -> Value:
        token = self.peek()
        if token.kind == "string":
            self.advance()
            return Value(token.text, True, token.column)
        if token.kind == "word" and not _is_keyword(token, "and", "or", "not"):
            self.advance()
            return Value(token.text, False, token.column)
        raise self.error(token.column, "no_value.word" if token.kind == "word" else "no_value", operator=operator.text,
                         token=_shown(token))

    def value_list(self, operator: Token) -> tuple[Value, ...]:
        opening = self.peek()
        if not (opening.kind == "symbol" and opening.text == "("):
            raise self.error(opening.column, "in_needs_list")
        self.advance()
        values = [self.value(operator)]
        while self.peek().kind == "symbol" and self.peek().text == ",":
            self.advance()
            values.append(self.value(operator))
        closing = self.peek()
        if not (closing.kind == "symbol" and closing.text == ")"):
            if closing.kind == "end":
                raise self.error(opening.column, "unclosed_parenthesis")
            raise self.error(closing.column, "expected_list_end", token=_shown(closing))
        self.advance()
        return tuple(values)

"""The query language: tokens, precedence, NOT and parentheses, and errors that point at the right column."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charter.errors import CharterError
from charter.registry.documents import Document
from charter.registry.fields import Positions
from charter.registry.kinds import KINDS
from charter.search.compile import compile_query
from charter.search.predicates import QueryContext
from charter.search.syntax import (
    And,
    Compare,
    Everything,
    Exists,
    Field,
    InList,
    Not,
    Or,
    QueryError,
    Text,
    Value,
    parse_query,
    tokenize,
)

TODAY = date(2026, 6, 1)


def cmp(path: str, op: str, value: str, column: int, op_column: int, value_column: int,
        quoted: bool = False) -> Compare:
    return Compare(Field(tuple(path.split(".")), column), op, Value(value, quoted, value_column), op_column)


def error_of(query: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        compile_query(query, context())
    return caught.value


def context(assignments: dict[str, frozenset[str]] | None = None) -> QueryContext:
    return QueryContext(TODAY, lambda: assignments or {"production": frozenset({"model:sepsis-risk@1.0.0"})})


def test_empty_query_matches_everything() -> None:
    assert parse_query("") == Everything()
    assert parse_query("   ") == Everything()


def test_a_comparison() -> None:
    assert parse_query("spec.metrics.auroc >= 0.8") == cmp("spec.metrics.auroc", ">=", "0.8", 1, 20, 23)


def test_and_binds_tighter_than_or() -> None:
    tree = parse_query("a OR b AND c")
    assert tree == Or((Text("a", 1), And((Text("b", 6), Text("c", 12)))))


def test_adjacent_conditions_are_joined_by_and() -> None:
    assert parse_query("sepsis owner = x") == And((Text("sepsis", 1), cmp("owner", "=", "x", 8, 14, 16)))


def test_parentheses_override_precedence() -> None:
    tree = parse_query("(a OR b) AND c")
    assert tree == And((Or((Text("a", 2), Text("b", 7))), Text("c", 14)))


def test_not_applies_to_the_next_condition_only() -> None:
    assert parse_query("NOT a b") == And((Not(Text("a", 5)), Text("b", 7)))
    assert parse_query("not not a") == Not(Not(Text("a", 9)))
    assert parse_query("NOT (a OR b)") == Not(Or((Text("a", 6), Text("b", 11))))


def test_keywords_ignore_case_and_quotes_make_them_words() -> None:
    assert parse_query("a and b") == And((Text("a", 1), Text("b", 7)))
    assert parse_query('a "and" b') == And((Text("a", 1), Text("and", 3), Text("b", 9)))


def test_quoted_strings_with_escapes() -> None:
    tokens = tokenize(r'"say \"hi\"\n" ' + r"'it\'s'")
    assert [(t.kind, t.text, t.column) for t in tokens] == [
        ("string", 'say "hi"\n', 1), ("string", "it's", 16), ("end", "", 23)]


def test_single_quotes_keep_backslashes() -> None:
    assert tokenize(r"'a\.b\'c'")[0].text == "a\\.b'c"


def test_word_operators_exists_in_contains_matches() -> None:
    assert parse_query("spec.parent exists") == Exists(Field(("spec", "parent"), 1))
    assert parse_query("status in (active, draft)") == InList(
        Field(("status",), 1), (Value("active", False, 12), Value("draft", False, 20)))
    assert parse_query("tags CONTAINS sepsis") == cmp("tags", "contains", "sepsis", 1, 6, 15)
    assert parse_query("name ~ 'sep*'") == cmp("name", "~", "sep*", 1, 6, 8, quoted=True)


def test_double_equals_is_equals() -> None:
    assert parse_query("owner == x") == cmp("owner", "=", "x", 1, 7, 10)


@pytest.mark.parametrize(("query", "column", "problem"), [
    ("(a OR b", 1, "'(' is never closed"),
    ("a OR b)", 7, "')' has no matching '('"),
    ("owner = ", 9, "'=' needs a value after it"),
    ("= x", 1, "'=' needs a field name before it"),
    ("a AND", 6, "the query ends where a condition was expected"),
    ("OR a", 1, "OR needs a condition before it"),
    ('name = "abc', 8, "quoted string is never closed"),
    (r'"a\qb"', 3, "unknown escape \\q"),
    ("a ! b", 3, "'!' on its own is not an operator"),
    ("()", 1, "empty parentheses"),
    ("spec..date > 1", 6, "has an empty part"),
    ('"owner" = x', 1, "a field name is written without quotes"),
    ("status in active", 11, "'in' needs a list in parentheses"),
    ("status in (active draft)", 19, "expected ',' or ')'"),
    ("owner = AND", 9, "'=' needs a value after it"),
])
def test_syntax_errors_name_the_column(query: str, column: int, problem: str) -> None:
    error = error_of(query)
    assert error.column == column
    assert problem in error.problem
    lines = str(error).splitlines()
    assert lines[1] == f"  {query}"
    assert lines[2] == "  " + " " * (column - 1) + "^"


def test_unknown_field_suggests_the_closest_one() -> None:
    error = error_of("sepsis AND spec.metrix.auroc > 0.8")
    assert (error.column, error.problem) == (12, "unknown field 'spec.metrix.auroc'")
    assert error.hint == "did you mean 'spec.metrics.auroc'?"


def test_a_field_of_another_kind_says_which_kinds_have_it() -> None:
    with pytest.raises(QueryError) as caught:
        compile_query("spec.metrics.auroc > 0.8", context(), [KINDS["Cohort"]])
    assert "Cohort has no field 'spec.metrics.auroc'" in caught.value.problem
    assert "ModelVersion" in caught.value.hint and "Evaluation" in caught.value.hint


@pytest.mark.parametrize(("query", "column", "problem"), [
    ("spec.metrics.auroc > high", 22, "'high' is not a number"),
    ("metadata.owner > 5", 18, "metadata.owner holds text; '5' is not text"),
    ("spec.date >= 2026-02-30", 14, "'2026-02-30' is not a calendar date"),
    ("spec.date >= -99999999d", 14, "is not a calendar date"),
    ("spec.provenance.dirty = maybe", 25, "write true or false"),
    ("spec.provenance.dirty contains x", 23, "'contains' looks into lists, text and maps"),
    ("name matches '('", 14, "bad regular expression"),
    ("kind = modle", 8, "unknown kind 'modle'"),
    ("status = actve", 10, "unknown status 'actve'"),
    ("env = prod", 7, "no environment 'prod'"),
    ("kind > Model", 6, "kind can be compared with"),
    ("spec.date > -90x", 13, "spec.date holds date; '-90x' is not a date"),
    ("spec.date = soon", 13, "'soon' is not a date"),
    ("version >= 1.x", 12, "version holds version; '1.x' is not a version"),
    ("version >= banana", 12, "'banana' is not a version"),
    ("metadata.version < 2.0.0-", 20, "'2.0.0-' is not a version"),
])
def test_meaningless_comparisons_are_errors(query: str, column: int, problem: str) -> None:
    error = error_of(query)
    assert error.column == column, error
    assert problem in error.problem


def test_type_errors_say_how_to_write_the_value() -> None:
    assert "-30d" in error_of("spec.date > -90x").hint
    assert "1.2.0" in error_of("version >= banana").hint


@pytest.mark.parametrize("query", ["spec.date > -90d", "spec.date >= 2026-01-31T08:00:00Z", "spec.date < today",
                                   "version >= 1.2", "version >= 2", "version = 1.0.0", "name > abc",
                                   "spec.metrics.auroc > 0.8", "spec.metrics.* < 0.05"])
def test_well_typed_values_compile(query: str) -> None:
    compile_query(query, context())


def test_environment_suggestion() -> None:
    assert error_of("env = prod").hint == "did you mean 'production'?"


def doc(kind: str, name: str, version: str | None = None, **spec: object) -> Document:
    metadata: dict[str, object] = {"name": name, "owner": "team-x", "description": "A test entry.",
                                   "status": spec.pop("status", "active"), "tags": spec.pop("tags", [])}
    if version:
        metadata["version"] = version
    path = KINDS[kind].relative_path(name, version)
    return Document(path, {"apiVersion": "charter/v1", "kind": kind, "metadata": metadata, "spec": spec},
                    Positions())


def matches(query: str, document: Document) -> bool:
    ctx = context()
    return compile_query(query, ctx).by_document(document, ctx)


VERSION = doc("ModelVersion", "sepsis-risk", "1.0.0", metrics={"auroc": 0.84, "brier": 0.07},
              notes="Monotonic constraints on lactate.", tags=["sepsis", "xgboost"])
EVALUATION = doc("Evaluation", "sepsis-eval", "1.0.0", date="2026-05-20",
                 metrics={"auroc": {"value": 0.86, "ciLower": 0.85}},
                 thresholds=[{"threshold": 0.3, "ppv": 0.2}, {"threshold": 0.6, "ppv": 0.5}])


@pytest.mark.parametrize(("query", "version", "evaluation"), [
    ("spec.metrics.auroc >= 0.85", False, True),  # an estimate compares by its value
    ("spec.metrics.auroc >= 0.8", True, True),
    ("spec.metrics.auroc.value >= 0.85", False, True),
    ("spec.metrics.* < 0.1", True, False),
    ("spec.thresholds.ppv > 0.4", False, True),  # any row of a list
    ("spec.date >= 2026-05-01", False, True),
    ("spec.date > -7d", False, False),
    ("spec.date > -2w", False, True),
    ("tags contains SEPSIS", True, False),
    ("metadata.tags contains seps", False, False),  # list membership is whole items
    ("lactate", True, False),  # free text reads notes
    ("'sepsis-ev'", False, True),  # and names
    ("name ~ 'sepsis-*'", True, True),
    ("name matches '^sepsis-r'", True, False),
    ("version >= 1.0", True, True),
    ("version < 1.0.0-rc.1", False, False),
    ("spec.notes exists", True, False),
    ("NOT spec.notes exists", False, True),
    ("spec.notes != x", True, False),  # != needs the field
    ("NOT spec.notes = x", True, True),
    ("kind = evaluation OR kind = modelversion", True, True),
    ("kind in (Evaluation)", False, True),
    ("ref = model:sepsis-risk@1.0.0", True, False),
    ("env = production", True, False),
    ("NOT env exists", False, True),
    ("status in (active, draft)", True, True),
    ("owner = team-x AND (lactate OR sepsis-eval)", True, True),
])
def test_semantics(query: str, version: bool, evaluation: bool) -> None:
    assert (matches(query, VERSION), matches(query, EVALUATION)) == (version, evaluation)


def test_location_stage_decides_without_parsing() -> None:
    from charter.registry.kinds import locate_path

    ctx = context()
    location = locate_path("models/sepsis-risk/versions/1.0.0.yaml")
    assert location is not None
    assert compile_query("env = production", ctx).by_location(location) is True
    assert compile_query("name = other", ctx).by_location(location) is False
    assert compile_query("spec.date > -1d", ctx).by_location(location) is False  # ModelVersion has no spec.date
    assert compile_query("spec.metrics.auroc > 0.5", ctx).by_location(location) is None


def test_text_stage_only_rules_out() -> None:
    predicate = compile_query("lactate AND spec.notes exists", context())
    assert predicate.by_text("nothing here") is False
    assert predicate.by_text("notes: lactate") is None
    assert compile_query("NOT lactate", context()).by_text("nothing here") is True


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab.()'\"\\=<>!~, -0123456789dANDORNOTexists in")), max_size=40)
       | st.text(max_size=40))
def test_random_queries_never_crash(query: str) -> None:
    try:
        compile_query(query, context())
    except CharterError as error:
        assert isinstance(error, QueryError)
        assert 1 <= error.column <= len(query) + 1

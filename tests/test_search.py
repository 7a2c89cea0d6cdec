"""`charter search` and `list --where` on a real registry: results, JSON, facets, environments, dates, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.api import Registry
from charter.registry.kinds import KINDS
from charter.search.engine import RegistryFiles, search
from charter.store.loader import load_registry
from tests.conftest import Charter


def refs(stdout: str) -> list[str]:
    return [e["ref"] for e in json.loads(stdout)["entries"]]


def search_json(charter: Charter, registry: Path, *args: str) -> dict[str, object]:
    result = charter("-C", registry, "search", *args, "--format", "json", "--limit", "0")
    assert result.code == 0, result
    data: dict[str, object] = json.loads(result.stdout)
    return data


def evaluation_date(registry: Path, name: str) -> str:
    text = (registry / "evaluations" / name / "1.0.0.yaml").read_text()
    found = re.search(r"^  date: (\S+)$", text, flags=re.M)
    assert found is not None
    return found.group(1)


def test_table_lists_matches_and_facets(charter: Charter, registry: Path) -> None:
    result = charter("-C", registry, "search", "sepsis AND kind = ModelVersion")
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["model:sepsis-risk@1.0.0", "│"] for line in lines)
    assert any("model:sepsis-risk@1.1.0" in line for line in lines)
    assert "card-fraud" not in result.stdout
    assert "2 entries match" in result.stdout
    assert "kind: ModelVersion 2" in result.stdout
    assert "owner: team-clinical-ml 2" in result.stdout
    assert "status: active 2" in result.stdout


def test_json_has_total_entries_and_facets(charter: Charter, registry: Path) -> None:
    result = charter("-C", registry, "search", "metadata.tags contains sepsis", "--format", "json", "--limit", "3")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["query"] == "metadata.tags contains sepsis"
    assert len(data["entries"]) == 3
    assert data["total"] == 12  # with the cohort and the evaluation of the example's predictions file
    tags = {f["value"]: f["count"] for f in data["facets"]["tag"]}
    assert tags["sepsis"] == 12
    assert sum(f["count"] for f in data["facets"]["kind"]) == 12
    assert set(data["facets"]) == {"kind", "owner", "tag", "status"}
    assert data["entries"][0] == {
        "ref": "model:sepsis-risk", "kind": "Model", "name": "sepsis-risk", "version": None, "status": "active",
        "owner": "team-clinical-ml", "path": "models/sepsis-risk/model.yaml",
        "description": data["entries"][0]["description"]}


def test_no_facets(charter: Charter, registry: Path) -> None:
    assert search_json(charter, registry, "fraud", "--no-facets")["facets"] == {}
    result = charter("-C", registry, "search", "fraud", "--no-facets")
    assert "kind:" not in result.stdout and "entries match" in result.stdout


def test_environment_assignment(charter: Charter, registry: Path) -> None:
    found = refs(json.dumps(search_json(charter, registry, "env = production")))
    assert found == ["model:card-fraud", "model:sepsis-risk", "model:card-fraud@3.2.0", "model:sepsis-risk@1.0.0"]
    versions = refs(json.dumps(search_json(charter, registry, "env exists AND NOT env = production",
                                           "--kind", "modelversion")))
    assert versions == ["model:card-fraud@3.3.0", "model:sepsis-risk@1.1.0"]


def test_unknown_environment_is_an_error(charter: Charter, registry: Path) -> None:
    result = charter("-C", registry, "search", "env = prod")
    assert result.code == 2
    assert "no environment 'prod'" in result.stderr and "did you mean 'production'?" in result.stderr


def test_dates(charter: Charter, registry: Path) -> None:
    newest = evaluation_date(registry, "sepsis-risk-1-1-0-retro")
    on_or_after = refs(json.dumps(search_json(charter, registry, f"spec.date >= {newest}")))
    assert on_or_after == ["evaluation:sepsis-risk-1-1-0-retro@1.0.0"]
    assert search_json(charter, registry, f"spec.date > {newest}")["total"] == 0
    assert search_json(charter, registry, "kind = Evaluation AND spec.date <= today")["total"] == 4
    assert search_json(charter, registry, "spec.date > today")["total"] == 0
    in_between = search_json(charter, registry, f"spec.date < {newest} AND spec.date > -3650d")
    assert in_between["total"] == 3


def test_metric_shorthand_reads_versions_and_evaluations(charter: Charter, registry: Path) -> None:
    found = refs(json.dumps(search_json(charter, registry, "spec.metrics.auroc >= 0.86 AND sepsis")))
    assert found == ["model:sepsis-risk@1.1.0", "evaluation:sepsis-risk-1-1-0-predictions-retro@1.0.0",
                     "evaluation:sepsis-risk-1-1-0-retro@1.0.0"]


def test_unknown_field_points_at_it(charter: Charter, registry: Path) -> None:
    result = charter("-C", registry, "search", "sepsis AND spec.metrcs.auroc > 0.8")
    assert result.code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "error: query: unknown field 'spec.metrcs.auroc' (column 12)"
    assert lines[1] == "  sepsis AND spec.metrcs.auroc > 0.8"
    assert lines[2] == "             ^"
    assert "did you mean 'spec.metrics.auroc'?" in lines[3]
    assert result.stdout == ""


@pytest.mark.parametrize(("query", "column", "guess"), [
    ("spec.metrics.aurocc > 0.5", 14, "did you mean 'auroc'?"),
    ("sepsis AND spec.metrics.aurocc.ciLower > 0.5", 25, "did you mean 'auroc'?"),
    ("spec.provenance.params.max_dept = 3", 24, "did you mean 'max_depth'?"),
    ("spec.metrics.zzzz exists", 14, "spec.metrics has: auprc, auroc"),
])
def test_a_map_key_no_entry_has_is_an_error_with_the_keys_there_are(charter: Charter, registry: Path, query: str,
                                                                    column: int, guess: str) -> None:
    for command in (("search", query), ("list", "--where", query)):
        result = charter("-C", registry, *command)
        assert result.code == 2, result
        lines = result.stderr.splitlines()
        assert lines[0].startswith("error: query: no entry in this registry has the key ")
        assert lines[0].endswith(f"(column {column})") and lines[2].index("^") - 2 == column - 1
        assert guess in lines[3]


@pytest.mark.parametrize("query", ["spec.metrics.auroc > 0.999", "spec.metrics.aurocc > 0.5 OR sepsis",
                                   "NOT spec.metrics.aurocc exists"])
def test_a_map_key_is_checked_only_when_nothing_matched(charter: Charter, registry: Path, query: str) -> None:
    """An empty answer with a key some entry has is true; a query that matched something answered it."""
    assert charter("-C", registry, "search", query).code == 0


def test_syntax_error_exit_code(charter: Charter, registry: Path) -> None:
    result = charter("-C", registry, "search", "(sepsis OR fraud")
    assert result.code == 2
    assert "'(' is never closed (column 1)" in result.stderr


def test_list_where(charter: Charter, registry: Path) -> None:
    result = charter("-C", registry, "list", "modelversion", "--where", "spec.metrics.auroc >= 0.86", "--format",
                     "json")
    assert result.code == 0, result
    assert [r["ref"] for r in json.loads(result.stdout)] == ["model:card-fraud@3.2.0", "model:card-fraud@3.3.0",
                                                             "model:sepsis-risk@1.1.0"]
    table = charter("-C", registry, "list", "--where", "kind = Model AND tags contains clinical")
    assert "model:sepsis-risk " in table.stdout and "1 entry" in table.stdout
    bad = charter("-C", registry, "list", "cohort", "--where", "spec.metrics.auroc > 0.5")
    assert bad.code == 2 and "Cohort has no field 'spec.metrics.auroc'" in bad.stderr


def test_a_word_spelled_with_a_yaml_escape_is_found(charter: Charter, registry: Path) -> None:
    path = registry / "models" / "card-fraud" / "model.yaml"
    text = path.read_text()
    escaped = '  description: "Fraud \\u0073core for cards."\n'
    text = re.sub(r"  description: >-\n(    .*\n)+", lambda _match: escaped, text, count=1)
    assert "\\u0073core" in text
    path.write_text(text)
    assert refs(json.dumps(search_json(charter, registry, "'fraud score'"))) == ["model:card-fraud"]


def test_unreadable_files_are_skipped(charter: Charter, registry: Path) -> None:
    (registry / "models" / "broken" / "versions").mkdir(parents=True)
    (registry / "models" / "broken" / "versions" / "1.0.0.yaml").write_text("kind: [unclosed\n")
    assert search_json(charter, registry, "kind = ModelVersion")["total"] == 4


QUERIES = [
    "", "sepsis", "NOT sepsis", "fraud OR env = staging", "spec.metrics.auroc > 0.85",
    "NOT spec.metrics.auroc > 0.85", "kind = Evaluation AND spec.thresholds.ppv >= 0.5", "version >= 1.1",
    "status != active", "name ~ 'card-*' AND NOT kind = Model", "spec.notes exists", "ref matches '@1\\.'",
    "metadata.annotations.jira exists OR tags contains label", "'early warning'", "NOT env exists",
    "owner = team-clinical-ml", "status = deprecated", "NOT status = active", "tags contains FRAUD",
    "owner in (team-payments-risk, nobody)", "spec.method = retrospective", "spec.metrics contains auroc",
]


@pytest.mark.parametrize("query", QUERIES)
def test_reading_less_never_changes_the_answer(registry: Path, query: str) -> None:
    """Path and text stages skip files; the answer equals testing every parsed entry of the full index."""
    from datetime import date

    from charter.search.compile import compile_query
    from charter.search.engine import environment_assignments
    from charter.search.predicates import QueryContext

    loaded = load_registry(registry)
    narrowed = search(RegistryFiles(registry), query, limit=0)
    in_memory = search(loaded, query, limit=0, prefilter_text=False)
    context = QueryContext(date.today(), lambda: environment_assignments(loaded))
    predicate = compile_query(query, context)
    brute = sorted(str(d.ref) for d in loaded.index.entries() if predicate.by_document(d, context))
    assert sorted(e.ref for e in narrowed.entries) == brute
    assert narrowed == in_memory


ATOMS = [
    "sepsis", "fraud", "'early warning'", "env = production", "env = staging", "kind = Model", "kind = event",
    "name = card-fraud", "version >= 1.1", "owner = team-clinical-ml", "tags contains fraud", "status = deprecated",
    "spec.metrics.auroc > 0.85", "spec.date > -400d", "ref = model:sepsis-risk@1.0.0", "spec.notes exists",
    "spec.parent != model:sepsis-risk@1.0.0", "name ~ 'card*'", "spec.method in (retrospective, shadow)",
]
COMBINED = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: st.one_of(st.tuples(inner, inner).map(lambda pair: f"({pair[0]} OR {pair[1]})"),
                            st.tuples(inner, inner).map(" AND ".join), inner.map(lambda q: f"NOT {q}")),
    max_leaves=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=COMBINED)
def test_combined_queries_read_less_and_answer_the_same(template_registry: Path, query: str) -> None:
    """NOT and OR over the path and text stages: every combination must agree with testing every entry."""
    from datetime import date

    from charter.search.compile import compile_query
    from charter.search.engine import environment_assignments
    from charter.search.predicates import QueryContext

    loaded = load_registry(template_registry)
    context = QueryContext(date.today(), lambda: environment_assignments(loaded))
    predicate = compile_query(query, context)
    brute = sorted(str(d.ref) for d in loaded.index.entries() if predicate.by_document(d, context))
    assert sorted(e.ref for e in search(RegistryFiles(template_registry), query, limit=0).entries) == brute


def test_registry_search_api(registry: Path) -> None:
    result = Registry(registry).search("fraud", limit=2)
    assert result.total > 2 and len(result.entries) == 2
    assert Registry(registry).list(where="kind = Environment") == Registry(registry).list(KINDS["Environment"])


def test_search_imports_nothing_heavy(template_registry: Path) -> None:
    from tests.helpers import imported

    assert imported("search", "sepsis AND spec.metrics.auroc > 0.5", "--format", "json", cwd=template_registry) == []


@pytest.mark.parametrize("query", ["sepsis", "spec.metrics.auroc >= 0.8", "env = production", "NOT status = active"])
def test_the_parse_cache_never_changes_a_search(query: str, registry: Path, charter: Charter,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def found() -> object:
        result = charter("search", query, "--format", "json", cwd=registry)
        assert result.code == 0, result
        return json.loads(result.stdout)

    monkeypatch.setenv("CHARTER_NO_CACHE", "1")
    uncached = found()
    monkeypatch.delenv("CHARTER_NO_CACHE")
    assert charter("validate", cwd=registry).code == 0  # fills the cache
    assert (registry / ".git" / "charter").is_dir()
    (registry / "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml").write_text(  # one file no longer cached
        (registry / "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml").read_text(encoding="utf-8")
        .replace("status: active", "status: deprecated", 1), encoding="utf-8")
    cached = found()
    monkeypatch.setenv("CHARTER_NO_CACHE", "1")
    assert cached == found()
    assert uncached != cached or query in ("spec.metrics.auroc >= 0.8", "env = production")


# -- the search index: stored facts answer exactly as the files do ----------------------------------------------

INDEX_QUERIES = [
    *QUERIES, "STRASSE", "'straße'", "ünïcode", "'fraud score'", "'real-time fraud'", "SEPSIS", "name ~ 'SEPSIS*'",
    "spec.metrics.* > 0.5", "description contains 'ISSUER'", "sepsis AND spec.metrics.auroc >= 0.86",
    "NOT (fraud OR sepsis)", "tags contains clinical OR NOT kind = Model", "env = production AND NOT sepsis",
    "spec.metrics.auroc exists", "spec.metrics.auroc != 0.86", "path ~ 'models/*'", "'a\0b' OR fraud",
]


@pytest.fixture
def settled_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust the stat of a file written just now (each test's writes change a file's size or times)."""
    import charter.store.cache

    monkeypatch.setattr(charter.store.cache, "SETTLED_NS", 0)


def uncached(registry: Path, query: str, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("CHARTER_NO_CACHE", "1")
    try:
        return search(RegistryFiles(registry), query, limit=0)
    finally:
        monkeypatch.delenv("CHARTER_NO_CACHE")


def unread(registry: Path) -> list[str]:
    """The entry files a search would have to read: those whose stored facts are not known to be theirs."""
    from charter.registry.kinds import locate_path

    source = RegistryFiles(registry)
    index = source.search_index()
    assert index is not None
    _, unknown = index.resolve([f for f in source.files if locate_path(f) is not None])
    return sorted(unknown)


def assert_index_answers_like_files(registry: Path, monkeypatch: pytest.MonkeyPatch,
                                    queries: list[str] = INDEX_QUERIES) -> None:
    for query in queries:
        assert search(RegistryFiles(registry), query, limit=0) == uncached(registry, query, monkeypatch), query


def unicode_entries(registry: Path) -> None:
    path = registry / "models" / "card-fraud" / "model.yaml"
    text = path.read_text(encoding="utf-8").replace("tags: [payments, fraud, real-time]",
                                                     "tags: [payments, fraud, real-time, Ünïcode]")
    path.write_text(text.replace("before the issuer", "before the Straße issuer"), encoding="utf-8")


def test_validate_stores_what_a_search_needs(registry: Path, charter: Charter, settled_now: None) -> None:
    import shutil

    shutil.rmtree(registry / ".git" / "charter", ignore_errors=True)
    assert len(unread(registry)) > 20
    assert charter("validate", cwd=registry).code == 0
    assert unread(registry) == []


def test_a_file_written_just_now_is_read_not_trusted(registry: Path, charter: Charter) -> None:
    """Within the file system's time granularity a second write could leave the stat unchanged: such files are
    read by every search until they have settled."""
    assert charter("validate", cwd=registry).code == 0
    assert "models/card-fraud/model.yaml" in unread(registry)


def test_the_search_index_answers_as_the_files_do(registry: Path, charter: Charter, settled_now: None,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    unicode_entries(registry)
    assert charter("validate", cwd=registry).code == 0
    assert unread(registry) != []  # cached by `init`, when the files were too new to trust: read by a search
    assert search(RegistryFiles(registry), "sepsis") == uncached(registry, "sepsis", monkeypatch)
    assert unread(registry) == []
    assert_index_answers_like_files(registry, monkeypatch)  # field values computed and stored
    assert_index_answers_like_files(registry, monkeypatch)  # and read back
    assert refs(json.dumps(search_json(charter, registry, "STRASSE"))) == ["model:card-fraud"]
    kinds = (KINDS["ModelVersion"], KINDS["Evaluation"])
    query = "spec.metrics.auroc >= 0.86 OR sepsis"
    monkeypatch.setenv("CHARTER_NO_CACHE", "1")
    expected = search(RegistryFiles(registry), query, kinds, limit=0)
    monkeypatch.delenv("CHARTER_NO_CACHE")
    assert search(RegistryFiles(registry), query, kinds, limit=0) == expected


def test_the_search_index_sees_edits_new_and_removed_files(registry: Path, charter: Charter, settled_now: None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    assert_index_answers_like_files(registry, monkeypatch)
    assert unread(registry) == []
    grown = registry / "models" / "card-fraud" / "versions" / "3.2.0.yaml"
    grown.write_text(grown.read_text(encoding="utf-8").replace("status: active", "status: deprecated")
                     .replace("description: ", "description: sepsis too, "), encoding="utf-8")
    same_size = registry / "models" / "sepsis-risk" / "model.yaml"
    text = same_size.read_text(encoding="utf-8")
    assert "sepsis-risk" in text and "team-clinical-ml" in text
    same_size.write_text(text.replace("team-clinical-ml", "team-clinical-mx"), encoding="utf-8")
    os.utime(same_size, ns=(1_600_000_000 * 10**9, 1_600_000_000 * 10**9))  # the same size: another time
    untracked = registry / "models" / "card-fraud" / "versions" / "9.0.0.yaml"
    untracked.write_text(grown.read_text(encoding="utf-8").replace("3.2.0", "9.0.0"), encoding="utf-8")
    (registry / "evaluations" / "card-fraud-3-2-0-retro" / "1.0.0.yaml").unlink()
    (registry / "cohorts" / "sepsis-adult-inpatients-eval" / "1.0.0.yaml").rename(
        registry / "cohorts" / "sepsis-adult-inpatients-eval" / "1.0.1.yaml")
    changed = unread(registry)
    assert [f for f in changed if "card-fraud/versions" in f or f.endswith("sepsis-risk/model.yaml")] == [
        "models/card-fraud/versions/3.2.0.yaml", "models/card-fraud/versions/9.0.0.yaml",
        "models/sepsis-risk/model.yaml"]
    assert_index_answers_like_files(registry, monkeypatch)
    assert "model:card-fraud@9.0.0" in refs(json.dumps(search_json(charter, registry, "sepsis")))
    assert search_json(charter, registry, "owner = team-clinical-mx")["total"] == 1
    assert unread(registry) == []  # what the search read, it stored


def test_duplicate_entries_are_told_apart_as_the_files_tell_them(registry: Path, charter: Charter,
                                                                  settled_now: None,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first = registry / "models" / "card-fraud" / "model.yaml"
    text = first.read_text(encoding="utf-8")
    (registry / "models" / "card-fraud" / "model.yml").write_text(
        text.replace("Real-time fraud", "Zebra fraud"), encoding="utf-8")
    assert charter("validate", cwd=registry).code == 1
    assert_index_answers_like_files(registry, monkeypatch, ["zebra", "'real-time fraud'", "fraud", "NOT zebra"])


def test_a_missing_or_damaged_index_is_rebuilt_not_trusted(registry: Path, charter: Charter, settled_now: None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import marshal
    import shutil
    import sqlite3

    from charter.store.cache import CACHE_FILE

    database = registry / ".git" / "charter" / CACHE_FILE
    queries = ["sepsis", "fraud", "spec.metrics.auroc >= 0.86", "NOT status = active", "kind = Model"]
    assert charter("validate", cwd=registry).code == 0
    assert_index_answers_like_files(registry, monkeypatch, queries)
    with sqlite3.connect(database) as db:  # rows changed behind the cache's back: their checksums fail
        db.execute("UPDATE facts SET record = CAST('nothing' AS BLOB) WHERE path = 'models/sepsis-risk/model.yaml'")
        db.execute("UPDATE facts SET record = substr(record, 1, length(record) - 3) WHERE path LIKE 'evaluations/%'")
        db.execute("UPDATE field_values SET value = ? WHERE path LIKE 'models/card-fraud/versions/%'",
                   (marshal.dumps([0.5]),))  # well-formed values, but not the ones stored
    assert "models/sepsis-risk/model.yaml" in unread(registry)
    assert_index_answers_like_files(registry, monkeypatch, queries)
    assert unread(registry) == []
    database.write_bytes(b"not a database at all" * 1000)
    assert_index_answers_like_files(registry, monkeypatch, queries)
    shutil.rmtree(database.parent)
    assert_index_answers_like_files(registry, monkeypatch, queries)
    assert unread(registry) == []  # rebuilt by the searches


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=COMBINED)
def test_combined_queries_answer_the_same_from_the_index(registry: Path, settled_now: None,
                                                       monkeypatch: pytest.MonkeyPatch, query: str) -> None:
    """NOT and OR over stored facts and stored field values: every combination agrees with the files."""
    search(RegistryFiles(registry), "", limit=0)  # learns every file (the first example; then nothing to learn)
    assert unread(registry) == []
    assert_index_answers_like_files(registry, monkeypatch, [query])


def test_a_search_on_an_empty_cache_parses_only_what_it_must(registry: Path, settled_now: None,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Files the parse cache holds are learnt at once; the others go through the text stage first, so the first
    search after a clone or an upgrade does not parse the whole registry."""
    import shutil

    shutil.rmtree(registry / ".git" / "charter", ignore_errors=True)
    assert_index_answers_like_files(registry, monkeypatch, ["sepsis"])
    left = unread(registry)
    assert "models/card-fraud/model.yaml" in left  # no "sepsis" in it: not parsed
    assert "models/sepsis-risk/model.yaml" not in left  # parsed, and learnt
    assert_index_answers_like_files(registry, monkeypatch, ["fraud", "NOT sepsis"])
    assert unread(registry) == []

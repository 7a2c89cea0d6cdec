"""`charter history` and `charter audit`: assignment changes read back from real git histories.

The histories are built with git itself: a promotion branch merged as GitHub does, a squash-merged pull request, a
direct commit by someone else, a registry inside a bigger repository, and 300 promotions written by one
`git fast-import`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from charter.cli.audit import CSV_COLUMNS
from charter.history.assignments import assignment_history, pair_assignments
from charter.history.commits import parse_trailers, pull_request_of_message
from charter.history.environment_items import Assignment, EnvironmentReader, split_assignment_items
from charter.registry.yamlio import parse_yaml
from tests.conftest import Charter

PRODUCTION = "environments/production.yaml"
STAGING = "environments/staging.yaml"
PROMOTION_MESSAGE = """Promote model:sepsis-risk@1.1.0 to production

Charter-Promotion: model:sepsis-risk@1.1.0
Model: sepsis-risk
From-Version: 1.0.0
To-Version: 1.1.0
Environment: production
Reason: Better sensitivity at equal alert volume
"""


#: The evaluations of sepsis-risk 1.1.0 in the example: one computed from predictions, one recorded from counts.
EVIDENCE_OF_1_1_0 = ["evaluation:sepsis-risk-1-1-0-predictions-retro@1.0.0", "evaluation:sepsis-risk-1-1-0-retro@1.0.0"]


def run_git(cwd: Path, *args: str, stdin: str | None = None, **env: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, input=stdin,
                          env={**os.environ, **env}).stdout


def when(day: str) -> dict[str, str]:
    """Author and commit date (far in the future, so the fixture's own commit is always older)."""
    stamp = f"2090-03-{day}T10:00:00+00:00"
    return {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}


def replace_in(root: Path, relpath: str, old: str, new: str) -> None:
    path = root / relpath
    text = path.read_text()
    assert old in text, f"{old!r} not in {relpath}"
    path.write_text(text.replace(old, new, 1))


def commit_all(root: Path, message: str, **env: str) -> str:
    run_git(root, "add", "--all")
    run_git(root, "commit", "--quiet", "--no-verify", "-m", message, **env)
    return run_git(root, "rev-parse", "HEAD").strip()


@pytest.fixture
def history(registry: Path) -> dict[str, str]:
    """The example registry after a merged promotion (#7), a direct commit, a squash-merged promotion (#9) and
    an evaluation added after the fact. Returns the commit ids by name."""
    ids: dict[str, str] = {}
    run_git(registry, "checkout", "--quiet", "-b", "promote")
    replace_in(registry, PRODUCTION, "model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0")
    ids["promotion"] = commit_all(registry, PROMOTION_MESSAGE, GIT_AUTHOR_NAME="Priya Promoter",
                                  GIT_AUTHOR_EMAIL="priya@example.org", **when("01"))
    run_git(registry, "checkout", "--quiet", "main")
    # Meanwhile on main, a direct commit by someone else: a canary in staging.
    replace_in(registry, STAGING, "    - model: model:card-fraud@3.2.0\n",
               "    - model: model:card-fraud@3.3.0\n      mode: canary\n      percent: 10\n"
               "    - model: model:card-fraud@3.2.0\n")
    ids["direct"] = commit_all(registry, "Canary card-fraud 3.3.0 in staging", GIT_AUTHOR_NAME="Dora Direct",
                               GIT_AUTHOR_EMAIL="dora@example.org", **when("02"))
    run_git(registry, "merge", "--quiet", "--no-ff", "--no-verify", "-m", "Merge pull request #7 from org/promote",
            "promote", GIT_AUTHOR_NAME="Maria Merger", GIT_COMMITTER_NAME="Maria Merger", **when("03"))
    ids["merge"] = run_git(registry, "rev-parse", "HEAD").strip()
    replace_in(registry, PRODUCTION, "model:card-fraud@3.2.0", "model:card-fraud@3.3.0")
    ids["squash"] = commit_all(registry, "Promote card-fraud 3.3.0 to production (#9)",
                               GIT_AUTHOR_NAME="Sam Squash", GIT_COMMITTER_NAME="GitHub", **when("10"))
    evaluation = registry / "evaluations/card-fraud-3-3-0-retro/1.0.0.yaml"
    evaluation.parent.mkdir()
    evaluation.write_text((registry / "evaluations/card-fraud-3-2-0-retro/1.0.0.yaml").read_text()
                          .replace("card-fraud-3-2-0-retro", "card-fraud-3-3-0-retro")
                          .replace("model:card-fraud@3.2.0", "model:card-fraud@3.3.0"))
    ids["evaluation"] = commit_all(registry, "Evaluate card-fraud 3.3.0", **when("12"))
    return ids


def as_json(charter: Charter, *args: str | Path) -> Any:
    result = charter(*args, "--format", "json")
    assert result.code == 0, result
    return json.loads(result.stdout)


def only(changes: list[dict[str, Any]], **where: Any) -> dict[str, Any]:
    found = [c for c in changes if all(c[k] == v for k, v in where.items())]
    assert len(found) == 1, (where, found)
    return found[0]


def versions(change: dict[str, Any]) -> tuple[str | None, str | None]:
    return (change["old"]["version"] if change["old"] else None, change["new"]["version"] if change["new"] else None)


# ------------------------------------------------------------------------------------------------- history


def test_history_of_a_model_shows_versions_evaluations_and_every_assignment_change(
        registry: Path, history: dict[str, str], charter: Charter) -> None:
    data = as_json(charter, "-C", registry, "history", "model:sepsis-risk")
    assert data["ref"] == "model:sepsis-risk" and data["kind"] == "Model"
    assert [v["version"] for v in data["versions"]] == ["1.0.0", "1.1.0"]
    assert all(v["registeredBy"] == "Test Author" and v["registeredIn"] for v in data["versions"])
    assert {e["ref"] for e in data["evaluations"]} == {"evaluation:sepsis-risk-1-0-0-retro@1.0.0",
                                                      "evaluation:sepsis-risk-1-1-0-retro@1.0.0",
                                                      "evaluation:sepsis-risk-1-1-0-predictions-retro@1.0.0"}
    changes = data["assignmentChanges"]
    assert {c["model"] for c in changes} == {"sepsis-risk"}
    # The registry's first commit assigns what the example starts with; the promotion comes after it.
    assert [c["commit"] for c in changes][-1] == history["promotion"]
    promotion = only(changes, commit=history["promotion"])
    assert promotion["environment"] == "production" and versions(promotion) == ("1.0.0", "1.1.0")
    assert promotion["old"]["mode"] == promotion["new"]["mode"] == "full" and promotion["action"] == "upgraded"
    assert promotion["author"] == {"name": "Priya Promoter", "email": "priya@example.org"}
    assert promotion["committer"]["name"] == "Test Committer"
    assert promotion["date"] == "2090-03-01T10:00:00+00:00"
    assert promotion["pullRequest"] == 7 and promotion["mergedBy"] == "Maria Merger"
    assert promotion["mergeCommit"] == history["merge"] and promotion["mergedAt"] == "2090-03-03T10:00:00+00:00"
    assert promotion["reason"] == "Better sensitivity at equal alert volume"
    assert {"key": "To-Version", "value": "1.1.0"} in promotion["trailers"]


def test_history_text_is_a_table_of_changes(registry: Path, history: dict[str, str], charter: Charter) -> None:
    result = charter("-C", registry, "history", "sepsis-risk")
    assert result.code == 0, result
    assert "model:sepsis-risk" in result.stdout and "assignments (in the order they landed)" in result.stdout
    row = next(line for line in result.stdout.splitlines() if history["promotion"][:7] in line)
    for cell in ("2090-03-03 10:00", "production", "1.0.0 → 1.1.0", "full → full", "Priya Promoter", "#7",
                 "Maria Merger"):
        assert cell in row, (cell, row)


def test_history_of_one_version_narrows_everything_to_it(
        registry: Path, history: dict[str, str], charter: Charter) -> None:
    data = as_json(charter, "-C", registry, "history", "model:card-fraud@3.3.0")
    assert data["kind"] == "ModelVersion" and [v["version"] for v in data["versions"]] == ["3.3.0"]
    assert [e["ref"] for e in data["evaluations"]] == ["evaluation:card-fraud-3-3-0-retro@1.0.0"]
    changes = data["assignmentChanges"]
    assert all("model:card-fraud@3.3.0" in (c["old"] or {}).get("ref", "") + (c["new"] or {}).get("ref", "")
               for c in changes)
    squash = only(changes, commit=history["squash"])
    assert versions(squash) == ("3.2.0", "3.3.0") and squash["pullRequest"] == 9
    assert squash["mergedBy"] == "GitHub" and squash["mergeCommit"] is None
    assert squash["author"]["name"] == "Sam Squash"
    canary = only(changes, commit=history["direct"])
    assert canary["environment"] == "staging" and canary["old"] is None
    assert canary["new"] == {"ref": "model:card-fraud@3.3.0", "version": "3.3.0", "mode": "canary", "percent": 10}
    assert canary["pullRequest"] is None and canary["mergedBy"] is None and canary["action"] == "added"


def test_history_of_another_entry_lists_the_commits_of_each_version(
        registry: Path, history: dict[str, str], charter: Charter) -> None:
    replace_in(registry, "events/sepsis-onset/1.0.0.yaml", "status: deprecated", "status: retired")
    changed = commit_all(registry, "Retire sepsis-onset 1.0.0", GIT_AUTHOR_NAME="Rita Retirer", **when("15"))
    data = as_json(charter, "-C", registry, "history", "event:sepsis-onset@1.0.0")
    assert data["kind"] == "EventDefinition"
    by_version = {v["version"]: v for v in data["versions"]}
    assert set(by_version) == {"1.0.0", "2.0.0"}
    first = by_version["1.0.0"]
    assert first["status"] == "retired"
    assert [(c["status"], c["author"]["name"]) for c in first["commits"]] == [("A", "Test Author"),
                                                                              ("M", "Rita Retirer")]
    assert first["commits"][-1]["commit"] == changed
    assert [c["status"] for c in by_version["2.0.0"]["commits"]] == ["A"]
    text = charter("-C", registry, "history", "event:sepsis-onset@1.0.0")
    assert text.code == 0 and "Retire sepsis-onset 1.0.0" in text.stdout and "modified" in text.stdout


def test_history_of_an_environment_is_its_file_and_its_assignments(
        registry: Path, history: dict[str, str], charter: Charter) -> None:
    data = as_json(charter, "-C", registry, "history", "environment:production")
    assert data["kind"] == "Environment"
    assert {c["environment"] for c in data["assignmentChanges"]} == {"production"}
    assert history["squash"] in [c["commit"] for c in data["versions"][0]["commits"]]


def test_history_of_an_unknown_entry_is_an_error(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "history", "model:no-such-model")
    assert result.code == 2 and "no history" in result.stderr
    malformed = charter("-C", registry, "history", "model:Bad_Name")
    assert malformed.code == 2 and "malformed" in malformed.stderr
    versioned = charter("-C", registry, "history", "environment:production@1.0.0")
    assert versioned.code == 2 and "write environment:production" in versioned.stderr


# --------------------------------------------------------------------------------------------------- audit


def test_audit_lists_every_change_with_committer_merger_and_evidence(
        registry: Path, history: dict[str, str], charter: Charter) -> None:
    changes = as_json(charter, "-C", registry, "audit")
    landed = [c["landedAt"] for c in changes]
    assert landed == sorted(landed), "oldest first"
    mine = [c for c in changes if c["commit"] in history.values()]
    # In the order they reached main: the promotion was authored first but landed with its merge, after the
    # direct commit.
    assert [(c["environment"], c["model"], versions(c)) for c in mine] == [
        ("staging", "card-fraud", (None, "3.3.0")),
        ("production", "sepsis-risk", ("1.0.0", "1.1.0")),
        ("production", "card-fraud", ("3.2.0", "3.3.0")),
    ]
    direct, promotion, squash = mine
    assert promotion["committer"]["name"] == "Test Committer" and promotion["mergedBy"] == "Maria Merger"
    assert [e["ref"] for e in promotion["evidence"]] == EVIDENCE_OF_1_1_0
    evidence = only(promotion["evidence"], ref="evaluation:sepsis-risk-1-1-0-retro@1.0.0")
    assert evidence["method"] == "retrospective" and evidence["cohort"].startswith("cohort:sepsis-adult")
    assert evidence["date"] and evidence["metrics"]["auroc"] > 0.8
    assert direct["author"]["name"] == "Dora Direct" and direct["pullRequest"] is None
    # The 3.3.0 evaluation was committed after the promotion: the gate could not have seen it.
    assert squash["evidence"] == [] and squash["pullRequest"] == 9


def test_audit_env_and_since_narrow_the_list(registry: Path, history: dict[str, str], charter: Charter) -> None:
    production = as_json(charter, "-C", registry, "audit", "--env", "production")
    assert production and {c["environment"] for c in production} == {"production"}
    assert history["direct"] not in [c["commit"] for c in production]
    # The promotion was authored on the 1st but landed with its merge on the 3rd.
    since = as_json(charter, "-C", registry, "audit", "--since", "2090-03-03")
    assert [c["commit"] for c in since] == [history["promotion"], history["squash"]]
    later = as_json(charter, "-C", registry, "audit", "--since", "2090-03-04", "--env", "staging")
    assert later == []


def test_audit_csv_has_a_header_and_one_row_per_change(
        registry: Path, history: dict[str, str], charter: Charter) -> None:
    result = charter("-C", registry, "audit", "--env", "production", "--since", "2090-01-01", "--format", "csv")
    assert result.code == 0, result
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["model"], r["old_ref"], r["new_ref"], r["pull_request"], r["merged_by"]) for r in records] == [
        ("sepsis-risk", "model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0", "7", "Maria Merger"),
        ("card-fraud", "model:card-fraud@3.2.0", "model:card-fraud@3.3.0", "9", "GitHub"),
    ]
    first = records[0]
    assert first["author"] == "Priya Promoter" and first["committer"] == "Test Committer"
    assert first["commit"] == history["promotion"] and first["merge_commit"] == history["merge"]
    assert first["reason"] == "Better sensitivity at equal alert volume"
    assert "evaluation:sepsis-risk-1-1-0-retro@1.0.0 retrospective" in first["evidence"]
    assert first["old_mode"] == first["new_mode"] == "full" and first["old_percent"] == ""


def test_audit_text(registry: Path, history: dict[str, str], charter: Charter) -> None:
    result = charter("-C", registry, "audit", "--since", "2090-03-01")
    assert result.code == 0, result
    assert "sepsis-risk  1.0.0 full → 1.1.0 full" in result.stdout
    assert "merged by Maria Merger in PR #7" in result.stdout
    assert f"evidence  {EVIDENCE_OF_1_1_0[0]}" in result.stdout and EVIDENCE_OF_1_1_0[1] in result.stdout
    assert "no evaluation of this version" in result.stdout  # the squash-merged 3.3.0
    assert "3 assignment changes, oldest first" in result.stdout


@pytest.mark.parametrize("since", ["2090-3-1", "yesterday", "2090-02-30", "03/01/2090"])
def test_audit_since_must_be_a_date(registry: Path, charter: Charter, since: str) -> None:
    result = charter("-C", registry, "audit", "--since", since)
    assert result.code == 2 and "is not a date" in result.stderr and "YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr


def test_audit_of_an_unknown_environment_is_an_error(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "audit", "--env", "prodution")
    assert result.code == 2 and "unknown environment 'prodution'" in result.stderr and "production" in result.stderr


def test_a_registry_outside_git_is_an_environment_error(registry: Path, tmp_path: Path, charter: Charter) -> None:
    copy = tmp_path / "no-git"
    shutil.copytree(registry, copy, ignore=shutil.ignore_patterns(".git"))
    result = charter("-C", copy, "audit")
    assert result.code == 2 and "not inside a git repository" in result.stderr


# ------------------------------------------------------------------------------------------ git's harder cases


def test_a_registry_in_a_subfolder_of_a_bigger_repository(registry: Path, tmp_path: Path, charter: Charter) -> None:
    outer = tmp_path / "monorepo"
    inner = outer / "ml" / "registry"
    shutil.copytree(registry, inner, ignore=shutil.ignore_patterns(".git"))
    (outer / "environments").mkdir()  # a look-alike outside the registry must not count
    (outer / "environments/production.yaml").write_text("spec:\n  assignments:\n    - model: model:x@1.0.0\n")
    run_git(outer, "init", "--quiet", "-b", "main")
    commit_all(outer, "Import the registry", **when("01"))
    replace_in(inner, PRODUCTION, "model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0")
    promotion = commit_all(outer, "Promote sepsis-risk 1.1.0 (#21)", **when("02"))
    data = as_json(charter, "-C", inner, "history", "model:sepsis-risk")
    change = only(data["assignmentChanges"], commit=promotion)
    assert change["path"] == PRODUCTION and versions(change) == ("1.0.0", "1.1.0") and change["pullRequest"] == 21
    assert [v["registeredAt"] for v in data["versions"]] == ["2090-03-01T10:00:00+00:00"] * 2
    assert "x" not in {c["model"] for c in as_json(charter, "-C", inner, "audit")}
    evidence = only(as_json(charter, "-C", inner, "audit", "--env", "production"), commit=promotion)["evidence"]
    assert [e["ref"] for e in evidence] == EVIDENCE_OF_1_1_0


def test_a_merge_that_changes_an_assignment_itself_is_reported_once(registry: Path) -> None:
    """Both sides edit production.yaml; the conflict resolution picks a third version: that is the merge's change."""
    base = run_git(registry, "rev-parse", "HEAD").strip()
    run_git(registry, "checkout", "--quiet", "-b", "side")
    replace_in(registry, PRODUCTION, "model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0")
    side = commit_all(registry, "side", **when("01"))
    run_git(registry, "checkout", "--quiet", "main")
    replace_in(registry, PRODUCTION, "model:sepsis-risk@1.0.0", "model:sepsis-risk@1.0.1")
    main = commit_all(registry, "main", **when("02"))
    merge = subprocess.run(["git", "merge", "--no-ff", "-m", "Merge pull request #4 from org/side", "side"],
                           cwd=registry, capture_output=True, text=True, env={**os.environ, **when("03")})
    assert merge.returncode != 0  # a conflict, resolved by hand below
    text = (registry / PRODUCTION).read_text()
    head, _, rest = text.partition("<<<<<<<")
    _, _, tail = rest.partition(">>>>>>> side\n")
    (registry / PRODUCTION).write_text(head + "    - model: model:sepsis-risk@1.2.0\n" + tail)
    resolved = commit_all(registry, "Merge pull request #4 from org/side", **when("03"))
    changes = [c for c in assignment_history(registry, family="sepsis-risk") if c.commit != base]
    assert [(c.commit, c.old.version if c.old else None, c.new.version if c.new else None) for c in changes] == [
        (main, "1.0.0", "1.0.1"), (side, "1.0.0", "1.1.0"), (resolved, "1.0.1", "1.2.0")]
    assert changes[0].pr is None and changes[1].pr == 4 and changes[1].merge_commit == resolved
    assert changes[2].pr == 4 and changes[2].merged_by == "Test Author"


def test_an_environment_file_that_does_not_parse_claims_nothing(registry: Path) -> None:
    (registry / PRODUCTION).write_text("spec: [unclosed\n")
    broken = commit_all(registry, "broken", **when("01"))
    changes = assignment_history(registry, environment="production")
    assert broken not in [c.commit for c in changes]


def test_300_promotions_written_by_one_fast_import(registry: Path, charter: Charter) -> None:
    """Correctness at scale: 300 promotions, every third one a merged pull request, read back in full."""
    template = (registry / PRODUCTION).read_text()
    head = run_git(registry, "rev-parse", "HEAD").strip()
    stream = io.StringIO()

    def blob(version: str) -> str:
        data = template.replace("model:sepsis-risk@1.0.0", f"model:sepsis-risk@{version}").encode()
        return f"M 100644 inline {PRODUCTION}\ndata {len(data)}\n{data.decode()}\n"

    def commit(ref: str, mark: int, message: str, stamp: int, parents: list[str], body: str) -> None:
        data = message.encode()
        stream.write(f"commit {ref}\nmark :{mark}\nauthor Bulk Author <bulk@example.org> {stamp} +0000\n"
                     f"committer Bulk Committer <bulk@example.org> {stamp} +0000\ndata {len(data)}\n{message}\n")
        stream.write(f"from {parents[0]}\n" + "".join(f"merge {p}\n" for p in parents[1:]) + body)

    main = head
    stamp = 3_800_000_000
    for i in range(300):
        version = f"2.0.{i}"
        stamp += 60
        if i % 3 == 0:
            commit(f"refs/heads/pr-{i}", 2 * i + 1, f"Promote sepsis-risk {version}\n\nTo-Version: {version}\n",
                   stamp, [main], blob(version))
            commit("refs/heads/main", 2 * i + 2, f"Merge pull request #{1000 + i} from org/pr-{i}\n", stamp + 1,
                   [main, f":{2 * i + 1}"], blob(version))
        else:
            commit("refs/heads/main", 2 * i + 2, f"Promote sepsis-risk {version} (#{1000 + i})\n", stamp, [main],
                   blob(version))
        main = f":{2 * i + 2}"
    run_git(registry, "fast-import", "--quiet", stdin=stream.getvalue())
    run_git(registry, "reset", "--quiet", "--hard", "main")

    changes = [c for c in assignment_history(registry, family="sepsis-risk", environment="production")
               if c.new is not None and c.new.version.startswith("2.0.")]
    assert len(changes) == 300
    assert [c.new.version for c in changes if c.new] == [f"2.0.{i}" for i in range(300)]
    assert [c.old.version for c in changes[1:] if c.old] == [f"2.0.{i}" for i in range(299)]
    assert [c.pr for c in changes] == [1000 + i for i in range(300)]
    assert {c.merge_commit is not None for i, c in enumerate(changes) if i % 3 == 0} == {True}
    assert {c.merged_by for i, c in enumerate(changes) if i % 3} == {"Bulk Committer"}
    data = as_json(charter, "-C", registry, "history", "model:sepsis-risk")
    assert len(data["assignmentChanges"]) == 300 + 3  # and the three of the registry's first commit


# ----------------------------------------------------------------------------------------------- the parts


def test_trailers_and_pull_request_numbers() -> None:
    trailers = parse_trailers(PROMOTION_MESSAGE)
    assert trailers[0] == ("Charter-Promotion", "model:sepsis-risk@1.1.0")
    assert dict(trailers)["Reason"] == "Better sensitivity at equal alert volume"
    assert parse_trailers("Only a subject: with a colon") == ()
    assert parse_trailers("Subject\n\nA body that is prose.\n") == ()
    assert parse_trailers("Subject\n\nKey: a long\n  value folded\nOther: x") == (("Key", "a long value folded"),
                                                                                 ("Other", "x"))
    assert pull_request_of_message("Merge pull request #12 from org/branch\n\nPromote x") == 12
    assert pull_request_of_message("Promote x to production (#34)") == 34
    merged = "Merge branch 'promote' into 'main'\n\nPromote x\n\nSee merge request ml/registry!56"
    assert pull_request_of_message(merged) == 56
    assert pull_request_of_message("Merged PR 78: Promote x") == 78
    assert pull_request_of_message("Promote x (see #90 for context) today") is None


def test_pairing_of_assignments() -> None:
    full_32 = Assignment("model:card-fraud@3.2.0", "full", None)
    canary_33 = Assignment("model:card-fraud@3.3.0", "canary", 10)
    full_33 = Assignment("model:card-fraud@3.3.0", "full", None)
    assert pair_assignments([full_32], [full_32, canary_33]) == [(None, canary_33)]
    assert pair_assignments([full_32, canary_33], [full_33]) == [(canary_33, full_33), (full_32, None)]
    assert pair_assignments([full_32], [full_33]) == [(full_32, full_33)]
    assert pair_assignments([full_32, canary_33], [canary_33, full_32]) == []


ENVIRONMENTS = {
    "canonical": None,  # the example's production.yaml
    "compact": "spec:\n  assignments:\n  - model: model:a@1.0.0\n    mode: full\n  - model: model:b@1.0.0\n"
               "    mode: canary\n    percent: 5\nmetadata:\n  name: x\n",
    "flow": "spec:\n  assignments: [{model: 'model:a@1.0.0', mode: full}]\n",
    "block scalar with dashes": "spec:\n  assignments:\n    - model: model:a@1.0.0\n      mode: full\n"
                                "      reason: |\n        - not an item\n        - nor this\n",
    "quoted string across an item line": 'spec:\n  assignments:\n    - model: model:a@1.0.0\n      reason: "a\n'
                                         '    - model: model:b@1.0.0"\n      mode: full\n',
    "comments between items": "spec:\n  assignments:\n# a comment at column 0\n    - model: model:a@1.0.0\n"
                              "      mode: shadow\n    # - model: model:z@9.9.9\n    - model: model:b@2.0.0\n"
                              "      mode: full\n",
    "duplicate assignments key": "spec:\n  assignments:\n    - model: model:a@1.0.0\n      mode: full\n"
                                 "  assignments:\n    - model: model:b@1.0.0\n      mode: full\n",
    "anchor and alias": "spec:\n  assignments:\n    - &first {model: 'model:a@1.0.0', mode: full}\n    - *first\n",
    "empty": "spec:\n  assignments: []\n",
    "not yaml": "spec: [\n",
}


@pytest.mark.parametrize("name", list(ENVIRONMENTS))
def test_environment_reader_agrees_with_a_whole_file_parse(name: str, template_registry: Path) -> None:
    text = ENVIRONMENTS[name] or (template_registry / PRODUCTION).read_text()
    parsed = parse_yaml(text, "x").data
    spec = parsed.get("spec") if isinstance(parsed, dict) else None
    items = spec.get("assignments") if isinstance(spec, dict) else None
    expected = None if items is None and not isinstance(spec, dict) else [
        (i["model"], i.get("mode"), i.get("percent")) for i in items or []]
    reader = EnvironmentReader()
    got = reader.parse(text.encode())
    assert (None if got is None else [tuple(a.assignment) for a in got]) == expected
    assert reader.parse(text.encode()) == got  # and again from the item cache


def test_items_are_split_only_in_plain_block_layout(template_registry: Path) -> None:
    split = split_assignment_items((template_registry / PRODUCTION).read_text())
    assert split is not None
    skeleton, items = split
    assert len(items) == 2 and "assignments:" in skeleton and "model:" not in skeleton
    assert split_assignment_items(str(ENVIRONMENTS["flow"])) is None
    assert split_assignment_items(str(ENVIRONMENTS["duplicate assignments key"])) is None

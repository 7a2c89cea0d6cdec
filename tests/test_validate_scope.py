"""`validate --base` checks the change and what refers to it; `--all-files` checks everything. On a registry that
was clean at the base, both must find exactly the same problems, whatever the change.

`validate --staged` checks the same for the change staged since HEAD, as the index holds it: staged whole, a change
must give what `validate` of the work tree gives."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from charter.registry.kinds import ENTRY_FOLDERS
from tests.conftest import Charter, git

VERSION = "models/sepsis-risk/versions/1.1.0.yaml"
EVENT = "events/sepsis-onset/2.0.0.yaml"
COHORT = "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml"


def _edit(relpath: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / relpath
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relpath}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return change


def _delete(relpath: str) -> Callable[[Path], None]:
    return lambda root: (root / relpath).unlink()


def _new_version(root: Path) -> None:  # untracked: never `git add`ed
    text = (root / VERSION).read_text(encoding="utf-8").replace("version: 1.1.0", "version: 1.2.0", 1)
    text = text.replace("event:sepsis-onset@2.0.0", "event:sepsis-onset@9.9.9")
    (root / "models/sepsis-risk/versions/1.2.0.yaml").write_text(text, encoding="utf-8")


def _new_version_new_owner(root: Path) -> None:  # CODEOWNERS would list a second owner for the family's folder
    text = (root / VERSION).read_text(encoding="utf-8").replace("version: 1.1.0", "version: 1.2.0", 1)
    assert "owner: team-clinical-ml" in text
    (root / "models/sepsis-risk/versions/1.2.0.yaml").write_text(
        text.replace("owner: team-clinical-ml", "owner: team-newcomers", 1), encoding="utf-8")


def _new_model(root: Path) -> None:
    shutil.copytree(root / "models/sepsis-risk", root / "models/sepsis-risk-copy")


def _odd_names(root: Path) -> None:  # untracked entries whose names a reference cannot spell
    for name in ("sepsis adult", "sepsis-adulte-é"):
        (root / "cohorts" / name).mkdir()
        shutil.copyfile(root / COHORT, root / "cohorts" / name / "1.0.0.yaml")


CHANGES: dict[str, Callable[[Path], None]] = {
    "nothing": lambda root: None,
    "released spec edited": _edit(VERSION, "status: active", "status: active\n  annotations: {a: b}"),
    "referenced event deleted": _delete(EVENT),
    "cohort retired": _edit(COHORT, "status: active", "status: retired"),
    "new version with a broken reference": _new_version,
    "model family copied (name and ids clash)": _new_model,
    "assignment to a version that does not exist": _edit("environments/production.yaml", "sepsis-risk@1.0.0",
                                                         "sepsis-risk@7.0.0"),
    "model owner changed": _edit("models/sepsis-risk/model.yaml", "owner: team-clinical-ml", "owner: team-x"),
    "released contract's spec edited (its versions' evaluations are checked)": _edit(
        "contracts/sepsis-risk-serving/1.0.0.yaml", "required: true", "required: false"),
    "entries with a space and an accent in their names": _odd_names,
    "environment renamed in registry.yaml": _edit("registry.yaml", "    - name: production", "    - name: prod"),
    "cohort the policy names deleted": _delete(COHORT),
    "cohort owner changed (CODEOWNERS lists it)": _edit(COHORT, "owner: team-clinical-ml", "owner: team-other"),
    "new version with an owner new to its folder": _new_version_new_owner,
}


def _findings(charter: Charter, root: Path, *extra: str) -> tuple[list[tuple[object, ...]], int]:
    result = charter("validate", "--base", "HEAD", "--format", "json", *extra, cwd=root)
    assert result.code in (0, 1), result
    report = json.loads(result.stdout)
    found = [(f["code"], f["path"], f["line"], f["column"], f["message"]) for f in report["findings"]]
    return found, report["summary"]["files"]


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_a_scoped_base_run_finds_what_a_whole_run_finds(change: str, registry: Path, charter: Charter) -> None:
    assert _findings(charter, registry, "--all-files")[0] == []  # the base is clean
    CHANGES[change](registry)
    scoped, scoped_files = _findings(charter, registry)
    whole, whole_files = _findings(charter, registry, "--all-files")
    assert scoped == whole
    assert scoped_files <= whole_files
    if change != "nothing":
        assert whole or change == "model owner changed", "each change but the harmless one is a finding"


def test_a_small_change_checks_only_itself_and_its_referrers(registry: Path, charter: Charter) -> None:
    _edit(COHORT, "description: Adult", "description: All adult")(registry)
    scoped, scoped_files = _findings(charter, registry)
    _, whole_files = _findings(charter, registry, "--all-files")
    assert scoped == []
    referrers = set(git(registry, "grep", "-l", "cohort:sepsis-adult-inpatients-eval", "--", *ENTRY_FOLDERS).split())
    assert 1 + len(referrers) <= scoped_files < whole_files


def test_a_committed_change_is_scoped_against_an_older_base(registry: Path, charter: Charter) -> None:
    _delete(EVENT)(registry)
    git(registry, "commit", "-qam", "drop an event")
    scoped, _ = _findings(charter, registry)  # nothing changed since HEAD
    assert scoped == []
    result = charter("validate", "--base", "HEAD~1", "--format", "json", cwd=registry)
    codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert result.code == 1 and {"CH602", "CH401"} <= codes


# --- validate --staged -------------------------------------------------------------------------------------------


def _rename(old: str, new: str) -> Callable[[Path], None]:
    return lambda root: (root / old).rename(root / new)


def _link(relpath: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        (root / relpath).unlink()
        (root / relpath).symlink_to("../../README.md")
    return change


STAGED_CHANGES: dict[str, Callable[[Path], None]] = {
    **CHANGES,
    "referenced event renamed": _rename(EVENT, "events/sepsis-onset/2.0.1.yaml"),
    "referenced cohort replaced by a link": _link(COHORT),
    "a file of an entry folder that is not an entry": lambda root: (root / "models/notes.yaml").write_text("a: 1\n"),
}


def _staged(charter: Charter, root: Path, *extra: str, cwd: Path | None = None) -> tuple[list[tuple[object, ...]], int]:
    result = charter("validate", "--staged", "--format", "json", *extra, cwd=cwd or root)
    assert result.code in (0, 1), result
    report = json.loads(result.stdout)
    found = [(f["code"], f["path"], f["line"], f["column"], f["message"]) for f in report["findings"]]
    assert result.code == (1 if any(f["severity"] == "error" for f in report["findings"]) else 0)
    return found, report["summary"]["files"]


def _work_tree(charter: Charter, root: Path) -> tuple[list[tuple[object, ...]], int]:
    result = charter("validate", "--format", "json", cwd=root)
    assert result.code in (0, 1), result
    report = json.loads(result.stdout)
    return [(f["code"], f["path"], f["line"], f["column"], f["message"]) for f in report["findings"]], \
        report["summary"]["files"]


@pytest.mark.parametrize("change", list(STAGED_CHANGES), ids=list(STAGED_CHANGES))
def test_a_staged_run_finds_what_a_whole_run_of_the_same_files_finds(change: str, registry: Path,
                                                                     charter: Charter) -> None:
    STAGED_CHANGES[change](registry)
    git(registry, "add", "-A")  # the index now holds what the work tree does
    staged, staged_files = _staged(charter, registry)
    whole, whole_files = _work_tree(charter, registry)
    assert staged == whole
    assert staged_files <= whole_files
    assert _staged(charter, registry, "--all-files") == (whole, whole_files)
    if change != "nothing":
        assert staged_files > 0
        assert whole or change.startswith("released contract's spec edited"), "only history would find it"


def test_a_staged_deletion_is_checked_though_the_file_is_back_in_the_work_tree(registry: Path,
                                                                                charter: Charter) -> None:
    git(registry, "rm", "-q", "--cached", EVENT)
    assert (registry / EVENT).is_file()
    staged, _ = _staged(charter, registry)
    assert {(code, path) for code, path, *_ in staged} >= {("CH401", VERSION), ("CH401", COHORT)}
    assert all(code == "CH401" and "event:sepsis-onset@2.0.0 does not exist" in message
               for code, _, _, _, message in staged)
    assert _work_tree(charter, registry) == ([], _work_tree(charter, registry)[1])


def test_staged_content_is_checked_not_the_work_tree(registry: Path, charter: Charter) -> None:
    path = registry / VERSION
    good = path.read_text(encoding="utf-8")
    bad = good.replace("\n  owner:", "\n  ownr: typo\n  owner:", 1)
    path.write_text(bad, encoding="utf-8")
    git(registry, "add", VERSION)
    path.write_text(good, encoding="utf-8")  # fixed, but not staged: the commit would hold the typo
    staged, files = _staged(charter, registry)
    assert [(code, where, line) for code, where, line, _, _ in staged] == \
        [("CH201", VERSION, bad.splitlines().index("  ownr: typo") + 1)]
    assert files >= 1

    path.write_text(bad, encoding="utf-8")
    git(registry, "add", VERSION)
    git(registry, "rm", "-q", "--cached", VERSION)  # the broken file is not part of the commit: nothing staged
    path.write_text(good, encoding="utf-8")
    git(registry, "add", VERSION)  # ... and staged as it was: nothing changed since HEAD
    assert _staged(charter, registry) == ([], 0)


def test_nothing_staged_in_the_registry_passes_at_once(registry: Path, charter: Charter) -> None:
    assert _staged(charter, registry) == ([], 0)
    (registry / "README.md").write_text("Notes.\n")  # staged, but no part of the registry
    (registry / VERSION).write_text("broken: [\n")  # broken, but not staged
    git(registry, "add", "README.md")
    assert _staged(charter, registry) == ([], 0)
    result = charter("validate", "--staged", cwd=registry)
    assert result.code == 0 and "0 files valid" in result.stdout


def test_staged_registries_in_sub_folders_are_found_from_the_top(registry: Path, tmp_path: Path,
                                                                 charter: Charter) -> None:
    top = tmp_path / "monorepo"
    for name in ("fraud", "sepsis"):
        shutil.copytree(registry, top / "teams" / name / "registry", ignore=shutil.ignore_patterns(".git"))
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "two registries")
    assert _staged(charter, top) == ([], 0)
    for name in ("fraud", "sepsis"):
        git(top, "rm", "-q", f"teams/{name}/registry/{EVENT}")
    git(top, "mv", f"teams/fraud/registry/{COHORT}", "teams/fraud/registry/cohorts/moved.yaml")
    from_top, files = _staged(charter, top)
    inside, inside_files = _staged(charter, top, cwd=top / "teams" / "sepsis" / "registry")
    assert inside and all(not path.startswith("teams/") for _, path, *_ in inside)
    sepsis = [(c, f"teams/sepsis/registry/{p}", *rest) for c, p, *rest in inside]
    fraud = [f for f in from_top if str(f[1]).startswith("teams/fraud/registry/")]
    assert sorted(fraud + sepsis, key=lambda f: (f[1], f[2], f[3])) == from_top
    assert ("CH303", "teams/fraud/registry/cohorts/moved.yaml") in {(c, p) for c, p, *_ in fraud}
    assert files > inside_files
    in_between, _ = _staged(charter, top, cwd=top / "teams")  # named from where it runs
    assert in_between == [(c, str(p).removeprefix("teams/"), *rest) for c, p, *rest in from_top]
    assert _staged(charter, top, cwd=top / "teams" / "sepsis" / "registry" / "models") == (inside, inside_files)


def test_a_first_commit_checks_every_staged_file(registry: Path, tmp_path: Path, charter: Charter) -> None:
    fresh = tmp_path / "fresh"
    shutil.copytree(registry, fresh, ignore=shutil.ignore_patterns(".git"))
    git(fresh, "init", "-q", "-b", "main")
    assert _staged(charter, fresh) == ([], 0)  # nothing staged yet
    git(fresh, "add", "-A")
    _delete(EVENT)(fresh)  # gone from the work tree, still staged: the commit holds it
    found, files = _staged(charter, fresh)
    assert found == [] and files == len([p for p in git(fresh, "ls-files").split() if p == "registry.yaml"
                                         or (p.split("/")[0] in ENTRY_FOLDERS and p.endswith(".yaml"))])


@pytest.mark.parametrize("other", [["models"], ["--base", "HEAD"], ["--check-artifacts"]])
def test_staged_goes_alone(other: list[str], registry: Path, charter: Charter) -> None:
    result = charter("validate", "--staged", *other, cwd=registry)
    assert result.code == 2 and "--staged cannot be combined with" in result.stderr
    assert "Traceback" not in result.stderr

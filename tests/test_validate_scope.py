"""`validate --base` checks the change and what refers to it; `--all-files` checks everything. On a registry that
was clean at the base, both must find exactly the same problems, whatever the change."""

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

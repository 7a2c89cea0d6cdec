"""CODEOWNERS moves with the entries: a command that adds an entry with a new owner folder writes CODEOWNERS in the
same commit (or beside the draft, for `new`), so `validate` never reports CH508 for a change Charter made itself,
and a killed command puts CODEOWNERS back as it was."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.conftest import git
from tests.helpers import EVALUATE, HEALTH, MONITOR, assert_clean, crash, run

NEW_FOLDER = "/evaluations/sepsis-risk-1-1-0-shadow/"
SHADOW = (*EVALUATE, "--method", "shadow")


def codeowners(root: Path) -> str:
    return (root / "CODEOWNERS").read_text()


def assert_no_ch508(root: Path) -> None:
    result = run("validate", cwd=root)
    assert result.returncode == 0 and "CH508" not in result.stdout, result.stdout + result.stderr


def test_evaluate_record_commits_codeowners_with_a_new_evaluation_folder(registry: Path) -> None:
    assert NEW_FOLDER not in codeowners(registry)
    recorded = run(*SHADOW, cwd=registry)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert NEW_FOLDER in codeowners(registry)
    committed = git(registry, "show", "--name-only", "--format=", "HEAD").split()
    assert "CODEOWNERS" in committed and any(p.startswith("evaluations/sepsis-risk-1-1-0-shadow/") for p in committed)
    assert_clean(registry)
    assert_no_ch508(registry)


def test_monitor_record_lists_its_owner_once_then_leaves_codeowners_alone(registry: Path, tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH)
    first = run(*MONITOR, "--file", str(tmp_path / "health.yaml"), cwd=registry)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "CODEOWNERS" in git(registry, "show", "--name-only", "--format=", "HEAD").split(), \
        "the model's team owns records too now: the same commit says so"
    assert_no_ch508(registry)
    listed = codeowners(registry)
    second = run(*MONITOR, "--file", str(tmp_path / "health.yaml"), cwd=registry)
    assert second.returncode == 0, second.stdout + second.stderr
    assert codeowners(registry) == listed
    assert git(registry, "show", "--name-only", "--format=", "HEAD").split() != ["CODEOWNERS"]
    assert len(git(registry, "show", "--name-only", "--format=", "HEAD").split()) == 1
    assert_clean(registry)


def test_new_writes_codeowners_beside_its_draft(registry: Path) -> None:
    made = run("new", "model", "fresh-model", "--owner", "team-fresh", "--no-edit", cwd=registry)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "/models/fresh-model/ @team-fresh" in codeowners(registry)
    assert sorted(git(registry, "status", "--porcelain").splitlines()) == [" M CODEOWNERS", "?? models/fresh-model/"]


def test_a_killed_evaluate_record_puts_codeowners_back(registry: Path) -> None:
    before = codeowners(registry)
    killed = crash("charter.authoring.codeowners:keep_codeowners_in_step:after", *SHADOW, cwd=registry)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert codeowners(registry) != before, "the kill came after CODEOWNERS was rewritten"
    shown = run("status", "--format", "json", cwd=registry)  # the next command, a reader, undoes the change
    assert "sepsis-risk-1-1-0-shadow" not in shown.stdout
    assert codeowners(registry) == before
    assert_clean(registry)

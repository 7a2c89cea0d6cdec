"""Crashes and races: a `register` or `promote` killed at any step leaves a registry that validates, and running it
again finishes the job; two at once on one repository both succeed (one waits for the other) or one stops cleanly;
a promotion whose base moved while it was built is rebuilt on the new base and re-checked, and nothing is forced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git
from tests.test_register import MODEL, make_training

HARNESS = Path(__file__).with_name("crash_at.py")
CHARTER = Path(sys.executable).parent / "charter"


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHARTER), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def crash(step: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(HARNESS), step, "--", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def versions(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "models" / MODEL / "versions").glob("*.yaml"))


def committed_versions(root: Path) -> list[str]:
    listed = git(root, "ls-tree", "--name-only", "HEAD", f"models/{MODEL}/versions/").split()
    return sorted(Path(p).stem for p in listed)


def assert_validates(root: Path) -> None:
    result = run("validate", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr


REGISTER_STEPS = [
    "shutil:copy2:after",
    "charter.adapters.dvc:track:before",
    "charter.adapters.dvc:track:after",
    "charter.registration:write_text_atomic:after",
    "charter.validation.runner:validate_registry:after",
    "charter.adapters.dvc:push:after",
    "charter.adapters.git:commit_paths:before",
    "charter.adapters.git:commit_paths:after",
]


@pytest.mark.parametrize("step", REGISTER_STEPS)
def test_register_killed_at_any_step_leaves_a_valid_registry_and_a_rerun_finishes(
        step: str, registry: Path, tmp_path: Path) -> None:
    training = make_training(tmp_path / "train")
    artifact = training / "out" / "model.onnx"
    before = versions(registry)
    killed = crash(step, "-C", registry, "register", MODEL, "--artifact", artifact, cwd=training)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_validates(registry)
    done_by_the_killed_run = committed_versions(registry) != before

    again = run("-C", registry, "register", MODEL, "--artifact", artifact, cwd=training)
    assert again.returncode == 0, again.stdout + again.stderr
    assert_validates(registry)
    new = sorted(set(committed_versions(registry)) - set(before))
    # a kill before the commit leaves nothing behind: the re-run registers 1.2.0; after it, 1.2.0 stands
    assert new == (["1.2.0", "1.3.0"] if done_by_the_killed_run else ["1.2.0"])
    assert versions(registry) == committed_versions(registry), "no half-written version is left in the work tree"
    assert git(registry, "status", "--porcelain") == "", "nothing is left staged or untracked"
    assert not list((registry / ".git").glob("charter-*-journal.json"))

"""The hook other repositories use, run for real by the pre-commit framework on a registry repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT, git

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
VERSION = "models/sepsis-risk/versions/1.1.0.yaml"


def try_repo(registry: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(PROJECT), "charter-validate", "--color=never", *args],
                          cwd=registry, capture_output=True, text=True, timeout=900)


def test_hook_passes_clean_changes_and_blocks_bad_ones(registry: Path) -> None:
    path = registry / VERSION
    path.write_text(re.sub(r"^  description: .*$", "  description: Reworded.", path.read_text(), count=1,
                           flags=re.M))
    git(registry, "add", "-A")
    assert git(registry, "diff", "--cached", "--name-only").strip() == VERSION
    clean = try_repo(registry)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "charter validate" in clean.stdout and "Passed" in clean.stdout

    text = path.read_text().replace("\n  owner:", "\n  ownr: typo\n  owner:", 1)
    path.write_text(text)
    git(registry, "add", VERSION)
    blocked = try_repo(registry)
    assert blocked.returncode == 1
    assert "Failed" in blocked.stdout
    assert f"{VERSION}:" in blocked.stdout and "CH201" in blocked.stdout


def test_hook_ignores_yaml_that_is_not_an_entry(registry: Path) -> None:
    ci = registry / ".gitlab-ci.yml"
    ci.write_text(ci.read_text() + "\n# a comment\n")
    git(registry, "add", "-A")
    result = try_repo(registry)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(no files to check)" in result.stdout


def test_the_project_runs_its_own_hooks_on_its_schemas_and_template() -> None:
    for hook in ("schemas-metaschema", "charter-validate-template"):
        result = subprocess.run([str(PRE_COMMIT), "run", hook, "--all-files", "--color=never"], cwd=PROJECT,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Passed" in result.stdout

"""The hook other repositories use, run for real by the pre-commit framework on a registry repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT, git

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
VERSION = "models/sepsis-risk/versions/1.1.0.yaml"
EVENT = "events/sepsis-onset/2.0.0.yaml"


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
    git(registry, "rm", "-q", EVENT)  # pre-commit names no deleted file to a hook: the hook reads the index
    blocked = try_repo(registry)
    assert blocked.returncode == 1
    assert "Failed" in blocked.stdout
    assert f"{VERSION}:" in blocked.stdout and "CH201" in blocked.stdout
    assert "CH401" in blocked.stdout and "event:sepsis-onset@2.0.0 does not exist" in blocked.stdout


def test_hook_passes_a_commit_that_touches_no_entry(registry: Path) -> None:
    ci = registry / ".gitlab-ci.yml"
    ci.write_text(ci.read_text() + "\n# a comment\n")
    (registry / VERSION).write_text("broken: [\n")  # not staged: no part of the commit
    git(registry, "add", ".gitlab-ci.yml")
    result = try_repo(registry)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"charter validate\.+Passed", result.stdout), result.stdout


def test_the_project_runs_its_own_hooks_on_its_schemas_and_template() -> None:
    for hook in ("schemas-metaschema", "charter-validate-template"):
        result = subprocess.run([str(PRE_COMMIT), "run", hook, "--all-files", "--color=never"], cwd=PROJECT,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Passed" in result.stdout


# --- the hook installed in a repository and run by `git commit` ----------------------------------------------------
# The offline `repo: local` hook of the template's .pre-commit-config.yaml, as a person would paste it, with charter
# found on PATH (this environment's, which runs the code under test). A commit the hook refuses leaves HEAD alone.

TEMPLATE_CONFIG = PROJECT / "registry-template" / ".pre-commit-config.yaml"


def local_hook_config() -> str:
    """The template's commented `repo: local` example, uncommented."""
    lines = TEMPLATE_CONFIG.read_text(encoding="utf-8").splitlines()
    start = lines.index("#   repos:", lines.index("#   repos:") + 1)  # the second example: `repo: local`
    block = []
    for line in lines[start:]:
        if not line.startswith("#   "):
            break
        block.append(line.removeprefix("#   "))
    assert "    - repo: local" not in block and "  - repo: local" in block, block
    return "\n".join(block) + "\n"


def install_hook(top: Path) -> dict[str, str]:
    """The local hook installed at the repository's top; the environment `git commit` then needs."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    (top / ".pre-commit-config.yaml").write_text(local_hook_config(), encoding="utf-8")
    subprocess.run(["git", "add", ".pre-commit-config.yaml"], cwd=top, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "the hook", "--no-verify"], cwd=top, check=True, env=env)
    subprocess.run([str(PRE_COMMIT), "install"], cwd=top, check=True, capture_output=True, env=env)
    return env


def commit(top: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """`git commit`'s exit code and all it and the hook said (git gives a hook's output to stderr)."""
    done = subprocess.run(["git", "commit", "-m", "a change", *args], cwd=top, capture_output=True, text=True,
                          env={**env, "NO_COLOR": "1"}, timeout=300)
    return done.returncode, done.stdout + done.stderr


def head(top: Path) -> str:
    return git(top, "rev-parse", "HEAD").strip()


def test_the_hook_refuses_a_deleted_event_that_versions_still_refer_to(registry: Path) -> None:
    env = install_hook(registry)
    before = head(registry)
    git(registry, "rm", "-q", EVENT)
    code, out = commit(registry, env)
    assert code != 0 and head(registry) == before, out
    assert "Failed" in out and "CH401" in out and "event:sepsis-onset@2.0.0 does not exist" in out
    assert f"{VERSION}:" in out  # named at the version that still refers to it


def test_the_hook_reads_the_index_not_the_work_tree(registry: Path) -> None:
    env = install_hook(registry)
    before = head(registry)
    git(registry, "rm", "-q", "--cached", EVENT)  # the deletion is staged; the file is still in the work tree
    assert (registry / EVENT).is_file()
    code, out = commit(registry, env)
    assert code != 0 and head(registry) == before, out
    assert "CH401" in out and "event:sepsis-onset@2.0.0 does not exist" in out


def test_the_hook_checks_a_registry_in_a_sub_folder(registry: Path, tmp_path: Path) -> None:
    top = tmp_path / "monorepo"
    shutil.copytree(registry, top / "ml" / "registry", ignore=shutil.ignore_patterns(".git"))
    (top / "README.md").write_text("Training code and its registry.\n")
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "code and registry")
    env = install_hook(top)
    committed = head(top)
    path = top / "ml" / "registry" / VERSION
    path.write_text(path.read_text().replace("\n  owner:", "\n  ownr: typo\n  owner:", 1))
    git(top, "add", "-A")
    code, out = commit(top, env)
    assert code != 0 and head(top) == committed, out
    assert f"ml/registry/{VERSION}:" in out and "CH201" in out
    git(top, "reset", "-q", "--hard")

    # `git commit -a` builds the commit in an index of its own (GIT_INDEX_FILE): that one is checked
    path.write_text(path.read_text().replace("\n  owner:", "\n  ownr: typo\n  owner:", 1))
    code, out = commit(top, env, "-a")
    assert code != 0 and head(top) == committed, out
    assert f"ml/registry/{VERSION}:" in out and "CH201" in out
    path.write_text(re.sub(r"^  description: .*$", "  description: Reworded.",
                           path.read_text().replace("\n  ownr: typo", "", 1), count=1, flags=re.M))
    code, out = commit(top, env, "-a")
    assert code == 0 and head(top) != committed, out

    (top / "README.md").write_text("Training code, and its registry below ml/.\n")  # nothing of the registry
    git(top, "add", "README.md")
    code, out = commit(top, env)
    assert code == 0, out
    assert re.search(r"charter validate\.+Passed", out), out

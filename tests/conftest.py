"""Shared fixtures: every test gets its own HOME and git identity, and never touches the machine's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from charter.authoring.create_registry import create_registry
from charter.cli.app import app

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.org")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Committer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "committer@example.org")
    # Output must not depend on the terminal the tests run in.
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    for name in list(os.environ):
        if name.startswith("GIT_") and name not in {
            "GIT_CONFIG_NOSYSTEM", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"
        }:
            monkeypatch.delenv(name)
    return home


@pytest.fixture(scope="session")
def template_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `charter init` per session; tests that change a registry copy it with `registry`."""
    os.environ.setdefault("GIT_AUTHOR_NAME", "Test Author")
    target = tmp_path_factory.mktemp("template") / "registry"
    create_registry(target)
    return target


@pytest.fixture
def registry(template_registry: Path, tmp_path: Path) -> Path:
    """A fresh copy of the example registry, with its git history."""
    target = tmp_path / "registry"
    shutil.copytree(template_registry, target, symlinks=True)
    return target


class Charter:
    """Runs the CLI in-process through typer's runner, as a user would type it."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.runner = CliRunner()

    def __call__(self, *args: str | Path, cwd: Path | None = None) -> Result:
        previous = Path.cwd()
        os.chdir(cwd or self.cwd)
        try:
            result = self.runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        finally:
            os.chdir(previous)
        return Result(result.exit_code, result.stdout, result.stderr)


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"Result(code={self.code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


@pytest.fixture
def charter(tmp_path: Path) -> Charter:
    return Charter(tmp_path)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def origin(registry: Path, tmp_path: Path) -> Path:
    """A bare clone of the registry as its `origin` remote, with main tracking it: where promotions push."""
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(registry), str(bare)], check=True)
    git(registry, "remote", "add", "origin", str(bare))
    git(registry, "fetch", "-q", "origin")
    git(registry, "branch", "-q", "--set-upstream-to=origin/main")
    return bare


@pytest.fixture
def run_charter() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The installed console script in a subprocess: what pre-commit and CI actually run."""

    def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        exe = Path(sys.executable).parent / "charter"
        return subprocess.run([str(exe), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                              env={**os.environ}, timeout=120)

    return run


@pytest.fixture
def write(registry: Path) -> Iterator[Callable[[str, str], Path]]:
    def _write(relpath: str, text: str) -> Path:
        path = registry / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    yield _write

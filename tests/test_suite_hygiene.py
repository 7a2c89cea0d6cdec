"""The test suite's own rules: it never uses the machine's git identity or config, and test modules share helpers
through tests/helpers.py, never by importing one another."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ALL, SLOW
from tests.helpers import PROJECT, TEST_IDENTITY, git

TESTS = PROJECT / "tests"

AUTHOR = f"{TEST_IDENTITY['GIT_AUTHOR_NAME']} <{TEST_IDENTITY['GIT_AUTHOR_EMAIL']}>"
COMMITTER = f"{TEST_IDENTITY['GIT_COMMITTER_NAME']} <{TEST_IDENTITY['GIT_COMMITTER_EMAIL']}>"
MACHINE = "Machine Person <machine@example.invalid>"


def signatures(repo: Path) -> list[str]:
    return git(repo, "log", "--format=%an <%ae>|%cn <%ce>").splitlines()


def test_the_session_template_is_committed_with_the_test_identity(template_registry: Path) -> None:
    assert signatures(template_registry) == [f"{AUTHOR}|{COMMITTER}"]


# A session in a subprocess, run from a "real" home whose git config names someone else: its session fixtures (the
# template registry, and a plain `git commit` made in one) must sign with the test identity and leave that home be.
PROBE = '''
import json
import os
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def plain_commit(tmp_path_factory):
    repo = tmp_path_factory.mktemp("plain")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "x"], cwd=repo, check=True)
    return repo, os.environ["HOME"]


def test_probe(plain_commit, template_registry):
    def log(repo):
        return subprocess.run(["git", "log", "--format=%an <%ae>|%cn <%ce>"], cwd=repo, check=True,
                              capture_output=True, text=True).stdout.splitlines()

    repo, home = plain_commit
    found = {"plain": log(repo), "template": log(template_registry), "session_home": home}
    Path(os.environ["CHARTER_PROBE_OUT"]).write_text(json.dumps(found))
'''


def test_session_fixtures_never_see_the_machines_git_identity(tmp_path: Path) -> None:
    real_home = tmp_path / "real-home"
    real_home.mkdir()
    name, email = MACHINE[:-1].split(" <")
    (real_home / ".gitconfig").write_text(f"[user]\n\tname = {name}\n\temail = {email}\n")
    (tmp_path / "test_probe.py").write_text(PROBE)
    out = tmp_path / "found.json"
    # A developer's shell: the real home, no identity in the environment, the project importable.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "XDG_", "PYTEST_"))}
    env |= {"HOME": str(real_home), "CHARTER_PROBE_OUT": str(out),
            "PYTHONPATH": os.pathsep.join([str(PROJECT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    # The fake home is a fair test: outside the suite's isolation, git does take its identity from it.
    assert subprocess.run(["git", "config", "user.name"], env=env, capture_output=True, text=True).stdout == f"{name}\n"
    before = sorted(p.relative_to(real_home) for p in real_home.rglob("*"))

    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
                             "test_probe.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    found = json.loads(out.read_text())
    assert found["plain"] == found["template"] == [f"{AUTHOR}|{COMMITTER}"]
    assert found["session_home"] != str(real_home)
    assert sorted(p.relative_to(real_home) for p in real_home.rglob("*")) == before


def test_every_test_sees_the_isolated_home(isolated_home: Path) -> None:
    assert os.environ["HOME"] == str(isolated_home)
    assert os.environ["GIT_CONFIG_GLOBAL"] == str(isolated_home / ".gitconfig")
    assert os.environ["GIT_CONFIG_NOSYSTEM"] == "1"
    assert all(os.environ[name] == value for name, value in TEST_IDENTITY.items())


def _imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved against the tests package."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(["tests", *filter(None, [base])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from tests import test_x`
    return found


def test_no_module_of_the_suite_imports_a_test_module() -> None:
    test_modules = {f"tests.{p.stem}" for p in TESTS.glob("test_*.py")} | {p.stem for p in TESTS.glob("test_*.py")}
    offenders = {path.name: sorted(_imported_modules(path) & test_modules) for path in sorted(TESTS.glob("*.py"))}
    assert {name: found for name, found in offenders.items() if found} == {}, \
        "a shared helper belongs in tests/helpers.py, not in a test module that others import"


def test_every_test_marked_slow_exists() -> None:
    """conftest marks the slow tests by module and name: a renamed test must not quietly join the quick ones."""
    missing = []
    for module, names in SLOW.items():
        path = TESTS / module
        assert path.is_file(), f"conftest.SLOW names {module}, which does not exist"
        if names == ALL:
            continue
        defined = {node.name for node in ast.parse(path.read_text(encoding="utf-8")).body
                   if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
        missing += [f"{module}::{name}" for name in sorted(set(names) - defined)]
    assert missing == []

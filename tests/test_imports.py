"""Heavy modules are imported only on the paths that need them (pre-commit runs on every commit)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import charter
from tests.helpers import imported, probe

NUMERICS = {"numpy", "scipy", "sklearn", "statsmodels", "pyarrow"}


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    assert imported("--help", cwd=tmp_path) == []


def test_a_run_imports_only_the_command_it_runs(template_registry: Path) -> None:
    probe("validate", cwd=template_registry)  # every entry in the parse cache
    ran = probe("resolve", "sepsis-risk", "--env", "production", "--format", "json", cwd=template_registry)
    assert ran["COMMANDS"] == ["charter.cli.app", "charter.cli.console", "charter.cli.resolve"]
    assert ran["HEAVY"] == []  # JSON output: no rich; a cached registry: no YAML parser
    listed = probe("--help", cwd=template_registry)["COMMANDS"]
    assert {"charter.cli.report", "charter.cli.evaluate", "charter.cli.validate"} <= set(listed)


def test_validating_one_file_needs_no_git_or_dvc(template_registry: Path) -> None:
    one = "models/sepsis-risk/versions/1.1.0.yaml"
    heavy = imported("validate", one, cwd=template_registry, env={"CHARTER_NO_CACHE": "1"})
    assert "git" not in heavy and "dvc" not in heavy
    assert "jsonschema" in heavy  # the probe can see imports at all
    imported("validate", one, cwd=template_registry)  # fills the parse cache, schema findings included
    # then neither the schemas nor the YAML parser are loaded, nor rich for output to a pipe
    assert imported("validate", one, cwd=template_registry) == []


def _imported_names(nodes: Iterable[ast.AST]) -> set[str]:
    names = set()
    for statement in nodes:
        if isinstance(statement, ast.Import):
            names.update(alias.name for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom) and statement.module:
            names.add(statement.module)
            names.update(f"{statement.module}.{alias.name}" for alias in statement.names)
    return names


def test_only_the_evaluation_arithmetic_imports_the_numerics() -> None:
    """numpy, scipy, scikit-learn, statsmodels and pyarrow (the `evidence` extra) are imported by modules of
    charter.evaluation alone; any other module (charter.evaluation's own __init__ and confusion included) may use
    those modules only from inside a function, so importing it (as validate, list and the rest do) loads none of
    them. The run-time probes above check the same."""
    package = Path(charter.__file__).parent
    numeric_modules, top_level = set(), {}
    for path in package.rglob("*.py"):
        module = ".".join(("charter", *path.relative_to(package).with_suffix("").parts)).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if {name.split(".")[0] for name in _imported_names(ast.walk(tree))} & NUMERICS:
            numeric_modules.add(module)
        top_level[module] = _imported_names(tree.body)
    assert numeric_modules and all(m.startswith("charter.evaluation.") for m in numeric_modules), numeric_modules
    eager = {m for m, names in top_level.items() if m not in numeric_modules and names & numeric_modules}
    assert eager == set()


def test_only_the_report_imports_jinja(template_registry: Path, tmp_path: Path) -> None:
    assert "jinja2" not in imported("list", cwd=template_registry)
    assert "jinja2" in imported("report", "-o", str(tmp_path / "site"), cwd=template_registry)


def test_findings_look_the_same_with_and_without_rich(registry: Path) -> None:
    """A pipe gets plain text without rich; a terminal (forced here) gets rich's styles over the same text."""
    entry = registry / "models/sepsis-risk/versions/1.1.0.yaml"
    entry.write_text(entry.read_text().replace("kind: ModelVersion", "kind: ModelVersion\nbogus: '[x] :smile:'"))
    plain = subprocess.run([sys.executable, "-m", "charter", "validate"], capture_output=True, text=True,
                           cwd=registry, env={**os.environ, "NO_COLOR": "1"})
    styled = subprocess.run([sys.executable, "-m", "charter", "validate"], capture_output=True, text=True,
                            cwd=registry, env={**os.environ, "FORCE_COLOR": "1", "NO_COLOR": ""})
    assert plain.returncode == styled.returncode == 1
    assert "bogus" in plain.stdout and "\x1b[" not in plain.stdout
    assert "\x1b[" in styled.stdout
    assert re.sub(r"\x1b\[[0-9;]*m", "", styled.stdout) == plain.stdout

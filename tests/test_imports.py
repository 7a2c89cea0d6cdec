"""Heavy modules are imported only on the paths that need them (pre-commit runs on every commit)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import imported, probe


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

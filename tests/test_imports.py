"""Heavy modules are imported only on the paths that need them (pre-commit runs on every commit)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("jsonschema", "git", "dvc", "referencing", "jinja2")

PROBE = """
import json, sys
from charter.cli.app import main
sys.argv = ["charter", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(HEAVY)))
print("HEAVY=" + json.dumps(heavy), file=sys.stderr)
"""


def imported(*args: str, cwd: Path, env: dict[str, str] | None = None) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE.replace("HEAVY)", f"{json.dumps(json.dumps(HEAVY))})"),
                             *args], capture_output=True, text=True, cwd=cwd,
                            env={**os.environ, **(env or {})})
    line = next(x for x in result.stderr.splitlines() if x.startswith("HEAVY="))
    return list(json.loads(line.removeprefix("HEAVY=")))


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    assert imported("--help", cwd=tmp_path) == []


def test_validating_one_file_needs_no_git_or_dvc(template_registry: Path) -> None:
    one = "models/sepsis-risk/versions/1.1.0.yaml"
    heavy = imported("validate", one, cwd=template_registry, env={"CHARTER_NO_CACHE": "1"})
    assert "git" not in heavy and "dvc" not in heavy
    assert "jsonschema" in heavy  # the probe can see imports at all
    imported("validate", one, cwd=template_registry)  # fills the parse cache, schema findings included
    assert imported("validate", one, cwd=template_registry) == []  # then the schemas are not even loaded


def test_only_the_report_imports_jinja(template_registry: Path, tmp_path: Path) -> None:
    assert "jinja2" not in imported("list", cwd=template_registry)
    assert "jinja2" in imported("report", "-o", str(tmp_path / "site"), cwd=template_registry)

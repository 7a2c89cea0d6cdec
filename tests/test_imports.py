"""Heavy modules are imported only on the paths that need them (pre-commit runs on every commit)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import charter
from tests.helpers import HEAVY, imported, probe

PACKAGE = Path(charter.__file__).parent
#: The `evidence` extra's libraries (and pandas, which pyarrow imports when it converts Python values).
EVIDENCE_LIBRARIES = {"numpy", "pyarrow", "pandas", "scipy", "sklearn", "statsmodels"}
#: The modules that may import them: those that compute from predictions. Commands import these modules inside the
#: function that needs them, so nothing that only reads a registry pays for them (or needs them installed).
EVIDENCE_MODULES = {"charter.evaluation.predictions", "charter.evaluation.threshold_counts",
                    "charter.evaluation.statistics", "charter.evaluation.calibration",
                    "charter.evaluation.poisson_resampling", "charter.evaluation.figures",
                    "charter.evaluation.ranking"}



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


def test_only_a_sync_imports_mlflow(template_registry: Path, tmp_path: Path) -> None:
    assert "mlflow" not in imported("sync", "mlflow", "--help", cwd=template_registry)
    assert "mlflow" not in imported("pull", "sepsis-risk", "--env", "production", "-o", str(tmp_path / "m.onnx"),
                                    cwd=template_registry)
    # the example registry maps no alias, so the sync stops before MLflow is needed
    assert "mlflow" not in imported("sync", "mlflow", "--tracking-uri", "http://127.0.0.1:9", cwd=template_registry)


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


def _module_name(path: Path) -> str:
    return ".".join(("charter", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")


def _imports(tree: ast.AST, *, top_level_only: bool) -> list[tuple[int, str]]:
    """(line, module) of every import; with top_level_only, not those inside functions or under TYPE_CHECKING."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if top_level_only and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if top_level_only and isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.extend((child.lineno, f"{child.module}.{alias.name}") for alias in child.names)
            visit(child)

    visit(tree)
    return found


def test_only_the_evidence_modules_import_numpy_pyarrow_and_the_rest_of_the_evidence_extra() -> None:
    assert set(HEAVY) >= EVIDENCE_LIBRARIES
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        for line, module in _imports(ast.parse(path.read_text(encoding="utf-8")), top_level_only=False):
            if module.split(".")[0] in EVIDENCE_LIBRARIES and name not in EVIDENCE_MODULES:
                outside.append(f"{name}:{line} imports {module}")
    assert outside == []


def test_no_module_imports_an_evidence_module_when_it_is_imported() -> None:
    """Only inside a function (run by a command that computes) may a module reach for the evidence modules."""
    eager = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        if name in EVIDENCE_MODULES:
            continue
        for line, module in _imports(ast.parse(path.read_text(encoding="utf-8")), top_level_only=True):
            if any(module == m or module.startswith(m + ".") for m in EVIDENCE_MODULES):
                eager.append(f"{name}:{line} imports {module}")
    assert eager == []


def test_importing_the_api_and_the_evaluation_package_imports_no_evidence_library() -> None:
    code = ("import sys, charter.api, charter.cli.app, charter.evaluation, charter.evaluation.compare, "
            "charter.evaluation.results_file, charter.authoring.record_evaluation; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(EVIDENCE_LIBRARIES)!r})))")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]"


def test_only_the_mlflow_adapter_imports_mlflow() -> None:
    """MLflow's import alone takes seconds: every other module reaches it through charter.adapters.mlflow."""
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        for line, module in _imports(ast.parse(path.read_text(encoding="utf-8")), top_level_only=False):
            if module.split(".")[0] == "mlflow" and not name.startswith("charter.adapters.mlflow."):
                outside.append(f"{name}:{line} imports {module}")
    assert outside == []

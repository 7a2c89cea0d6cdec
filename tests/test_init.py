"""`charter init`: a registry a newcomer can use at once, committed, with hooks, CI and editor support."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from charter.registry.kinds import KINDS
from charter.store.loader import discover_files
from tests.conftest import PROJECT, Charter, git

BIN = Path(sys.executable).parent


def test_init_creates_a_committed_registry_that_validates(charter: Charter, tmp_path: Path) -> None:
    result = charter("init", "reg")
    assert result.code == 0, result
    root = tmp_path / "reg"
    assert "created registry" in result.stdout
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "log", "--format=%s").strip() == "Create Charter registry"
    assert git(root, "branch", "--show-current").strip() == "main"
    tracked = set(git(root, "ls-files").split())
    assert {"registry.yaml", ".pre-commit-config.yaml", ".github/workflows/charter.yml", ".gitlab-ci.yml"} <= tracked
    validated = charter("validate", "--format", "json", cwd=root)
    report = json.loads(validated.stdout)
    assert validated.code == 0 and report["ok"] and report["findings"] == [], report


def test_worked_example_has_what_the_issue_promises(template_registry: Path, charter: Charter) -> None:
    rows = json.loads(charter("-C", template_registry, "list", "--format", "json").stdout)
    refs = {r["ref"] for r in rows}
    assert {"model:sepsis-risk", "model:card-fraud", "contract:sepsis-risk-serving@1.0.0"} <= refs
    sepsis_versions = [r for r in rows if r["kind"] == "ModelVersion" and r["name"] == "sepsis-risk"]
    assert len(sepsis_versions) >= 2
    assert any(r["kind"] == "EventDefinition" and r["name"] == "sepsis-onset" for r in rows)
    assert sum(r["kind"] == "Cohort" for r in rows) >= 2
    assert sum(r["kind"] == "Evaluation" for r in rows) >= 2
    envs = {r["name"]: r for r in rows if r["kind"] == "Environment"}
    assert {"production", "staging"} <= set(envs)
    production = json.loads(charter("-C", template_registry, "show", "environment:production", "--format",
                                    "json").stdout)
    staging = json.loads(charter("-C", template_registry, "show", "environment:staging", "--format", "json").stdout)
    assigned_prod = {a["model"] for a in production["document"]["spec"]["assignments"]}
    assigned_staging = {a["model"] for a in staging["document"]["spec"]["assignments"]}
    sepsis_prod = {m for m in assigned_prod if m.startswith("model:sepsis-risk@")}
    sepsis_staging = {m for m in assigned_staging if m.startswith("model:sepsis-risk@")}
    assert sepsis_prod and sepsis_staging and sepsis_prod != sepsis_staging
    evaluation = next(r for r in rows if r["kind"] == "Evaluation")
    detail = json.loads(charter("-C", template_registry, "show", evaluation["ref"], "--format", "json").stdout)
    assert detail["document"]["spec"]["thresholds"] and detail["document"]["spec"]["subgroups"]


def test_every_entry_points_its_editor_at_a_bundled_schema_that_exists(template_registry: Path) -> None:
    files = ["registry.yaml", *discover_files(template_registry)]
    assert len(files) > 15
    for relpath in files:
        first = (template_registry / relpath).read_text().splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, f"{relpath}: first line is {first!r}"
        schema = (template_registry / relpath).parent / match.group(1)
        assert schema.is_file(), f"{relpath}: {schema} does not exist"
        bundled = json.loads(schema.read_text())
        assert "definitions.json" not in json.dumps(bundled), f"{schema} is not self-contained"


def test_empty_registry_has_configuration_and_environments_only(charter: Charter, tmp_path: Path) -> None:
    assert charter("init", "--empty", "empty").code == 0
    root = tmp_path / "empty"
    rows = json.loads(charter("-C", root, "list", "--format", "json").stdout)
    assert rows and {r["kind"] for r in rows} == {"Environment"}
    result = charter("-C", root, "validate")
    assert result.code == 0, result
    assert not (root / "models").exists()


def test_init_refuses_a_folder_that_has_files_and_leaves_it_untouched(charter: Charter, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = charter("init", target)
    assert result.code == 2
    assert "already exists" in result.stderr and "Traceback" not in result.stderr
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".busy")]


def test_init_works_without_a_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    result = subprocess.run([str(BIN / "charter"), "init", str(tmp_path / "r")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert git(tmp_path / "r", "log", "--format=%an").strip() == "Charter"


def test_github_workflow_passes_actionlint(template_registry: Path) -> None:
    workflow = template_registry / ".github" / "workflows" / "charter.yml"
    result = subprocess.run([str(BIN / "actionlint"), "-no-color", str(workflow)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "charter validate" in workflow.read_text()


def test_github_workflow_gates_again_when_a_review_arrives(template_registry: Path) -> None:
    """Without a review trigger a promotion stays red after its approval: nothing runs the gate again."""
    workflow = yaml.safe_load((template_registry / ".github" / "workflows" / "charter.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["pull_request_review"] == {"types": ["submitted", "dismissed"]}
    assert "pull_request" in triggers
    [job] = workflow["jobs"].values()
    [gate] = [step for step in job["steps"] if "charter gate" in step.get("run", "")]
    for event in ("pull_request", "pull_request_review"):
        assert f"github.event_name == '{event}'" in gate["if"]
    # github.base_ref is empty on pull_request_review: the target branch comes from the event's pull request
    assert gate["env"]["BASE_REF"] == "${{ github.event.pull_request.base.ref }}" and "$BASE_REF" in gate["run"]
    assert gate["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert "pull-requests: read" in (template_registry / ".github" / "workflows" / "charter.yml").read_text()


def test_gitlab_ci_says_how_approvals_reach_the_gate(template_registry: Path) -> None:
    text = (template_registry / ".gitlab-ci.yml").read_text()
    comments = " ".join(line.strip("# ") for line in text.splitlines() if line.lstrip().startswith("#"))
    assert "no pipeline" in comments and "approv" in comments and "Run pipeline" in comments


def test_pre_commit_config_says_how_to_use_a_mirror_or_the_installed_charter(template_registry: Path,
                                                                             tmp_path: Path) -> None:
    text = (template_registry / ".pre-commit-config.yaml").read_text()
    assert "mirror" in text
    # The commented alternatives, uncommented, are configurations pre-commit accepts as they stand.
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("#   "):
            blocks[-1].append(line[4:])
        elif blocks[-1]:
            blocks.append([])
    configs = [yaml.safe_load("\n".join(block)) for block in blocks if block]
    mirror, local = configs
    assert mirror["repos"][0]["repo"].startswith("https://") and mirror["repos"][0]["hooks"][0]["id"] == \
        "charter-validate"
    [hook] = local["repos"][0]["hooks"]
    assert local["repos"][0]["repo"] == "local"
    published = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())[0]
    assert hook["language"] == "system" and hook["id"] == published["id"] and hook["entry"] == published["entry"]
    assert hook["files"] == published["files"] and hook["require_serial"] is True
    for number, block in enumerate(blocks[:2]):
        config = tmp_path / f"alternative-{number}.yaml"
        config.write_text("\n".join(block) + "\n")
        check = subprocess.run([str(BIN / "pre-commit"), "validate-config", str(config)], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_gitlab_ci_passes_gitlabs_schema(template_registry: Path) -> None:
    ci = template_registry / ".gitlab-ci.yml"
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(ci)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "charter validate" in ci.read_text()


def test_schema_command_prints_self_contained_schemas(charter: Charter) -> None:
    listing = json.loads(charter("schema", "--format", "json").stdout)
    assert {row["kind"] for row in listing} == {*KINDS, "Registry"}
    for kind in [*KINDS, "Registry"]:
        result = charter("schema", kind)
        assert result.code == 0
        schema = json.loads(result.stdout)
        assert schema["$schema"].endswith("2020-12/schema")
        assert "definitions.json" not in result.stdout
    bad = charter("schema", "Nope")
    assert bad.code == 2 and "unknown kind" in bad.stderr


def test_bundled_schemas_work_for_check_jsonschema(template_registry: Path, tmp_path: Path,
                                                   charter: Charter) -> None:
    """Another tool can use `charter schema KIND` as is on the registry's files."""
    schema_file = tmp_path / "contract.json"
    schema_file.write_text(charter("schema", "Contract").stdout)
    contracts = sorted((template_registry / "contracts").rglob("*.yaml"))
    result = subprocess.run([str(BIN / "check-jsonschema"), "--schemafile", str(schema_file),
                             *map(str, contracts)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_init_moves_example_dates_forward_so_the_example_never_rots(tmp_path: Path) -> None:
    import shutil
    from datetime import date, timedelta

    from charter.authoring.create_registry import DATE_RE, TEMPLATE_DATE, TEMPLATE_DIR, stamp_dates
    from charter.registry.yamlio import parse_yaml

    def dates(root: Path) -> list[str]:
        found: list[str] = []

        def walk(node: object) -> None:
            if isinstance(node, str) and DATE_RE.match(node):
                found.append(node[:10])
            elif isinstance(node, dict):
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        for path in sorted(root.rglob("*.yaml")):
            walk(parse_yaml(path.read_text(), path.name).data)
        return found

    copy = tmp_path / "t"
    shutil.copytree(TEMPLATE_DIR / "evaluations", copy / "evaluations")
    before = dates(copy)
    later = TEMPLATE_DATE + timedelta(days=400)
    stamp_dates(copy, later)
    after = dates(copy)
    assert len(before) == len(after) > 0
    shifted = [date.fromisoformat(b) + timedelta(days=400) for b in before]
    assert shifted == [date.fromisoformat(a) for a in after]
    assert max(after) <= later.isoformat()


PREDICTIONS_EVALUATION = "evaluation:sepsis-risk-1-1-0-predictions-retro@1.0.0"
PREDICTIONS_FILE = "evidence/sepsis-risk-1-1-0-predictions-retro/1.0.0/scored.csv"


def test_the_example_predictions_file_is_what_its_generator_writes_and_what_the_evaluation_names() -> None:
    import hashlib
    import importlib.util

    from charter.authoring.create_registry import TEMPLATE_DIR

    spec = importlib.util.spec_from_file_location("template_predictions", PROJECT / "tests" / "template_predictions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = (TEMPLATE_DIR / PREDICTIONS_FILE).read_bytes()
    assert module.generate().encode("utf-8") == shipped, "regenerate: python tests/template_predictions.py"
    evaluation = yaml.safe_load((TEMPLATE_DIR / "evaluations/sepsis-risk-1-1-0-predictions-retro/1.0.0.yaml")
                                .read_text())
    recorded = evaluation["spec"]["evidence"]["predictions"]
    assert recorded["path"] == PREDICTIONS_FILE and recorded["rows"] == shipped.count(b"\n") - 1
    assert recorded["md5"] == hashlib.md5(shipped).hexdigest()


def test_a_new_registry_verifies_its_example_evaluation_from_predictions(template_registry: Path,
                                                                         charter: Charter) -> None:
    """`init` moved the file's dates with the YAML's, tracked and pushed it, and wrote its new md5."""
    root = template_registry
    tracked = set(git(root, "ls-files", "evidence").split())
    assert tracked == {f"{PREDICTIONS_FILE}.dvc", str(Path(PREDICTIONS_FILE).parent / ".gitignore")}
    evaluation = yaml.safe_load((root / "evaluations/sepsis-risk-1-1-0-predictions-retro/1.0.0.yaml").read_text())
    evidence = evaluation["spec"]["evidence"]
    pointer = yaml.safe_load((root / f"{PREDICTIONS_FILE}.dvc").read_text())
    assert evidence["predictions"]["md5"] == pointer["outs"][0]["md5"]
    cohort = yaml.safe_load((root / "cohorts/sepsis-adult-inpatients-eval-dec2025/1.0.0.yaml").read_text())
    first = (root / PREDICTIONS_FILE).read_text().splitlines()[1].split(",")[3]
    assert str(evidence["scoredFrom"]).replace(" ", "T").replace("+00:00", "Z") == first
    assert first.startswith(str(cohort["spec"]["period"]["start"]))
    verified = charter("-C", root, "evaluate", "verify", PREDICTIONS_EVALUATION)
    assert verified.code == 0, verified
    assert "every figure is what its predictions give" in verified.stdout
    validated = charter("-C", root, "validate", "--check-artifacts", "--format", "json")
    assert validated.code == 0 and json.loads(validated.stdout)["findings"] == [], validated


def test_init_without_artifacts_leaves_the_predictions_out_and_still_validates(charter: Charter,
                                                                                 tmp_path: Path) -> None:
    assert charter("init", "--no-artifacts", "bare").code == 0
    root = tmp_path / "bare"
    assert not (root / "evidence").exists()
    validated = charter("-C", root, "validate", "--format", "json")
    assert validated.code == 0 and json.loads(validated.stdout)["findings"] == [], validated

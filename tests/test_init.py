"""`charter init`: a registry a newcomer can use at once, committed, with hooks, CI and editor support."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from charter.authoring.create_registry import TEMPLATE_DATE, TEMPLATE_DIR, shift_dates, stamp_dates
from charter.registry.kinds import KINDS
from charter.store.loader import discover_files
from tests.conftest import PROJECT, Charter, git
from tests.helpers import make_training, md5, no_traceback, object_path, remote_folder

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
    job = workflow["jobs"]["validate"]
    [gate] = [step for step in job["steps"] if "charter gate" in step.get("run", "")]
    for event in ("pull_request", "pull_request_review"):
        assert f"github.event_name == '{event}'" in gate["if"]
    # github.base_ref is empty on pull_request_review: the target branch comes from the event's pull request
    assert gate["env"]["BASE_REF"] == "${{ github.event.pull_request.base.ref }}" and "$BASE_REF" in gate["run"]
    assert gate["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert "pull-requests: read" in (template_registry / ".github" / "workflows" / "charter.yml").read_text()


def test_ci_syncs_mlflow_after_a_change_lands_on_main_only_when_its_secret_is_set(template_registry: Path) -> None:
    workflow = yaml.safe_load((template_registry / ".github" / "workflows" / "charter.yml").read_text())
    job = workflow["jobs"]["sync-mlflow"]
    assert job["needs"] == "validate" and job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert job["env"] == {"MLFLOW_TRACKING_URI": "${{ secrets.MLFLOW_TRACKING_URI }}"}
    assert all(step["if"] == "${{ env.MLFLOW_TRACKING_URI != '' }}" for step in job["steps"])
    [sync] = [step for step in job["steps"] if "charter sync mlflow" in step.get("run", "")]
    assert sync["env"] == {"MLFLOW_TRACKING_TOKEN": "${{ secrets.MLFLOW_TRACKING_TOKEN }}"}
    gitlab = yaml.safe_load((template_registry / ".gitlab-ci.yml").read_text())["sync-mlflow"]
    assert gitlab["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $MLFLOW_TRACKING_URI"}]
    assert gitlab["script"] == ["charter sync mlflow"] and gitlab["needs"] == ["validate"]


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
    assert hook["entry"] == "charter validate --staged" and hook["require_serial"] is True
    for key in ("name", "pass_filenames", "always_run", "require_serial", "stages"):
        assert hook[key] == published[key], key
    # pre-commit names no deleted file to a hook, and a `files:` pattern would be matched from the repository's top
    assert hook["pass_filenames"] is False and hook["always_run"] is True
    assert "files" not in hook and "files" not in published
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


# --- the artifact remote: relative to the registry, so a clone elsewhere works ---------------------------------------


def _dvc_url(root: Path) -> str:
    match = re.search(r"^\s*url = (.+)$", (root / ".dvc" / "config").read_text(), flags=re.M)
    assert match, "the registry has no DVC remote"
    return match.group(1).strip()


def _registry_url(root: Path) -> str:
    url: str = yaml.safe_load((root / "registry.yaml").read_text())["spec"]["artifacts"]["remote"]["url"]
    return url


def _committed_text(root: Path) -> str:
    """Every committed file's content, as one text (the artifacts are in DVC, not in git)."""
    return "\n".join(git(root, "show", f"HEAD:{path}") for path in git(root, "ls-files").split())


def test_init_keeps_the_remote_relative_and_a_clone_elsewhere_pulls_and_validates(tmp_path: Path,
                                                                                  charter: Charter) -> None:
    first = tmp_path / "first"
    assert charter("init", first / "reg").code == 0
    root = first / "reg"
    assert _registry_url(root) == "../charter-artifacts"  # as the template writes it: from the registry root
    assert _dvc_url(root) == "../../charter-artifacts"  # DVC reads it from .dvc/: the same folder
    assert remote_folder(root) == first / "charter-artifacts" and (first / "charter-artifacts" / "files").is_dir()
    committed = _committed_text(root)
    assert str(tmp_path) not in committed and str(tmp_path.resolve()) not in committed

    # the whole parent folder moves: the registry and its cache-less clone find the store beside them
    moved = tmp_path / "moved"
    shutil.move(first, moved)
    root = moved / "reg"
    clone = tmp_path / "elsewhere" / "reg"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    shutil.copytree(moved / "charter-artifacts", clone.parent / "charter-artifacts")
    assert not (clone / ".dvc" / "cache").exists()  # the remote is the only source
    for where in (root, clone):
        pulled = charter("-C", where, "pull", "sepsis-risk", "--env", "production", "-o", where.parent / "out.onnx")
        no_traceback(pulled)
        assert pulled.code == 0, pulled
        checked = charter("-C", where, "validate", "--check-artifacts", "--trust-remote-config")
        assert checked.code == 0, checked
        resolved = json.loads(charter("-C", where, "resolve", "sepsis-risk", "--env", "production",
                                      "--format", "json").stdout)
        assert str(tmp_path) not in json.dumps(resolved)

    # register's push goes to the store beside the clone, not to the first one's
    training = make_training(tmp_path / "train")
    artifact = training / "out" / "model.onnx"
    registered = charter("-C", clone, "register", "sepsis-risk", "--artifact", artifact, cwd=training)
    no_traceback(registered)
    assert registered.code == 0, registered
    assert object_path(clone.parent / "charter-artifacts", md5(artifact)).is_file()
    assert not object_path(moved / "charter-artifacts", md5(artifact)).exists()


def test_a_relative_remote_option_is_read_from_the_current_folder_and_kept_relative(tmp_path: Path,
                                                                                   charter: Charter) -> None:
    (tmp_path / "work").mkdir()
    result = charter("-C", tmp_path / "work", "init", "../reg", "--remote", "../stores/ml")
    assert result.code == 0, result
    root = tmp_path / "reg"
    assert _registry_url(root) == "../stores/ml" and _dvc_url(root) == "../../stores/ml"
    assert remote_folder(root) == tmp_path / "stores" / "ml" and (tmp_path / "stores" / "ml" / "files").is_dir()
    assert str(tmp_path) not in _committed_text(root)

    absolute = tmp_path / "absolute-store"
    assert charter("init", tmp_path / "reg2", "--remote", absolute).code == 0
    assert _registry_url(tmp_path / "reg2") == str(absolute) == _dvc_url(tmp_path / "reg2")  # as written
    assert (absolute / "files").is_dir()


def test_a_registry_in_a_folder_of_a_larger_repository_keeps_its_relative_remote(tmp_path: Path,
                                                                                  charter: Charter) -> None:
    mono = tmp_path / "mono"
    mono.mkdir()
    git(mono, "init", "-q", "-b", "main")
    root = mono / "ml" / "registry"
    assert charter("-C", mono, "init", "ml/registry", "--remote", "../store").code == 0
    assert _registry_url(root) == "../../../store" and _dvc_url(root) == "../../../../store"
    shutil.rmtree(root / ".git")  # the registry moves into the team's repository
    git(mono, "add", "-A")
    git(mono, "commit", "-qm", "registry in a folder")
    assert str(tmp_path) not in _committed_text(mono)

    clone = tmp_path / "elsewhere" / "mono"
    git(tmp_path, "clone", "-q", str(mono), str(clone))
    shutil.copytree(tmp_path / "store", tmp_path / "elsewhere" / "store")
    inner = clone / "ml" / "registry"
    pulled = charter("-C", inner, "pull", "sepsis-risk", "--env", "production", "-o", tmp_path / "out.onnx")
    no_traceback(pulled)
    assert pulled.code == 0, pulled
    assert charter("-C", inner, "validate", "--check-artifacts", "--trust-remote-config").code == 0


# --- the example's dates: every one of them moves, wherever it is written ------------------------------------------

#: A date or an ISO week, wherever it is written.
DATE_LIKE = re.compile(r"(?<!\d)\d{4}-(?:\d{2}-\d{2}|W\d{2}(?:-[1-7])?)(?!\d)")
MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
          "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
#: Dates written so that `init` could not move them: "9 to 16 November 2026", "July-December 2025", "Q4 2025".
WORDED_DATE = re.compile(rf"\b(?:(?:{MONTHS})\b[\s,-]*(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s*)?(?:\d{{4}}|'\d{{2}})\b"
                         rf"|(?:Q[1-4]|H[12])\s*\d{{4}}\b|\b(?:in|from|since|during|of|until)\s+(?:19|20)\d{{2}}\b(?!-))")


def _as_day(text: str) -> date:
    if "W" in text:
        year, week, *day = text.split("-")
        return date.fromisocalendar(int(year), int(week[1:]), int(day[0]) if day else 1)
    return date.fromisoformat(text)


def _example_files(root: Path) -> dict[str, str]:
    """Each file of the example that a person reads (entries, README, configuration), by path: its text."""
    skipped = (".git/", ".dvc/", ".charter/", "artifacts/", ".empty/", "__pycache__/")
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relpath = path.relative_to(root).as_posix()
        dvc_pointer = relpath.endswith(".dvc") or (relpath.startswith("evidence/") and relpath.endswith(".gitignore"))
        if not relpath.startswith(skipped) and relpath not in ("CODEOWNERS", ".dvcignore") and not dvc_pointer:
            # CODEOWNERS, .dvcignore, DVC's pointers are written by tools, not read as the example
            files[relpath] = path.read_text(encoding="utf-8")
    return files


def _dates_by_file(root: Path) -> dict[str, list[date]]:
    """The dates in each file's path and text, in order, by the path with its dates masked (to pair moved files)."""
    return {DATE_LIKE.sub("DATE", relpath): [_as_day(d) for d in DATE_LIKE.findall(relpath + "\n" + text)]
            for relpath, text in _example_files(root).items()}


def _assert_moved(template: Path, fresh: Path, today: date) -> None:
    shift = timedelta(weeks=(today - TEMPLATE_DATE).days // 7)
    before, after = _dates_by_file(template), _dates_by_file(fresh)
    assert before.keys() == after.keys()
    assert sum(map(len, before.values())) > 50
    for masked, dates in before.items():
        assert after[masked] == [d + shift for d in dates], masked  # names, paths, texts and fields move together
    everything = [d for dates in after.values() for d in dates]
    assert max(everything) <= today  # none in the future
    if shift:  # (a predictions file spans weeks of days, so a shift of a week keeps most of its dates: left out)
        moved = [d for masked, dates in after.items() if not masked.endswith(".csv") for d in dates]
        kept = Counter(d for masked, dates in before.items() if not masked.endswith(".csv") for d in dates) & \
            Counter(moved)
        assert sum(kept.values()) < len(moved) / 10, kept  # the template's own dates are gone


def test_the_template_writes_every_date_so_that_init_can_move_it() -> None:
    """A date in words ("9 to 16 November 2026", "Q4 2025") would stay behind when `init` moves the others."""
    for relpath, text in _example_files(TEMPLATE_DIR).items():
        for number, line in enumerate(text.splitlines(), 1):
            assert not WORDED_DATE.search(line), f"{relpath}:{number}: {line.strip()}"


def test_a_fresh_registry_has_no_date_the_template_had(template_registry: Path) -> None:
    _assert_moved(TEMPLATE_DIR, template_registry, date.today())


def test_init_moves_example_dates_forward_so_the_example_never_rots(tmp_path: Path, charter: Charter) -> None:
    copy = tmp_path / "t"
    shutil.copytree(TEMPLATE_DIR, copy, ignore=shutil.ignore_patterns(".empty", "__pycache__"))
    later = TEMPLATE_DATE + timedelta(days=400)
    stamp_dates(copy, later)
    _assert_moved(TEMPLATE_DIR, copy, later)
    [record] = (copy / "records").glob("*-health-*.yaml")
    document = yaml.safe_load(record.read_text())
    day = str(_as_day(DATE_LIKE.findall(record.name)[0]))
    assert document["metadata"]["name"] == record.stem and day in document["metadata"]["description"]
    assert str(document["spec"]["period"]["end"])[:10] == day  # named for the week it reports
    assert _as_day(day).weekday() == date(2026, 11, 16).weekday()  # whole weeks: a Monday stays a Monday
    git(copy, "init", "-q", "-b", "main")
    report = json.loads(charter("-C", copy, "validate", "--format", "json").stdout)
    # names, paths and references agree; only "in the future" (`later` is not today) and no CODEOWNERS yet
    assert {f["code"] for f in report["findings"]} == {"CH811", "CH508"}, report["findings"]


def test_shift_dates_moves_dates_and_iso_weeks_and_leaves_look_alikes() -> None:
    week = timedelta(weeks=2)
    assert shift_dates("health-2026-11-16 at 2026-11-16T06:00:00Z", week) == \
        "health-2026-11-30 at 2026-11-30T06:00:00Z"
    assert shift_dates("week 2026-W52 and 2026-W52-3", week) == "week 2027-W01 and 2027-W01-3"  # 2026 has a W53
    assert shift_dates("CG-2026-014, 2026-13-45, 12026-11-16, v2025-10", week) == \
        "CG-2026-014, 2026-13-45, 12026-11-16, v2025-10"


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

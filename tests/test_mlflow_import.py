"""`charter import mlflow`: a team's MLflow registry becomes Charter versions, its aliases a reviewed proposal.

A real SQLite tracking store (tests/mlflow_store.py) with registered models, versions, aliases and a deprecated
stage; a `charter init` registry with a bare origin to push the proposal branch to. Nothing is mocked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import Charter, git
from tests.helpers import load_entry, no_traceback, repository_state
from tests.mlflow_store import log_training_run, register_model_version, sqlite_store

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def store(tmp_path: Path) -> str:
    """sepsis-risk with two versions (production → 1, staging → 2) and triage-score with one in stage Staging."""
    from mlflow import MlflowClient

    uri = sqlite_store(tmp_path)
    artifacts = tmp_path / "mlartifacts"
    first, second = log_training_run(uri, artifacts, seed=1), log_training_run(uri, artifacts, seed=2)
    register_model_version(uri, "sepsis-risk", first, description="Retrained on 2025 data.", alias="production")
    register_model_version(uri, "sepsis-risk", second, tags={"validated": "yes"}, alias="staging")
    triage = log_training_run(uri, artifacts, experiment="triage", seed=3)
    version = register_model_version(uri, "triage-score", triage)
    MlflowClient(uri, registry_uri=uri).transition_model_version_stage("triage-score", version, "Staging")
    return uri


def test_dry_run_prints_the_plan_and_changes_nothing(registry: Path, origin: Path, store: str,
                                                    charter: Charter) -> None:
    before = repository_state(registry)
    result = charter("-C", registry, "import", "mlflow", "--tracking-uri", store, "--dry-run", "--format", "json")
    no_traceback(result)
    assert result.code == 0, result
    plan = json.loads(result.stdout)
    assert plan["newModels"] == ["triage-score"]
    assert [(v["mlflowModel"], v["mlflowVersion"], v["action"]) for v in plan["versions"]] == [
        ("sepsis-risk", "1", "register"), ("sepsis-risk", "2", "register"), ("triage-score", "1", "register")]
    assert [(a["environment"], a["model"], a["from"], a["mlflowVersion"]) for a in plan["assignments"]] == [
        ("staging", "sepsis-risk", "alias staging", "2"), ("production", "sepsis-risk", "alias production", "1"),
        ("staging", "triage-score", "stage Staging", "1")]
    assert repository_state(registry) == before


def test_import_registers_versions_and_opens_the_aliases_as_one_proposal(
        registry: Path, origin: Path, store: str, charter: Charter) -> None:
    event = load_entry(registry, "models/sepsis-risk/versions/1.1.0.yaml")["spec"]["labelEvent"]
    result = charter("-C", registry, "import", "mlflow", "--tracking-uri", store, "--event", event)
    no_traceback(result)
    assert result.code == 0, result
    assert "registered 3 version(s); proposed 3 assignment(s)" in result.stdout

    model = load_entry(registry, "models/triage-score/model.yaml")
    assert model["spec"]["riskTier"] == "low" and model["metadata"]["status"] == "active"
    first = load_entry(registry, "models/sepsis-risk/versions/1.2.0.yaml")
    second = load_entry(registry, "models/sepsis-risk/versions/1.3.0.yaml")
    assert first["spec"]["provenance"]["run"]["registeredModel"] == {"name": "sepsis-risk", "version": "1"}
    assert second["spec"]["provenance"]["run"]["registeredModel"] == {"name": "sepsis-risk", "version": "2"}
    assert first["metadata"]["description"] == "Retrained on 2025 data."
    assert second["spec"]["provenance"]["run"]["tags"]["version.validated"] == "yes"
    assert first["spec"]["contract"] == "contract:sepsis-risk-serving@1.0.0"  # carried over from 1.1.0
    triage = load_entry(registry, "models/triage-score/versions/0.1.0.yaml")
    assert triage["spec"]["provenance"]["run"]["registeredModel"] == {"name": "triage-score", "version": "1"}
    assert triage["spec"]["labelEvent"] == event
    assert triage["spec"]["contract"] == "contract:triage-score-serving@0.1.0"  # drafted from the signature
    assert load_entry(registry, "contracts/triage-score-serving/0.1.0.yaml")["metadata"]["status"] == "draft"

    # the versions are on main, one commit each (and one for the new model); the assignments are not
    assert load_entry(registry, "environments/production.yaml")["spec"]["assignments"][0]["model"] == \
        "model:sepsis-risk@1.0.0"
    assert git(registry, "status", "--porcelain", "--untracked-files=all") == ""
    branches = git(origin, "branch", "--format=%(refname:short)").split()
    [branch] = [b for b in branches if b.startswith("charter/import-mlflow-")]
    proposed = yaml.safe_load(git(registry, "show", f"{branch}:environments/production.yaml"))
    assert {"model:sepsis-risk@1.2.0"} <= {a["model"] for a in proposed["spec"]["assignments"]}
    staging = yaml.safe_load(git(registry, "show", f"{branch}:environments/staging.yaml"))
    assert {"model:sepsis-risk@1.3.0", "model:triage-score@0.1.0"} <= {a["model"] for a in
                                                                       staging["spec"]["assignments"]}
    assert git(registry, "rev-list", "--count", f"main..{branch}").strip() == "1"  # one commit on the branch
    assert "| production | sepsis-risk | alias production → v1 | model:sepsis-risk@1.2.0 |" in result.stdout

    # a re-run: everything known, nothing registered, the day's proposal not opened twice
    again = charter("-C", registry, "import", "mlflow", "--tracking-uri", store, "--format", "json")
    no_traceback(again)
    assert again.code == 0, again
    plan = json.loads(again.stdout)
    assert {v["action"] for v in plan["versions"]} == {"known"}
    assert {v["ref"] for v in plan["versions"]} == {"model:sepsis-risk@1.2.0", "model:sepsis-risk@1.3.0",
                                                    "model:triage-score@0.1.0"}
    assert plan["proposal"] is None and plan["pendingBranch"] == branch


def test_a_rerun_imports_only_the_new_version(registry: Path, store: str, tmp_path: Path, charter: Charter) -> None:
    first = charter("-C", registry, "import", "mlflow", "--tracking-uri", store, "--model", "sepsis-risk",
                    "--no-push")
    assert first.code == 0, first
    head = git(registry, "rev-parse", "HEAD").strip()
    later = log_training_run(store, tmp_path / "mlartifacts", seed=9)
    register_model_version(store, "sepsis-risk", later)
    git(registry, "branch", "-D", *[b for b in git(registry, "branch", "--format=%(refname:short)").split()
                                    if b.startswith("charter/")])
    again = charter("-C", registry, "import", "mlflow", "--tracking-uri", store, "--model", "sepsis-risk",
                    "--no-push", "--format", "json")
    assert again.code == 0, again
    plan = json.loads(again.stdout)
    assert [v["action"] for v in plan["versions"]] == ["known", "known", "register"]
    assert plan["versions"][2]["ref"] == "model:sepsis-risk@1.4.0"
    assert git(registry, "rev-list", "--count", f"{head}..HEAD").strip() == "1"


def test_a_name_the_rules_refuse_is_exit_1_with_the_rule_and_rename_imports_it(
        registry: Path, tmp_path: Path, charter: Charter) -> None:
    uri = sqlite_store(tmp_path)
    run = log_training_run(uri, tmp_path / "mlartifacts")
    register_model_version(uri, "Sepsis Risk", run)
    before = repository_state(registry)
    refused = charter("-C", registry, "import", "mlflow", "--tracking-uri", uri)
    no_traceback(refused)
    assert refused.code == 1, refused
    assert "MLflow model name 'Sepsis Risk' is refused" in refused.stderr and "a-z, 0-9" in refused.stderr
    assert repository_state(registry) == before
    renamed = charter("-C", registry, "import", "mlflow", "--tracking-uri", uri, "--rename",
                      "Sepsis Risk=sepsis-risk", "--no-push", "--format", "json")
    assert renamed.code == 0, renamed
    assert json.loads(renamed.stdout)["versions"][0]["ref"] == "model:sepsis-risk@1.2.0"


def test_a_new_model_needs_its_label_event(registry: Path, store: str, charter: Charter) -> None:
    before = repository_state(registry)
    result = charter("-C", registry, "import", "mlflow", "--tracking-uri", store)
    no_traceback(result)
    assert result.code == 2 and "'triage-score' is new to Charter" in result.stderr, result
    assert repository_state(registry) == before


def test_a_missing_event_or_an_unusable_signature_is_refused_before_anything_is_written(
        registry: Path, store: str, tmp_path: Path, charter: Charter) -> None:
    before = repository_state(registry)
    unknown = charter("-C", registry, "import", "mlflow", "--tracking-uri", store, "--event", "event:nope@1.0.0")
    no_traceback(unknown)
    assert unknown.code == 2 and "no such event definition" in unknown.stderr, unknown
    assert repository_state(registry) == before

    unsigned = log_training_run(store, tmp_path / "mlartifacts", experiment="other", with_signature=False)
    register_model_version(store, "unsigned-score", unsigned)
    event = load_entry(registry, "models/sepsis-risk/versions/1.1.0.yaml")["spec"]["labelEvent"]
    refused = charter("-C", registry, "import", "mlflow", "--tracking-uri", store, "--event", event)
    no_traceback(refused)
    assert refused.code == 2 and "no signature with named input columns" in refused.stderr, refused
    assert repository_state(registry) == before  # not even the models before it were imported


def test_the_newest_version_in_a_stage_is_the_one_assigned(registry: Path, store: str, tmp_path: Path,
                                                          charter: Charter) -> None:
    from mlflow import MlflowClient

    later = register_model_version(store, "triage-score", log_training_run(store, tmp_path / "mlartifacts", seed=4))
    MlflowClient(store, registry_uri=store).transition_model_version_stage("triage-score", later, "Staging")
    result = charter("-C", registry, "import", "mlflow", "--tracking-uri", store, "--model", "triage-score",
                     "--dry-run", "--format", "json")
    assert result.code == 0, result
    [staging] = json.loads(result.stdout)["assignments"]
    assert (staging["from"], staging["mlflowVersion"]) == ("stage Staging", later)


def test_an_unknown_model_is_refused_and_nothing_is_written(registry: Path, store: str, charter: Charter) -> None:
    before = repository_state(registry)
    result = charter("-C", registry, "import", "mlflow", "--tracking-uri", store, "--model", "no-such-model")
    no_traceback(result)
    assert result.code == 2 and "has no such thing" in result.stderr, result
    assert repository_state(registry) == before

"""`charter sync mlflow`: MLflow's aliases serve exactly what the environment files decided.

A real MLflow throughout: a SQLite store with a local artifact root in tmp_path, read and written through MLflow's
own client, and one test through `mlflow server` on 127.0.0.1 behind a bearer-token gateway. Real git, real DVC.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from charter import Registry
from charter.adapters.mlflow.serving import MlflowModel, MlflowVersion
from charter.deployment.mlflow_sync import Wanted, find_version, plan_sync
from charter.deployment.resolve import Resolution
from charter.errors import MlflowUnreachable
from charter.registry.references import Reference
from tests.conftest import Charter, git
from tests.helpers import no_traceback, object_path, remote_folder
from tests.mlflow_store import free_port, log_training_run, mlflow_server, register_model_version, sqlite_store

MLFLOW_CONFIG = """\
  mlflow:
    aliases:
      staging: staging
      production: production
    unmanagedAliases: [challenger]
"""
PRODUCTION = "environments/production.yaml"
PROMOTED = "charter/promote-sepsis-risk-1.1.0-to-production"
TOKEN = "tok-4a7c1e-never-shown"
PASSWORD = "pw-93b2d0-never-shown"


@pytest.fixture(autouse=True)
def quiet_mlflow(monkeypatch: pytest.MonkeyPatch) -> None:
    """No telemetry from the test's own MLflow client, and no minutes of retries against a closed port."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)


@pytest.fixture
def governed(registry: Path) -> Path:
    """The example registry with production and staging mapped to MLflow aliases, committed."""
    config = registry / "registry.yaml"
    config.write_text(config.read_text() + MLFLOW_CONFIG)
    git(registry, "commit", "-qam", "serve production and staging through MLflow")
    return registry


@pytest.fixture
def store(tmp_path: Path) -> str:
    return sqlite_store(tmp_path)


def client(uri: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(uri, registry_uri=uri)


def aliases(uri: str, name: str) -> dict[str, str]:
    return {alias: str(version) for alias, version in client(uri).get_registered_model(name).aliases.items()}


def version_count(uri: str, name: str) -> int:
    return len(client(uri).search_model_versions(f"name = '{name}'"))


def charter_ref(uri: str, name: str, alias: str) -> str:
    return str(client(uri).get_model_version_by_alias(name, alias).tags["charter.ref"])


def recorded_md5(root: Path, name: str, version: str) -> str:
    spec = yaml.safe_load((root / f"models/{name}/versions/{version}.yaml").read_text())["spec"]
    return str(spec["artifact"]["hash"])


def served_md5(uri: str, name: str, alias: str, into: Path) -> str:
    """What a deploy system gets from `models:/NAME@ALIAS`: the md5 of the one file it downloads."""
    import mlflow

    folder = Path(mlflow.artifacts.download_artifacts(f"models:/{name}@{alias}", dst_path=str(into),
                                                      tracking_uri=uri))
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) == 1, files
    return hashlib.md5(files[0].read_bytes()).hexdigest()


def sync(charter: Charter, root: Path, uri: str, *args: str) -> dict[str, Any]:
    result = charter("-C", root, "sync", "mlflow", "--tracking-uri", uri, "--format", "json", *args)
    no_traceback(result)
    assert result.code == 0, result
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def actions(plan: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(a["model"], a["alias"]): a["action"] for a in plan["aliases"]}


# --- the first sync, and the next ones -----------------------------------------------------------------------------


def test_first_sync_registers_each_decided_version_and_serves_it_under_its_alias(
        governed: Path, store: str, charter: Charter, tmp_path: Path) -> None:
    plan = sync(charter, governed, store)
    assert plan["applied"] is True
    assert actions(plan) == {("card-fraud", "production"): "set", ("card-fraud", "staging"): "set",
                             ("sepsis-risk", "production"): "set", ("sepsis-risk", "staging"): "set"}
    assert sorted(plan["createModels"]) == ["card-fraud", "sepsis-risk"]
    assert {v["ref"]: v["found"] for v in plan["versions"]} == {
        "model:card-fraud@3.2.0": "register", "model:sepsis-risk@1.0.0": "register",
        "model:sepsis-risk@1.1.0": "register"}
    assert charter_ref(store, "sepsis-risk", "production") == "model:sepsis-risk@1.0.0"
    assert charter_ref(store, "sepsis-risk", "staging") == "model:sepsis-risk@1.1.0"
    assert version_count(store, "sepsis-risk") == 2 and version_count(store, "card-fraud") == 1
    # a deploy system loading models:/NAME@ALIAS gets exactly the governed bytes
    assert served_md5(store, "sepsis-risk", "production", tmp_path / "a") == recorded_md5(governed, "sepsis-risk",
                                                                                          "1.0.0")
    assert served_md5(store, "sepsis-risk", "staging", tmp_path / "b") == recorded_md5(governed, "sepsis-risk",
                                                                                       "1.1.0")
    assert served_md5(store, "card-fraud", "production", tmp_path / "c") == recorded_md5(governed, "card-fraud",
                                                                                         "3.2.0")
    # the upload went next to the store, not into the registry's work tree
    assert git(governed, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_second_sync_changes_nothing(governed: Path, store: str, charter: Charter) -> None:
    sync(charter, governed, store)
    before = aliases(store, "sepsis-risk"), version_count(store, "sepsis-risk")
    again = sync(charter, governed, store)
    assert again["changes"] == 0 and set(actions(again).values()) == {"unchanged"}
    assert {v["found"] for v in again["versions"]} == {"tagged"}
    assert (aliases(store, "sepsis-risk"), version_count(store, "sepsis-risk")) == before
    text = charter("-C", governed, "sync", "mlflow", "--tracking-uri", store)
    assert text.code == 0 and "already serves what was decided: no changes" in text.stdout


def test_a_promotion_and_its_rollback_move_the_alias(governed: Path, origin: Path, store: str,
                                                     charter: Charter) -> None:
    sync(charter, governed, store)
    first = aliases(store, "sepsis-risk")
    assert charter("-C", governed, "promote", "model:sepsis-risk@1.1.0", "--to", "production").code == 0
    git(governed, "merge", "-q", "--ff-only", PROMOTED)
    promoted = sync(charter, governed, store)
    assert actions(promoted)[("sepsis-risk", "production")] == "move"
    assert aliases(store, "sepsis-risk")["production"] == first["staging"]  # 1.1.0 was registered once only
    assert version_count(store, "sepsis-risk") == 2 and promoted["changes"] == 1

    assert charter("-C", governed, "rollback", "sepsis-risk", "--env", "production").code == 0
    git(governed, "merge", "-q", "--ff-only", "charter/rollback-sepsis-risk-1.0.0-to-production")
    rolled_back = sync(charter, governed, store)
    assert actions(rolled_back)[("sepsis-risk", "production")] == "move"
    assert aliases(store, "sepsis-risk") == first


def test_aliases_set_by_hand_are_moved_back_or_removed_and_unmanaged_ones_are_left(
        governed: Path, store: str, charter: Charter, tmp_path: Path) -> None:
    sync(charter, governed, store)
    decided = aliases(store, "sepsis-risk")
    mlflow = client(store)
    mlflow.set_registered_model_alias("sepsis-risk", "production", decided["staging"])  # someone "promoted" by hand
    mlflow.set_registered_model_alias("sepsis-risk", "hotfix", decided["staging"])
    mlflow.set_registered_model_alias("sepsis-risk", "challenger", decided["staging"])
    # a registered model Charter does not know is not governed: its aliases are not Charter's business
    register_model_version(store, "not-in-charter", log_training_run(store, tmp_path / "runs"), alias="hotfix")
    plan = sync(charter, governed, store)
    assert actions(plan)[("sepsis-risk", "production")] == "move"
    assert actions(plan)[("sepsis-risk", "hotfix")] == "remove"
    assert ("sepsis-risk", "challenger") not in actions(plan)
    assert aliases(store, "sepsis-risk") == {**decided, "challenger": decided["staging"]}
    assert aliases(store, "not-in-charter") == {"hotfix": "1"}
    assert "not-in-charter" not in {a["model"] for a in plan["aliases"]}


def test_a_model_taken_out_of_an_environment_loses_its_alias(governed: Path, store: str, charter: Charter) -> None:
    sync(charter, governed, store)
    staging = governed / "environments/staging.yaml"
    text = staging.read_text()
    block = text[text.index("    - model: model:card-fraud@3.2.0"):]
    staging.write_text(text.replace(block, ""))
    git(governed, "commit", "-qam", "card-fraud leaves staging")
    plan = sync(charter, governed, store)
    assert actions(plan)[("card-fraud", "staging")] == "remove"
    assert aliases(store, "card-fraud") == {"production": "1"}
    # out of every mapped environment: still governed (MLflow has it under a Charter name), so it loses them all
    production = governed / PRODUCTION
    text = production.read_text()
    production.write_text(text.replace(text[text.index("    - model: model:card-fraud@3.2.0"):], ""))
    git(governed, "commit", "-qam", "card-fraud leaves production")
    plan = sync(charter, governed, store)
    assert actions(plan)[("card-fraud", "production")] == "remove"
    assert aliases(store, "card-fraud") == {} and version_count(store, "card-fraud") == 1


def test_dry_run_shows_the_changes_and_makes_none(governed: Path, store: str, charter: Charter) -> None:
    plan = sync(charter, governed, store, "--dry-run")
    assert plan["applied"] is False and plan["changes"] == 9  # 2 models, 3 versions, 4 aliases
    assert client(store).search_registered_models() == []
    result = charter("-C", governed, "sync", "mlflow", "--tracking-uri", store, "--dry-run")
    assert result.code == 0 and "set (dry run)" in result.stdout and "would make 9 changes in MLflow" in result.stdout
    sync(charter, governed, store)
    client(store).set_registered_model_alias("sepsis-risk", "production", aliases(store, "sepsis-risk")["staging"])
    moved = aliases(store, "sepsis-risk")
    assert actions(sync(charter, governed, store, "--dry-run"))[("sepsis-risk", "production")] == "move"
    assert aliases(store, "sepsis-risk") == moved


# --- finding the version MLflow already has -------------------------------------------------------------------------


def test_a_version_from_a_training_run_is_found_by_its_run_and_tagged(
        governed: Path, store: str, charter: Charter, tmp_path: Path) -> None:
    run = log_training_run(store, tmp_path / "artifacts")
    number = register_model_version(store, "sepsis-risk", run)
    path = governed / "models/sepsis-risk/versions/1.0.0.yaml"
    document = yaml.safe_load(path.read_text())
    document["spec"]["provenance"]["run"] = {"tracker": "mlflow", "trackingUri": store, "runId": run.run_id,
                                             "experimentId": run.experiment_id, "modelUri": run.model_uri}
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    plan = sync(charter, governed, store, "--model", "sepsis-risk")
    steps = {v["ref"]: v for v in plan["versions"]}
    assert steps["model:sepsis-risk@1.0.0"] == {"model": "sepsis-risk", "ref": "model:sepsis-risk@1.0.0",
                                                "found": "run", "mlflowVersion": number, "tag": True}
    assert aliases(store, "sepsis-risk")["production"] == number
    assert charter_ref(store, "sepsis-risk", "production") == "model:sepsis-risk@1.0.0"
    assert {v["found"] for v in sync(charter, governed, store)["versions"]} == {"tagged", "register"}


def test_a_version_is_found_by_tag_first_then_by_run(registry: Path) -> None:
    path = registry / "models/sepsis-risk/versions/1.0.0.yaml"
    document = yaml.safe_load(path.read_text())
    document["spec"]["provenance"]["run"] = {
        "tracker": "mlflow", "trackingUri": "https://mlflow.example.org", "runId": "r1",
        "registeredModel": {"name": "sepsis-risk", "version": "5"}}
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    doc = Registry(registry).index.get(Reference("model", "sepsis-risk", "1.0.0"))
    assert doc is not None
    other_run = MlflowVersion("2", run_id="r0", source="models:/m-0")
    of_run = MlflowVersion("3", run_id="r1", source="models:/m-1")
    of_run_pinned = MlflowVersion("5", run_id="r1", source="models:/m-1")
    claimed = MlflowVersion("6", run_id="r1", tags={"charter.ref": "model:sepsis-risk@1.1.0"})
    tagged = MlflowVersion("4", tags={"charter.ref": "model:sepsis-risk@1.0.0"})
    everything = (other_run, of_run, of_run_pinned, claimed, tagged)
    assert find_version(MlflowModel("sepsis-risk", everything), doc) == ("tagged", tagged)
    assert find_version(MlflowModel("sepsis-risk", everything[:4]), doc) == ("run", of_run_pinned)
    assert find_version(MlflowModel("sepsis-risk", everything[:2]), doc) == ("run", of_run)
    # a version number alone may be another server's: without the run's id or model it is not this version
    assert find_version(MlflowModel("sepsis-risk", (MlflowVersion("5"), claimed)), doc) == ("register", None)
    assert find_version(None, doc) == ("register", None)


def test_the_plan_of_two_versions_of_one_run_and_of_aliases_nobody_decided(registry: Path) -> None:
    """Pure planning: one MLflow version is never claimed by two Charter versions; undecided aliases go."""
    for version in ("1.0.0", "1.1.0"):
        path = registry / f"models/sepsis-risk/versions/{version}.yaml"
        document = yaml.safe_load(path.read_text())
        document["spec"]["provenance"]["run"] = {"tracker": "mlflow", "trackingUri": "https://mlflow.example.org",
                                                 "runId": "r1"}
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    index = Registry(registry).index
    wanted = [Wanted("sepsis-risk", env, env, Resolution(doc, env, "full", None))
              for env, doc in (("production", index.get("model:sepsis-risk@1.0.0")),
                               ("staging", index.get("model:sepsis-risk@1.1.0"))) if doc is not None]
    mlflow = MlflowModel("sepsis-risk", (MlflowVersion("3", run_id="r1"),),
                         {"production": "3", "hotfix": "3", "challenger": "3"})
    plan = plan_sync(wanted, {"sepsis-risk": mlflow}, ["challenger"], "https://mlflow.example.org")
    assert [(s.ref, s.how, s.mlflow_version, s.tag) for s in plan.versions] == [
        ("model:sepsis-risk@1.0.0", "run", "3", True), ("model:sepsis-risk@1.1.0", "register", None, False)]
    assert [(a.alias, a.action, a.before, a.after) for a in plan.aliases] == [
        ("hotfix", "remove", "3", None), ("production", "unchanged", "3", "3"), ("staging", "set", None, None)]
    assert plan.create_models == () and plan.changes == 4  # tag, register, remove, set


def test_a_tagged_version_with_other_bytes_is_refused(governed: Path, store: str, charter: Charter) -> None:
    sync(charter, governed, store)
    number = aliases(store, "sepsis-risk")["production"]
    client(store).set_model_version_tag("sepsis-risk", number, "charter.md5", "0" * 32)
    result = charter("-C", governed, "sync", "mlflow", "--tracking-uri", store)
    no_traceback(result)
    assert result.code == 2 and f"MLflow version {number} of sepsis-risk is tagged model:sepsis-risk@1.0.0" \
        in result.stderr


# --- errors: one line, exit 2, nothing changed ------------------------------------------------------------------------


def test_an_unreachable_server_is_one_line_and_no_credential_is_shown(
        governed: Path, charter: Charter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    uri = f"http://user:{PASSWORD}@127.0.0.1:{free_port()}"
    result = charter("-C", governed, "sync", "mlflow", "--tracking-uri", uri)
    no_traceback(result)
    assert result.code == 2, result
    assert result.stderr.startswith("error: could not ") and "cannot be reached" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
    assert PASSWORD not in result.stdout + result.stderr and TOKEN not in result.stdout + result.stderr


def test_an_artifact_that_cannot_be_fetched_changes_nothing_in_mlflow(governed: Path, store: str,
                                                                      charter: Charter) -> None:
    # as a fresh CI checkout of a registry whose 1.1.0 was never pushed: in no work tree, cache or remote
    digest = recorded_md5(governed, "sepsis-risk", "1.1.0")
    for where in (remote_folder(governed), governed / ".dvc" / "cache"):
        object_path(where, digest).unlink()
    (governed / "artifacts/sepsis-risk/1.1.0/model.onnx").unlink()
    result = charter("-C", governed, "sync", "mlflow", "--tracking-uri", store)
    no_traceback(result)
    assert result.code == 2, result
    assert "cannot register model:sepsis-risk@1.1.0 in MLflow" in result.stderr
    assert client(store).search_registered_models() == []


def test_unknown_model_and_missing_configuration_are_errors(governed: Path, registry: Path, store: str,
                                                             charter: Charter, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    unknown = charter("-C", governed, "sync", "mlflow", "--tracking-uri", store, "--model", "sepsis-risc")
    assert unknown.code == 2 and "'sepsis-risc' is not a model of this registry" in unknown.stderr
    git(governed, "checkout", "-q", "HEAD~1", "--", "registry.yaml")
    unconfigured = charter("-C", governed, "sync", "mlflow", "--tracking-uri", store)
    assert unconfigured.code == 2 and "maps no environment to an MLflow alias" in unconfigured.stderr
    git(governed, "checkout", "-q", "HEAD", "--", "registry.yaml")
    no_uri = charter("-C", governed, "sync", "mlflow")
    assert no_uri.code == 2 and "MLFLOW_TRACKING_URI" in no_uri.stderr
    no_traceback(unknown, unconfigured, no_uri)


def test_the_configuration_is_validated(governed: Path, charter: Charter) -> None:
    config = governed / "registry.yaml"
    config.write_text(config.read_text().replace(
        "    aliases:\n", f"    trackingUri: https://ci:{PASSWORD}@mlflow.example.org\n    aliases:\n      qa: qa\n"
        "      dev: challenger\n"))
    result = charter("-C", governed, "validate", "registry.yaml", "--format", "json")
    assert result.code == 1
    codes = sorted(f["code"] for f in json.loads(result.stdout)["findings"])
    assert codes == ["CH509", "CH510", "CH511"]
    assert PASSWORD not in result.stdout
    config.write_text(config.read_text().replace("qa: qa", "qa: latest"))
    reserved = json.loads(charter("-C", governed, "validate", "registry.yaml", "--format", "json").stdout)
    schema = [f for f in reserved["findings"] if f["code"].startswith("CH2")]
    assert len(schema) == 1 and schema[0]["message"].startswith("spec.mlflow.aliases.qa: 'latest'")
    assert "MLflow reserves" in schema[0]["hint"]


# --- the Python API, and a real tracking server behind a token --------------------------------------------------------


def test_the_python_api_returns_the_plan_with_the_uri_of_registry_yaml(governed: Path, store: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = governed / "registry.yaml"
    config.write_text(config.read_text().replace("    aliases:\n", f"    trackingUri: {store}\n    aliases:\n"))
    plan = Registry(governed).sync_mlflow(dry_run=True)
    assert not plan.applied and plan.changes == 9 and plan.tracking_uri == store
    assert {(a.model, a.alias, a.after_ref) for a in plan.aliases} == {
        ("card-fraud", "production", "model:card-fraud@3.2.0"), ("card-fraud", "staging", "model:card-fraud@3.2.0"),
        ("sepsis-risk", "production", "model:sepsis-risk@1.0.0"),
        ("sepsis-risk", "staging", "model:sepsis-risk@1.1.0")}
    # the environment's URI comes before registry.yaml's, and the command line's before both
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    assert Registry(governed).sync_mlflow(store, dry_run=True).tracking_uri == store
    with pytest.raises(MlflowUnreachable):
        Registry(governed).sync_mlflow(dry_run=True)


def test_sync_through_a_tracking_server_with_a_token(governed: Path, tmp_path: Path, run_charter: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with mlflow_server(tmp_path, token=TOKEN) as server:
        url = server.url
        monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
        first = run_charter("sync", "mlflow", cwd=governed)
        again = run_charter("sync", "mlflow", "--format", "json", cwd=governed)
        served = aliases(url, "sepsis-risk")
        production = client(url).get_model_version_by_alias("sepsis-risk", "production")
        assert server.refused == []
        monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
        refused = run_charter("sync", "mlflow", cwd=governed)
        assert server.refused != []  # the gateway did check the token
    assert first.returncode == 0, first
    assert "made 9 changes in MLflow at " + url in first.stdout
    assert json.loads(again.stdout)["changes"] == 0
    assert set(served) == {"production", "staging"}
    assert production.tags["charter.ref"] == "model:sepsis-risk@1.0.0"
    assert production.tags["charter.md5"] == recorded_md5(governed, "sepsis-risk", "1.0.0")
    assert refused.returncode == 2 and refused.stderr.count("error:") == 1 and "Traceback" not in refused.stderr
    for result in (first, again, refused):
        assert TOKEN not in result.stdout + result.stderr
    assert os.environ.get("MLFLOW_TRACKING_TOKEN") is None

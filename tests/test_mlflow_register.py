"""`charter register --mlflow-run`: a run MLflow recorded becomes a model version, its logged model in DVC.

Everything is real: a SQLite tracking store written through MLflow's own client (tests/mlflow_store.py), a
scikit-learn model logged with a signature and a dataset input, and for the REST path `mlflow server` on
127.0.0.1 behind a gateway that wants a bearer token. A failed registration leaves the registry as it was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from charter.adapters.mlflow.runs import typed_param
from charter.adapters.mlflow.tracking import redact_uri
from tests.conftest import Charter, git
from tests.helpers import load_entry, md5, no_traceback, object_path, remote_folder, repository_state
from tests.mlflow_store import (
    SOURCE_COMMIT,
    LoggedRun,
    Server,
    free_port,
    log_training_run,
    mlflow_server,
    sqlite_store,
)

pytestmark = pytest.mark.filterwarnings("ignore")
SERVER_TOKEN = "mlflow-tok-7f3a9c21"
NEXT = "models/sepsis-risk/versions/1.2.0.yaml"


def everything_in(root: Path) -> str:
    """Every file's text in the registry, .git included, and the whole history: where a secret must not be."""
    texts = [p.read_bytes().decode("latin-1") for p in root.rglob("*") if p.is_file()]
    return "\n".join(texts) + git(root, "log", "--all", "-p")


@pytest.fixture
def store(tmp_path: Path) -> str:
    return sqlite_store(tmp_path)


@pytest.fixture
def run(store: str, tmp_path: Path) -> LoggedRun:
    return log_training_run(store, tmp_path / "mlartifacts")


# --- from a SQLite store ----------------------------------------------------------------------------------------------


def test_a_run_becomes_a_version_with_its_params_metrics_source_datasets_and_model(
        registry: Path, store: str, run: LoggedRun, charter: Charter) -> None:
    before = git(registry, "rev-parse", "HEAD").strip()
    result = charter("-C", registry, "register", "sepsis-risk", "--mlflow-run", run.run_id, "--tracking-uri", store)
    no_traceback(result)
    assert result.code == 0, result
    assert "registered model:sepsis-risk@1.2.0" in result.stdout

    spec = load_entry(registry, NEXT)["spec"]
    assert spec["artifact"]["format"] == "mlflow"
    assert spec["artifact"]["path"] == "artifacts/sepsis-risk/1.2.0/model"
    model_folder = registry / "artifacts/sepsis-risk/1.2.0/model"
    assert (model_folder / "MLmodel").is_file() and (model_folder / "model.skops").is_file()
    provenance = spec["provenance"]
    assert provenance["run"] == {
        "tracker": "mlflow", "trackingUri": store, "runId": run.run_id, "experimentId": run.experiment_id,
        "modelUri": run.model_uri, "paramStrings": {"C": "0.5", "fit_intercept": "True", "max_iter": "200"},
        "metricSteps": {"auroc": 2, "brier": 0}, "tags": {"team": "sepsis"}}
    # typed only where the string reads one way; the rest stay as MLflow kept them
    assert provenance["params"] == {"C": 0.5, "max_iter": 200, "fit_intercept": True, "penalty": "l2",
                                    "zip_code_width": "007", "learning_rate_text": "0.050", "scale": "1e3"}
    assert spec["metrics"] == {"auroc": 0.83, "brier": 0.09}  # the last step's value, not the first
    assert provenance["codeRepo"] == "https://git.example.org/acme/sepsis-models.git"  # the password is gone
    assert provenance["commit"] == SOURCE_COMMIT and "dirty" not in provenance  # MLflow does not know
    assert provenance["entryPoint"] == "train.py"
    assert provenance["datasets"][0] == {
        "name": "sepsis-train-2025", "version": provenance["datasets"][0]["version"],
        "uri": "s3://example-health/datasets/sepsis/2025-06-30.parquet", "context": "training"}
    assert re.fullmatch(r"[0-9a-f]{8,}", provenance["datasets"][0]["version"])  # MLflow's digest of the data
    assert provenance["datasets"][1]["name"] == "sepsis-adult-inpatients-train"  # the carried-over cohort's too
    assert provenance["environment"]["packages"]["scikit-learn"]  # from the model's requirements, not this machine
    assert spec["contract"] == load_entry(registry, "models/sepsis-risk/versions/1.1.0.yaml")["spec"]["contract"]

    # one commit: version, pointer, .gitignore; the files pushed to the DVC remote
    assert git(registry, "rev-parse", "HEAD~1").strip() == before
    assert sorted(git(registry, "diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD").split()) == [
        "artifacts/sepsis-risk/1.2.0/.gitignore", "artifacts/sepsis-risk/1.2.0/model.dvc", NEXT]
    assert f"mlflow run: {run.run_id}" in git(registry, "log", "-1", "--format=%B")
    assert git(registry, "status", "--porcelain", "--untracked-files=all") == ""
    assert object_path(remote_folder(registry), md5(model_folder / "MLmodel")).is_file()
    assert "hunter2" not in everything_in(registry)

    validated = charter("-C", registry, "validate", "--check-artifacts")
    assert validated.code == 0, validated


def test_the_python_api_registers_from_a_run(registry: Path, store: str, run: LoggedRun) -> None:
    import charter

    reference = charter.Registry(registry).register("sepsis-risk", mlflow_run=run.run_id, tracking_uri=store,
                                                    version="2.0.0")
    assert reference == "model:sepsis-risk@2.0.0"
    assert load_entry(registry, "models/sepsis-risk/versions/2.0.0.yaml")["spec"]["provenance"]["run"]["runId"] == \
        run.run_id


def test_the_signature_drafts_the_contract_of_a_version_without_one(
        registry: Path, store: str, run: LoggedRun, charter: Charter) -> None:
    created = charter("-C", registry, "new", "model", "triage-score")
    assert created.code == 0, created
    git(registry, "add", "-A")
    git(registry, "commit", "-q", "-m", "New model triage-score")
    parent = load_entry(registry, "models/sepsis-risk/versions/1.1.0.yaml")["spec"]  # a high-risk model needs cohorts
    result = charter("-C", registry, "register", "triage-score", "--mlflow-run", run.run_id, "--tracking-uri", store,
                     "--contract-from-signature", "--event", parent["labelEvent"],
                     "--cohort", parent["trainingCohorts"][0], "--validation-cohort", parent["validationCohorts"][0])
    no_traceback(result)
    assert "Downloading" not in result.stdout + result.stderr  # MLflow's progress bars stay out of the output
    assert result.code == 0, result
    version = load_entry(registry, "models/triage-score/versions/0.1.0.yaml")
    assert version["spec"]["contract"] == "contract:triage-score-serving@0.1.0"
    contract = load_entry(registry, "contracts/triage-score-serving/0.1.0.yaml")
    assert contract["metadata"]["status"] == "draft"
    assert contract["spec"]["model"] == "model:triage-score"
    assert [(f["name"], f["type"], f["required"]) for f in contract["spec"]["input"]["fields"]] == [
        ("age", "number", True), ("lactate", "number", True), ("icu_admission", "boolean", True)]
    assert "contracts/triage-score-serving/0.1.0.yaml" in git(registry, "show", "--name-only", "--format=", "HEAD")
    assert git(registry, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_carried_over_contract_is_kept_and_no_draft_is_written(
        registry: Path, store: str, run: LoggedRun, charter: Charter) -> None:
    result = charter("-C", registry, "register", "sepsis-risk", "--mlflow-run", run.run_id, "--tracking-uri", store,
                     "--contract-from-signature")
    assert result.code == 0, result
    assert load_entry(registry, NEXT)["spec"]["contract"] == "contract:sepsis-risk-serving@1.0.0"
    assert not (registry / "contracts/sepsis-risk-serving/sepsis-risk-serving").exists()
    assert git(registry, "show", "--name-only", "--format=", "HEAD").count("contracts/") == 0


# --- refusals: one line, exit 2, nothing written ------------------------------------------------------------------


def refused(charter: Charter, registry: Path, *args: str | Path, code: int = 2) -> str:
    before = repository_state(registry)
    result = charter("-C", registry, "register", "sepsis-risk", *args)
    no_traceback(result)
    assert result.code == code, result
    assert repository_state(registry) == before
    assert not (registry / NEXT).exists()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error:"), result
    return result.stderr


def test_an_unknown_run_is_refused(registry: Path, store: str, run: LoggedRun, charter: Charter) -> None:
    said = refused(charter, registry, "--mlflow-run", "0" * 32, "--tracking-uri", store)
    assert "has no such thing" in said and "0" * 32 in said


def test_a_run_without_a_logged_model_is_refused(registry: Path, store: str, tmp_path: Path,
                                                 charter: Charter) -> None:
    bare = log_training_run(store, tmp_path / "mlartifacts", with_model=False)
    said = refused(charter, registry, "--mlflow-run", bare.run_id, "--tracking-uri", store)
    assert f"MLflow run {bare.run_id}" in said and "logged no model" in said


def test_a_signature_is_needed_to_draft_a_contract(registry: Path, store: str, tmp_path: Path,
                                                   charter: Charter) -> None:
    created = charter("-C", registry, "new", "model", "triage-score")
    assert created.code == 0
    git(registry, "add", "-A")
    git(registry, "commit", "-q", "-m", "New model triage-score")
    unsigned = log_training_run(store, tmp_path / "mlartifacts", with_signature=False)
    before = repository_state(registry)
    result = charter("-C", registry, "register", "triage-score", "--mlflow-run", unsigned.run_id,
                     "--tracking-uri", store, "--contract-from-signature")
    assert result.code == 2 and "no signature with named input columns" in result.stderr, result
    assert repository_state(registry) == before


def test_an_unreachable_server_is_one_line_without_the_password(registry: Path, charter: Charter) -> None:
    uri = f"http://reader:pa55word-x9@127.0.0.1:{free_port()}"
    said = refused(charter, registry, "--mlflow-run", "a" * 32, "--tracking-uri", uri)
    assert "cannot be reached" in said and "pa55word-x9" not in said and "reader" not in said


@pytest.mark.parametrize("args", [
    ("--artifact", "model.onnx", "--mlflow-run", "abc"),
    (),
])
def test_artifact_or_run_but_not_both(args: tuple[str, ...], registry: Path, charter: Charter) -> None:
    assert "either --artifact or --mlflow-run" in refused(charter, registry, *args)


def test_no_tracking_uri_is_refused(registry: Path, charter: Charter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert "no MLflow tracking URI" in refused(charter, registry, "--mlflow-run", "abc")


def test_the_tracking_uri_comes_from_the_environment(registry: Path, store: str, run: LoggedRun, charter: Charter,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    result = charter("-C", registry, "register", "sepsis-risk", "--mlflow-run", run.run_id)
    assert result.code == 0, result


def test_a_model_logged_as_run_artifacts_comes_down_whole_with_its_folders(
        registry: Path, store: str, tmp_path: Path, charter: Charter) -> None:
    """Runs from before MLflow 3 keep the model as run artifacts (`runs:/ID/model`), named by a history tag."""
    import json

    import mlflow

    files = tmp_path / "legacy" / "model"
    (files / "weights").mkdir(parents=True)
    (files / "MLmodel").write_text("flavors:\n  python_function:\n    python_version: 3.11.7\n")
    (files / "weights" / "layer0.bin").write_bytes(b"\x01" * 2048)
    mlflow.set_tracking_uri(store)
    try:
        experiment = mlflow.create_experiment("legacy", artifact_location=(tmp_path / "legacy-art").as_uri())
        with mlflow.start_run(experiment_id=experiment) as run:
            mlflow.log_artifacts(str(files), artifact_path="model")
            mlflow.set_tag("mlflow.log-model.history", json.dumps([{"artifact_path": "model"}]))
    finally:
        mlflow.set_tracking_uri("")
    result = charter("-C", registry, "register", "sepsis-risk", "--mlflow-run", run.info.run_id,
                     "--tracking-uri", store)
    no_traceback(result)
    assert result.code == 0, result
    copied = registry / "artifacts/sepsis-risk/1.2.0/model/weights/layer0.bin"
    assert copied.read_bytes() == b"\x01" * 2048
    spec = load_entry(registry, NEXT)["spec"]
    assert spec["provenance"]["run"]["modelUri"] == f"runs:/{run.info.run_id}/model"
    assert spec["provenance"]["environment"]["python"] == "3.11.7"


# --- the REST path: mlflow server behind a token ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with mlflow_server(tmp_path_factory.mktemp("server"), token=SERVER_TOKEN) as running:
        yield running


@pytest.fixture
def served_run(server: Server, monkeypatch: pytest.MonkeyPatch) -> LoggedRun:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", SERVER_TOKEN)
    return log_training_run(server.url, None)


def test_through_mlflow_server_with_a_token(registry: Path, server: Server, served_run: LoggedRun,
                                            charter: Charter) -> None:
    result = charter("-C", registry, "register", "sepsis-risk", "--mlflow-run", served_run.run_id,
                     "--tracking-uri", server.url)
    no_traceback(result)
    assert result.code == 0, result
    run_block = load_entry(registry, NEXT)["spec"]["provenance"]["run"]
    assert run_block["trackingUri"] == server.url and run_block["runId"] == served_run.run_id
    assert SERVER_TOKEN not in everything_in(registry) + result.stdout + result.stderr


def test_a_wrong_token_is_refused_without_printing_it(registry: Path, server: Server, served_run: LoggedRun,
                                                      charter: Charter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "wrong-token-5521")
    said = refused(charter, registry, "--mlflow-run", served_run.run_id, "--tracking-uri", server.url)
    assert "UNAUTHENTICATED" in said and "wrong-token-5521" not in said
    assert server.refused


def test_a_download_cut_short_registers_nothing(registry: Path, server: Server, served_run: LoggedRun,
                                                charter: Charter) -> None:
    server.cut_downloads = True
    try:
        said = refused(charter, registry, "--mlflow-run", served_run.run_id, "--tracking-uri", server.url)
    finally:
        server.cut_downloads = False
    assert "download the model" in said or "incomplete" in said


# --- the parts ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "typed"), [
    ("100", 100), ("-3", -3), ("0", 0), ("0.05", 0.05), ("-1.5", -1.5), ("True", True), ("false", False),
    ("007", "007"), ("0.050", "0.050"), ("1e3", "1e3"), ("1.", "1."), (".5", ".5"), ("nan", "nan"),
    ("inf", "inf"), ("None", "None"), ("", ""), ("l2", "l2"), ("1_000", "1_000"), (" 1", " 1"),
])
def test_params_are_typed_only_where_they_read_one_way(text: str, typed: object) -> None:
    value = typed_param(text)
    assert value == typed and type(value) is type(typed)


@pytest.mark.parametrize(("uri", "shown"), [
    ("https://user:pw@mlflow.example.org/path", "https://mlflow.example.org/path"),
    ("https://mlflow.example.org:8443/?token=abc&x=1", "https://mlflow.example.org:8443/?x=1"),
    ("sqlite:////tmp/a/mlflow.db", "sqlite:////tmp/a/mlflow.db"),
    ("databricks", "databricks"),
    ("http://[::1]:5000", "http://[::1]:5000"),
    ("http://u:p@[::1]:5000", "http://[::1]:5000"),
    ("https://b.s3.amazonaws.com/d.parquet?X-Amz-Credential=AKIA&X-Amz-Signature=ab12&X-Amz-Security-Token=t&v=2",
     "https://b.s3.amazonaws.com/d.parquet?v=2"),
    ("https://acct.blob.core.windows.net/c/f?sas_token=zz", "https://acct.blob.core.windows.net/c/f"),
    ("http://host:notaport/x?token=1", "(a URI that does not parse)"),
])
def test_redacted_uris_keep_no_credential(uri: str, shown: str) -> None:
    assert redact_uri(uri) == shown


def test_the_register_command_does_not_import_mlflow_without_a_run(registry: Path) -> None:
    from tests.helpers import imported

    modules = imported("register", "--help", cwd=registry, env={**os.environ})
    assert not [m for m in modules if m == "mlflow" or m.startswith("mlflow.")]

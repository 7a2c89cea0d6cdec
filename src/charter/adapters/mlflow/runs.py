"""What an MLflow run recorded, in Charter's terms: typed params, last metrics, source, datasets, its logged model.

MLflow keeps params as strings. A string is typed only where it reads one way: an integer (`100`, not `007`), a
decimal that prints back the same (`0.05`, not `0.050` or `1e3`), or `true`/`false` in any case; the string itself
is kept beside the typed value, so nothing the run logged is lost.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from charter.adapters.mlflow.tracking import Tracking, calling, redact_uri
from charter.errors import ModelDownloadIncomplete, RunHasNoModel, RunHasSeveralModels

#: Tags MLflow sets itself; they become fields (commit, repository, entry point), not tags.
SYSTEM_TAG_PREFIX = "mlflow."
_INTEGER = re.compile(r"^-?(0|[1-9][0-9]*)$")
_DECIMAL = re.compile(r"^-?(0|[1-9][0-9]*)\.[0-9]+$")
_BOOLEAN = {"true": True, "false": False}
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
#: definitions.json's metricName: MLflow allows more (`val loss`, `_x`), and those stay in MLflow.
METRIC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.@/:-]*$")


def typed_param(text: str) -> str | int | float | bool:
    """`text` as the number or boolean it unambiguously is, else the string unchanged."""
    if _INTEGER.match(text):
        return int(text)
    if _DECIMAL.match(text):
        number = float(text)
        if math.isfinite(number) and repr(number) == text:
            return number
    return _BOOLEAN.get(text.lower(), text) if text.lower() in _BOOLEAN else text


@dataclass(frozen=True)
class LoggedModel:
    """A model the run logged: the URI MLflow loads it by, and its name within the run."""

    uri: str
    name: str
    model_id: str | None = None


@dataclass
class TrackedRun:
    """One MLflow run as Charter records it; `params` are typed, `param_strings` the originals that were typed."""

    run_id: str
    experiment_id: str
    tracking_uri: str
    params: dict[str, Any] = field(default_factory=dict)
    param_strings: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    metric_steps: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    commit: str | None = None
    repository: str | None = None
    entry_point: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    datasets: list[dict[str, str]] = field(default_factory=list)
    models: list[LoggedModel] = field(default_factory=list)

    def model(self, name: str | None = None) -> LoggedModel:
        """The logged model to register: the only one, or the one named."""
        chosen = [m for m in self.models if name is None or m.name == name]
        if not chosen:
            raise RunHasNoModel(run_id=self.run_id, uri=self.tracking_uri)
        if len(chosen) > 1:
            raise RunHasSeveralModels(run_id=self.run_id, uri=self.tracking_uri, count=len(chosen),
                                      names=", ".join(sorted(m.name for m in chosen)))
        return chosen[0]


def _instant(milliseconds: int | None) -> str | None:
    if not milliseconds:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def read_run(tracking: Tracking, run_id: str) -> TrackedRun:
    """Everything Charter records of run `run_id`; one clear error when the run is unknown or the store fails."""
    client = tracking.client
    with calling(tracking, f"read MLflow run {run_id}"):
        run = client.get_run(run_id)
        histories = {key: client.get_metric_history(run_id, key) for key in sorted(run.data.metrics)}
        models = _logged_models(client, run)
    found = TrackedRun(run_id=run.info.run_id, experiment_id=str(run.info.experiment_id),
                       tracking_uri=tracking.shown_uri)
    for key, text in sorted(run.data.params.items()):
        value = typed_param(text)
        found.params[key] = value
        if not isinstance(value, str):
            found.param_strings[key] = text
    for key, history in histories.items():
        if not history:
            continue
        last = max(history, key=lambda m: (m.step, m.timestamp))
        if math.isfinite(last.value) and METRIC_NAME.match(key):  # a name the schema refuses is left in MLflow
            found.metrics[key] = last.value
            found.metric_steps[key] = int(last.step)
    tags = run.data.tags
    found.tags = {k: tracking.scrub(v) for k, v in sorted(tags.items()) if not k.startswith(SYSTEM_TAG_PREFIX)}
    commit = tags.get("mlflow.source.git.commit", "")
    found.commit = commit if _COMMIT.match(commit) else None
    repository = tags.get("mlflow.source.git.repoURL") or tags.get("mlflow.gitRepoURL")
    found.repository = redact_uri(repository) if repository else None
    entry_point = tags.get("mlflow.source.name")  # a project's git URI, for MLflow Projects: it may carry a token
    found.entry_point = tracking.scrub(redact_uri(entry_point)) if entry_point else None
    found.started_at, found.finished_at = _instant(run.info.start_time), _instant(run.info.end_time)
    found.datasets = [_dataset(d, tracking) for d in (run.inputs.dataset_inputs if run.inputs else [])]
    found.models = models
    return found


def _dataset(dataset_input: Any, tracking: Tracking) -> dict[str, str]:
    dataset = dataset_input.dataset
    entry = {"name": dataset.name, "version": dataset.digest}
    uri = _source_uri(dataset.source)
    if uri:
        entry["uri"] = tracking.scrub(redact_uri(uri))
    context = next((t.value for t in dataset_input.tags if t.key == "mlflow.data.context"), None)
    if context:
        entry["context"] = context
    return entry


def _source_uri(source: str) -> str | None:
    """The location in a dataset's source: MLflow writes JSON (`{"uri": ...}`, `{"url": ...}`, `{"path": ...}`)."""
    try:
        parsed = json.loads(source)
    except (TypeError, ValueError):
        return source or None
    if isinstance(parsed, dict):
        for key in ("uri", "url", "path", "table_name"):
            if isinstance(parsed.get(key), str) and parsed[key]:
                return str(parsed[key])
    return None


def _logged_models(client: Any, run: Any) -> list[LoggedModel]:
    """MLflow 3 keeps logged models as their own entities (`models:/ID`); older runs kept them as run artifacts."""
    models: list[LoggedModel] = []
    outputs = run.outputs.model_outputs if getattr(run, "outputs", None) else []
    for output in outputs or []:
        logged = client.get_logged_model(output.model_id)
        models.append(LoggedModel(uri=f"models:/{output.model_id}", name=logged.name, model_id=output.model_id))
    if models:
        return models
    history = run.data.tags.get("mlflow.log-model.history")
    for item in json.loads(history) if history else []:
        path = item.get("artifact_path")
        if isinstance(path, str) and path not in {m.name for m in models}:
            models.append(LoggedModel(uri=f"runs:/{run.info.run_id}/{path}", name=path))
    return models


def signature_columns(tracking: Tracking, model_uri: str) -> list[dict[str, Any]] | None:
    """The input columns of the model's signature (name, MLflow type, required), or None when it has none."""
    from mlflow.models import get_model_info

    with calling(tracking, f"read the signature of {model_uri}"):
        info = get_model_info(model_uri)
    signature = info.signature
    if signature is None or signature.inputs is None:
        return None
    columns = signature.inputs.to_dict()
    if not all(isinstance(c, dict) and c.get("name") for c in columns):
        return None  # a tensor signature has no named columns
    return [{"name": str(c["name"]), "type": str(c.get("type", "")), "required": bool(c.get("required", True))}
            for c in columns]


def download_model(tracking: Tracking, model: LoggedModel, destination: Path) -> Path:
    """Download the model's files into `destination/NAME`; every file listed by the store must arrive whole.

    MLflow's downloader can stop part-way (a dropped connection, a full disk) and leave fewer or shorter files; the
    listing's sizes are the check, and a short download is an error, never a registered artifact.
    """
    from mlflow import artifacts

    target = destination / _safe_name(model.name)
    staging = Path(tempfile.mkdtemp(prefix=".mlflow-download-", dir=destination))
    try:
        with calling(tracking, f"download the model {model.uri}"):
            listed = _listing(artifacts, model.uri, tracking.uri)
            local = Path(artifacts.download_artifacts(artifact_uri=model.uri, dst_path=str(staging),
                                                      tracking_uri=tracking.uri))
        _check_complete(local, listed, model, tracking)
        local.replace(target)  # `local` is staging itself when the URI names the model's root
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return cleaned or "model"


def _listing(artifacts: Any, uri: str, tracking_uri: str) -> dict[str, int | None]:
    """Relative path → size of every file under `uri`, as the artifact store lists it."""
    sizes: dict[str, int | None] = {}
    pending = [""]
    while pending:
        folder = pending.pop()
        for item in artifacts.list_artifacts(artifact_uri=f"{uri}/{folder}" if folder else uri,
                                             tracking_uri=tracking_uri):
            # A listing holds the folder's direct children, but names them from the run's root (`runs:/ID/model`
            # lists `model/MLmodel`) or from the folder (`models:/...`), by store: the last part is what is sure.
            name = item.path.rstrip("/").rsplit("/", 1)[-1]
            relative = f"{folder}/{name}" if folder else name
            if item.is_dir:
                pending.append(relative)
            else:
                sizes[relative] = item.file_size
    return sizes


def _check_complete(local: Path, listed: dict[str, int | None], model: LoggedModel, tracking: Tracking) -> None:
    if not local.is_dir():
        raise ModelDownloadIncomplete(model_uri=model.uri, uri=tracking.shown_uri, problem="no folder arrived")
    for relative, size in sorted(listed.items()):
        path = local / relative
        if not path.is_file():
            raise ModelDownloadIncomplete(model_uri=model.uri, uri=tracking.shown_uri,
                                          problem=f"{relative} is missing")
        if size is not None and path.stat().st_size != size:
            raise ModelDownloadIncomplete(model_uri=model.uri, uri=tracking.shown_uri,
                                          problem=f"{relative} has {path.stat().st_size} of {size} bytes")
    if not listed:
        raise ModelDownloadIncomplete(model_uri=model.uri, uri=tracking.shown_uri, problem="the store lists no files")

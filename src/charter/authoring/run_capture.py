"""What a registration takes from an MLflow run: the model's files, provenance, metrics and a draft contract.

`charter register --mlflow-run` and `charter import mlflow` both come here. The run is read and its model
downloaded before the registry is touched, so a server that fails part-way leaves nothing behind; only then does
`register` copy, track and commit as it does for a file on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.errors import SignatureColumnUnnamed, SignatureWithoutColumns

if TYPE_CHECKING:
    from charter.adapters.mlflow.registry import RegisteredVersion
    from charter.adapters.mlflow.runs import LoggedModel, TrackedRun
    from charter.adapters.mlflow.tracking import Tracking

#: MLflow column types → the contract's value types. `binary` and the nested types have no like in a contract
#: field; they become `string`, and the field's description names the MLflow type so a reviewer sees it.
CONTRACT_TYPES = {"double": "number", "float": "number", "integer": "integer", "long": "integer",
                  "string": "string", "boolean": "boolean", "datetime": "datetime"}
#: contract.json's field name: a signature column named otherwise (`sepal length (cm)`) cannot be a contract field.
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)")


@dataclass
class RunCapture:
    """A run as a registration uses it; `artifact` is the downloaded model folder (outside the registry)."""

    run: TrackedRun
    model: LoggedModel
    artifact: Path
    signature: list[dict[str, Any]] | None = None
    environment: dict[str, Any] | None = None
    registered_model: dict[str, str] | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def capture_run(tracking_uri: str | None, run_id: str, scratch: Path, *, model_name: str | None = None,
                want_signature: bool = False) -> RunCapture:
    """Read run `run_id` and download its logged model into `scratch`; nothing in the registry changes."""
    from charter.adapters.mlflow.runs import read_run
    from charter.adapters.mlflow.tracking import open_tracking, resolve_tracking_uri

    tracking = open_tracking(resolve_tracking_uri(tracking_uri))
    run = read_run(tracking, run_id)
    return _captured(tracking, run, run.model(model_name), scratch, want_signature)


def capture_version(tracking: Tracking, version: RegisteredVersion, scratch: Path) -> RunCapture:
    """A registered model version and the run behind it: the files are those of exactly this version."""
    from charter.adapters.mlflow.runs import LoggedModel, read_run, signature_columns

    assert version.run_id is not None  # the import plans versions without a run as skipped
    run = read_run(tracking, version.run_id)
    from charter.adapters.mlflow.tracking import redact_uri

    capture = _captured(tracking, run, LoggedModel(uri=version.uri, name="model"), scratch, False)
    capture.signature = signature_columns(tracking, version.uri)  # a contract may be drafted from it
    capture.model = LoggedModel(uri=tracking.scrub(redact_uri(version.source or version.uri)), name="model")
    capture.registered_model = {"name": version.name, "version": version.version}
    description = version.description.strip()
    capture.description = tracking.scrub(description.splitlines()[0]) if description else None
    capture.tags = {f"version.{k}": tracking.scrub(v) for k, v in version.tags.items()}
    return capture


def _captured(tracking: Tracking, run: TrackedRun, model: LoggedModel, scratch: Path,
              want_signature: bool) -> RunCapture:
    from charter.adapters.mlflow.runs import download_model, signature_columns

    folder = download_model(tracking, model, scratch)
    signature = signature_columns(tracking, model.uri) if want_signature else None
    return RunCapture(run=run, model=model, artifact=folder, signature=signature,
                      environment=model_environment(folder))


def model_environment(folder: Path) -> dict[str, Any] | None:
    """The training interpreter and pinned packages MLflow wrote beside the model (MLmodel, requirements.txt).

    The machine running `charter register` is not the one that trained; what the model says of itself is.
    """
    import yaml

    environment: dict[str, Any] = {}
    mlmodel = folder / "MLmodel"
    if mlmodel.is_file():
        try:
            data = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError, OSError):
            data = None
        flavors = data.get("flavors") if isinstance(data, dict) else None
        pyfunc = flavors.get("python_function") if isinstance(flavors, dict) else None
        python = pyfunc.get("python_version") if isinstance(pyfunc, dict) else None
        if isinstance(python, str) and re.match(r"^[0-9]+\.[0-9]+(\.[0-9]+)?$", python):
            environment["python"] = python
    if "python" not in environment:
        return None
    packages: dict[str, str] = {}
    requirements = folder / "requirements.txt"
    if requirements.is_file():
        for line in requirements.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _REQUIREMENT.match(line.strip())
            if match:
                packages[match[1].lower()] = match[2]
    if packages:
        environment["packages"] = dict(sorted(packages.items()))
    return environment


def run_provenance(capture: RunCapture) -> dict[str, Any]:
    """`spec.provenance` of a version trained in run `capture.run`: what the tracker knew, and where to find it."""
    run = capture.run
    provenance: dict[str, Any] = {}
    if run.repository and run.commit:
        provenance["codeRepo"] = run.repository
        provenance["commit"] = run.commit
    if run.entry_point:
        provenance["entryPoint"] = run.entry_point
    if run.params:
        provenance["params"] = dict(run.params)
    if run.datasets:
        provenance["datasets"] = [dict(d) for d in run.datasets]
    if capture.environment:
        provenance["environment"] = capture.environment
    if run.started_at:
        provenance["startedAt"] = run.started_at
    if run.finished_at:
        provenance["finishedAt"] = run.finished_at
    tracked: dict[str, Any] = {"tracker": "mlflow", "trackingUri": run.tracking_uri, "runId": run.run_id,
                               "experimentId": run.experiment_id, "modelUri": capture.model.uri}
    if capture.registered_model:
        tracked["registeredModel"] = dict(capture.registered_model)
    if run.param_strings:
        tracked["paramStrings"] = dict(run.param_strings)
    if run.metric_steps:
        tracked["metricSteps"] = dict(run.metric_steps)
    tags = {**run.tags, **capture.tags}
    if tags:
        tracked["tags"] = tags
    provenance["run"] = tracked
    return provenance


def contract_fields(signature: list[dict[str, Any]] | None, model_uri: str) -> list[dict[str, Any]]:
    """The contract's input fields from the signature: name, type and required as the model declared them."""
    if signature is None:
        raise SignatureWithoutColumns(model_uri=model_uri)
    fields = []
    for column in signature:
        if not FIELD_NAME.match(column["name"]):
            raise SignatureColumnUnnamed(model_uri=model_uri, column=column["name"])
        mlflow_type = column["type"]
        value_type = CONTRACT_TYPES.get(mlflow_type, "string")
        described = f"From the signature of {model_uri} ({mlflow_type}): say what it is, its unit and its source."
        fields.append({"name": column["name"], "type": value_type, "description": described,
                       "required": column["required"],
                       "missing": {"behaviour": "reject" if column["required"] else "propagate"}})
    return fields

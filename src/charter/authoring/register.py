"""`register`: a training run's output becomes a ModelVersion, its artifact tracked and pushed, in one commit.

Nothing is typed by hand: the code's commit, params, metrics, interpreter and framework versions are read from
where they already are, and the references (event, cohorts, contract) carry over from the parent version. Every
step that changes something has an undo; any failure undoes them all, so a registration happens whole or not at all.
"""

from __future__ import annotations

import math
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.errors import (
    ArtifactFolderEmpty,
    ArtifactNotFound,
    ArtifactOrRun,
    CodeRepositoryMissing,
    CodeRepositoryNotGit,
    InputNotAMapping,
    InputNotJson,
    InputNotYaml,
    InputUnreadable,
    InvalidModelName,
    LeftoversInWorkTree,
    ModelVersionExists,
    NoSuchModel,
    NotADateTime,
    NoTimeZone,
    NotRegistered,
    NotSemver,
    ParentNotFound,
    UnsupportedValue,
)
from charter.registry.fields import value_at
from charter.registry.findings import has_errors
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS, NAME_RE
from charter.registry.references import Reference
from charter.registry.schemas import schema_comment
from charter.registry.times import parse_datetime
from charter.registry.versions import is_semver, next_version
from charter.registry.yamlio import DataUnreadable, dump_yaml, load_data, parse_yaml
from charter.store.transaction import write_text_atomic

if TYPE_CHECKING:
    from charter.authoring.change import Change
    from charter.authoring.run_capture import RunCapture

#: Frameworks whose versions are worth recording when they are installed (import name → distribution name).
FRAMEWORKS = {
    "torch": "torch", "tensorflow": "tensorflow", "keras": "keras", "jax": "jax", "sklearn": "scikit-learn",
    "xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost", "statsmodels": "statsmodels",
    "transformers": "transformers", "onnx": "onnx", "onnxruntime": "onnxruntime", "numpy": "numpy",
    "pandas": "pandas", "polars": "polars", "scipy": "scipy", "lifelines": "lifelines",
}
FORMATS = {".onnx": "onnx", ".pkl": "pickle", ".pickle": "pickle", ".joblib": "joblib", ".pt": "pt",
           ".pth": "pt", ".safetensors": "safetensors", ".pmml": "pmml", ".txt": "lightgbm-txt",
           ".ubj": "xgboost-json", ".json": "xgboost-json"}
CARRIED_OVER = ("labelEvent", "trainingCohorts", "validationCohorts", "contract")


@dataclass
class Registration:
    """What to register: `model` and either `artifact` or `mlflow_run`; the rest is captured or carried over."""

    model: str
    artifact: Path | None = None
    version: str | None = None
    metrics: list[Path] = field(default_factory=list)
    params: list[Path] = field(default_factory=list)
    event: str | None = None
    cohorts: list[str] = field(default_factory=list)
    validation_cohorts: list[str] = field(default_factory=list)
    contract: str | None = None
    parent: str | None = None
    message: str | None = None
    code_repo: Path | None = None
    entry_point: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    artifact_format: str | None = None
    draft: bool = False
    push: bool = True
    quiet: bool = True
    #: Import names in use (the Python API passes sys.modules); None means every installed framework.
    modules_in_use: Iterable[str] | None = None
    #: An MLflow run to register from instead of an artifact on disk, its store, and which logged model.
    mlflow_run: str | None = None
    tracking_uri: str | None = None
    mlflow_model: str | None = None
    #: Draft the version's contract from the logged model's signature when no contract comes with it.
    contract_from_signature: bool = False


def choose_version(index: RegistryIndex, model: str, requested: str | None) -> str:
    """The requested version if it is new and semver, else the next one after the latest."""
    existing = [d.version or "" for d in index.versions(KINDS["ModelVersion"], model)]
    if requested is not None:
        if not is_semver(requested):
            raise NotSemver(version=requested, example="1.2.0")
        if requested in existing:
            raise ModelVersionExists(model=model, version=requested)
        return requested
    return next_version(existing, "0.1.0")


def _read_mapping(path: Path, what: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputUnreadable(what=what, path=path, error=exc.strerror) from exc
    try:
        data, _ = load_data(raw, str(path), as_json=path.suffix.lower() == ".json")
    except DataUnreadable as exc:
        shown = InputNotJson if exc.json else InputNotYaml
        raise shown(path=path, line=exc.line, column=exc.column, problem=exc.problem, what=what) from None
    if not isinstance(data, dict):
        raise InputNotAMapping(path=path, what=what)
    return data


def _flatten(data: dict[str, Any], accept: Callable[[Any], bool], what: str, path: Path,
             prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, accept, what, path, f"{name}."))
        elif accept(value):
            flat[name] = value
        else:
            raise UnsupportedValue(path=path, what=what, name=name, value=value)
    return flat


def _is_metric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_param(value: Any) -> bool:
    scalar = (str, int, float, bool)
    return value is None or isinstance(value, scalar) or (
        isinstance(value, list) and all(isinstance(v, scalar) for v in value))


def _dvc_yaml_files(code_root: Path, section: str) -> list[Path]:
    """Files a dvc.yaml in the training code declares as params or metrics."""
    dvc_yaml = code_root / "dvc.yaml"
    if not dvc_yaml.is_file():  # DVC's default params file counts even without a pipeline
        return [code_root / "params.yaml"] if section == "params" and (code_root / "params.yaml").is_file() else []
    data = parse_yaml(dvc_yaml.read_text(encoding="utf-8"), "dvc.yaml").data
    found: list[Path] = []
    for stage in (value_at(data, ("stages",)) or {}).values():
        for item in (stage.get(section) or []) if isinstance(stage, dict) else []:
            name = next(iter(item), None) if isinstance(item, dict) else item
            if isinstance(name, str) and (code_root / name).is_file():
                found.append(code_root / name)
    if section == "params" and not found and (code_root / "params.yaml").is_file():
        found.append(code_root / "params.yaml")
    return sorted(set(found))


def capture_provenance(request: Registration, code_root: Path) -> dict[str, Any] | None:
    from charter.adapters.git.repo import describe_code

    state = describe_code(code_root)
    if state is None:
        if request.code_repo is not None:  # asked for explicitly: never silently register without provenance
            unusable = CodeRepositoryNotGit if code_root.exists() else CodeRepositoryMissing
            raise unusable(path=request.code_repo)
        return None
    provenance: dict[str, Any] = {"codeRepo": state.repository, "commit": state.commit, "dirty": state.dirty}
    if request.entry_point:
        provenance["entryPoint"] = request.entry_point
    params: dict[str, Any] = {}
    for path in request.params or _dvc_yaml_files(code_root, "params"):
        params.update(_flatten(_read_mapping(path, "params"), _is_param, "param", path))
    if params:
        provenance["params"] = params
    provenance["environment"] = _environment(request.modules_in_use)
    for key, value in (("startedAt", request.started_at), ("finishedAt", request.finished_at)):
        if value is not None:
            provenance[key] = _timestamp(value, key)
    return provenance


def _timestamp(value: str, what: str) -> str:
    try:
        parsed = parse_datetime(value)
    except ValueError as exc:
        raise NotADateTime(what=what, value=value) from exc
    if parsed.tzinfo is None:
        raise NoTimeZone(what=what, value=value)
    return value


def _environment(modules_in_use: Iterable[str] | None) -> dict[str, Any]:
    wanted = FRAMEWORKS if modules_in_use is None else {
        m: d for m, d in FRAMEWORKS.items() if m in set(modules_in_use)}
    packages: dict[str, str] = {}
    for distribution in wanted.values():
        try:
            packages[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    environment: dict[str, Any] = {"python": platform.python_version(),
                                   "platform": f"{sys.platform}-{platform.machine()}"}
    if packages:
        environment["packages"] = dict(sorted(packages.items()))
    return environment


def read_metrics(request: Registration, code_root: Path) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for path in request.metrics or _dvc_yaml_files(code_root, "metrics"):
        metrics.update(_flatten(_read_mapping(path, "metrics"), _is_metric, "metric", path))
    return metrics


def _cohort_datasets(index: RegistryIndex, cohorts: list[str]) -> list[dict[str, Any]]:
    """Training datasets, taken from the training cohorts' materialization (name, version, location, hash)."""
    datasets = []
    for ref in cohorts:
        cohort = index.get(ref)
        if cohort is None:
            continue
        location = value_at(cohort.spec, ("materialization", "uri")) or value_at(cohort.spec,
                                                                                ("materialization", "path"))
        entry: dict[str, Any] = {"name": cohort.name, "version": cohort.version}
        if isinstance(location, str) and "://" in location:
            entry["uri"] = location
        digest = value_at(cohort.spec, ("materialization", "hash"))
        if isinstance(digest, str):
            entry["hash"] = digest
        datasets.append(entry)
    return datasets


def _references(index: RegistryIndex, request: Registration, model: str, parent: str | None) -> dict[str, Any]:
    given: dict[str, Any] = {"labelEvent": request.event, "trainingCohorts": request.cohorts or None,
                             "validationCohorts": request.validation_cohorts or None,
                             "contract": request.contract}
    parent_doc = index.get(parent) if parent else None
    if parent is not None and parent_doc is None:
        raise ParentNotFound(parent=parent, model=model)
    for key in CARRIED_OVER:
        if given[key] is None and parent_doc is not None:
            given[key] = value_at(parent_doc.spec, (key,))
    return {k: v for k, v in given.items() if v is not None}


def register_version(root: Path, request: Registration) -> Reference:
    """Register the artifact as a new version: validated, tracked, pushed and committed, or nothing at all.

    One change at a time in a repository (`authoring.change`): a change killed part-way is undone first, so
    running the command again finishes the job.
    """
    from charter.authoring.change import change

    model = request.model.removeprefix("model:")
    if not NAME_RE.match(model):
        raise InvalidModelName(name=request.model)
    if (request.artifact is None) == (request.mlflow_run is None):
        raise ArtifactOrRun()
    if request.mlflow_run is None:
        with change(root, "register") as current:
            return _register(root, request, current, None)
    from charter.authoring.run_capture import capture_run
    from charter.store.loader import load_registry

    if load_registry(root).index.get(Reference("model", model)) is None:  # before a download that would be wasted
        raise NoSuchModel(model=model)
    # The run is read and its model downloaded before the registry is locked or touched: a server that fails
    # part-way leaves nothing behind, and other writers are not held up by a download.
    with tempfile.TemporaryDirectory(prefix="charter-mlflow-") as scratch:
        capture = capture_run(request.tracking_uri, request.mlflow_run, Path(scratch), model_name=request.mlflow_model,
                              want_signature=request.contract_from_signature)
        return register_captured(root, request, capture)


def register_captured(root: Path, request: Registration, capture: RunCapture) -> Reference:
    """Register a run already read and downloaded (`capture`), as `register_version` does a file."""
    from charter.authoring.change import change

    with change(root, "register") as current:
        return _register(root, replace(request, artifact=capture.artifact), current, capture)


def _register(root: Path, request: Registration, current: Change, capture: RunCapture | None) -> Reference:
    from charter.adapters import dvc
    from charter.authoring.codeowners import keep_codeowners_in_step
    from charter.store.loader import load_registry
    from charter.validation.runner import validate_registry

    model = request.model.removeprefix("model:")
    if not NAME_RE.match(model):
        raise InvalidModelName(name=request.model)
    assert request.artifact is not None  # register_version saw to it
    artifact = request.artifact.resolve()
    if not artifact.exists():
        raise ArtifactNotFound(path=request.artifact)
    if artifact.is_dir() and not any(p.is_file() for p in artifact.rglob("*")):
        raise ArtifactFolderEmpty(path=request.artifact)
    index = load_registry(root).index
    family = index.get(Reference("model", model))
    if family is None:
        raise NoSuchModel(model=model)
    version = choose_version(index, model, request.version)
    kind = KINDS["ModelVersion"]
    relpath = kind.relative_path(model, version)
    artifact_dir = Path("artifacts") / model / version
    artifact_rel = (artifact_dir / artifact.name).as_posix()
    if (root / relpath).exists() or (root / artifact_dir).exists():
        raise LeftoversInWorkTree(path=relpath, artifact_dir=artifact_dir)
    code_root = (request.code_repo or Path.cwd()).resolve()
    latest = [d for d in index.versions(kind, model) if d.status != "draft"]
    parent = request.parent or (str(latest[-1].ref) if latest else None)
    references = _references(index, request, model, parent)
    if capture is None:
        provenance = capture_provenance(request, code_root)
        metrics = read_metrics(request, code_root)
    else:
        provenance, metrics = _run_provenance_and_metrics(request, capture)
    if provenance is not None and references.get("trainingCohorts"):
        datasets = _cohort_datasets(index, references["trainingCohorts"])
        if datasets:
            provenance["datasets"] = [*provenance.get("datasets", []), *datasets]
    contract = None
    if capture is not None and request.contract_from_signature and "contract" not in references:
        contract = _draft_contract(index, model, family.owner, capture)
        references["contract"] = contract.ref
        if (root / contract.relpath).exists():
            raise LeftoversInWorkTree(path=contract.relpath, artifact_dir=artifact_dir)

    cache_before = dvc.cache_objects(root)
    current.begin(relpath, artifact_dir, *([contract.relpath] if contract else []), entry=relpath)
    try:
        if contract is not None:
            write_text_atomic(root / contract.relpath, contract.text)
        (root / artifact_dir).mkdir(parents=True)
        if artifact.is_dir():
            shutil.copytree(artifact, root / artifact_rel)
        else:
            shutil.copy2(artifact, root / artifact_rel)
        [tracked] = dvc.track(root, [artifact_rel], quiet=request.quiet)
        spec: dict[str, Any] = {"artifact": {
            "path": artifact_rel, "hash": tracked.hash, "size": tracked.size,
            "format": request.artifact_format or ("mlflow" if capture else FORMATS.get(artifact.suffix.lower(),
                                                                                           "other")),
        }}
        if provenance is not None:
            spec["provenance"] = provenance
        if metrics:
            spec["metrics"] = metrics
        spec.update(references)
        if parent:
            spec["parent"] = parent
        if request.message:
            spec["notes"] = request.message
        document = {
            "apiVersion": "charter/v1",
            "kind": kind.name,
            "metadata": {
                "name": model, "version": version, "owner": family.owner,
                "description": request.message.splitlines()[0] if request.message else
                (capture.description if capture and capture.description else
                 f"{model} {version}, registered from {_source_words(artifact, capture)}."),
                "status": "draft" if request.draft else "active",
                "annotations": {"charter.dev/registered-by":
                                "charter register --mlflow-run" if capture else "charter register"},
            },
            "spec": spec,
        }
        write_text_atomic(root / relpath, f"{schema_comment(kind, relpath)}\n{dump_yaml(document)}")
        report = validate_registry(root, [relpath, *([contract.relpath] if contract else [])], cwd=root)
        if has_errors(report.findings):
            raise NotRegistered(report.findings, model=model, version=version)
        if request.push:
            dvc.push(root, [artifact_rel], quiet=request.quiet)
        pointer = f"{artifact_rel}.dvc"
        codeowners = keep_codeowners_in_step(current, contract.relpath, family.owner) if contract else None
        current.commit(_commit_message(model, version, artifact_rel, tracked.hash, request.message, capture),
                       [relpath, pointer, (artifact_dir / ".gitignore").as_posix(),
                        *([contract.relpath] if contract else [])], [codeowners] if codeowners else [])
    except BaseException:
        dvc.restore_cache(root, cache_before)  # the files themselves are the change's to undo
        raise
    return Reference("model", model, version)


def _source_words(artifact: Path, capture: RunCapture | None) -> str:
    return f"MLflow run {capture.run.run_id}" if capture else artifact.name


def _commit_message(model: str, version: str, artifact: str, digest: str, message: str | None,
                    capture: RunCapture | None) -> str:
    lines = [f"Register model:{model}@{version}", "", f"artifact: {artifact} (md5 {digest})"]
    if capture is not None:
        lines.append(f"mlflow run: {capture.run.run_id} at {capture.run.tracking_uri} ({capture.model.uri})")
    if message:
        lines += ["", message]
    return "\n".join(lines)


def _run_provenance_and_metrics(request: Registration, capture: RunCapture) -> tuple[dict[str, Any], dict[str, Any]]:
    """The run's provenance and last metrics; params and metrics files given as well are added on top."""
    from charter.authoring.run_capture import run_provenance

    provenance = run_provenance(capture)
    for path in request.params:
        provenance.setdefault("params", {}).update(_flatten(_read_mapping(path, "params"), _is_param, "param", path))
    metrics: dict[str, Any] = dict(capture.run.metrics)
    for path in request.metrics:
        metrics.update(_flatten(_read_mapping(path, "metrics"), _is_metric, "metric", path))
    return provenance, metrics


@dataclass(frozen=True)
class DraftContract:
    ref: str
    relpath: str
    text: str


def _draft_contract(index: RegistryIndex, model: str, owner: str, capture: RunCapture) -> DraftContract:
    """A draft contract whose input is the model's signature: `MODEL-serving`, its next version if it exists."""
    from charter.authoring.new_entry import example_document
    from charter.authoring.run_capture import contract_fields

    kind = KINDS["Contract"]
    name = f"{model}-serving"
    version = next_version([d.version or "" for d in index.versions(kind, name)], "0.1.0")
    document = example_document(kind, name, version, owner)
    document["metadata"]["description"] = (f"Draft serving contract of {model}, its input drafted from the signature "
                                           f"of MLflow model {capture.model.uri}: review every section.")
    document["spec"]["model"] = f"model:{model}"
    document["spec"]["input"] = {"description": f"Drafted from the signature of {capture.model.uri}.",
                                 "fields": contract_fields(capture.signature, capture.model.uri)}
    document["spec"].pop("invariants", None)
    relpath = kind.relative_path(name, version)
    note = ("# Drafted by `charter register --contract-from-signature`: the input fields are the model's signature; "
            "latency, output,\n# logging and fallback are the schema's example. Replace them before releasing.\n")
    return DraftContract(f"contract:{name}@{version}", relpath,
                         f"{schema_comment(kind, relpath)}\n{note}{dump_yaml(document)}")

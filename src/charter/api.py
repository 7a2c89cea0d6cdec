"""The Python API: `charter.Registry(path)` offers training and deploy code what the CLI offers people."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.deployment.resolve import Resolution, resolve
from charter.errors import EntryNotFound, NoSuchEvaluation, VersionNotFound
from charter.registry.config import RegistryConfig, find_registry_root
from charter.registry.documents import Document
from charter.registry.fields import dotted
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS, Kind
from charter.registry.references import Reference, parse_reference
from charter.registry.summary import EntryDetail, EntrySummary, summarize
from charter.registry.versions import version_key
from charter.store.loader import LazyRegistry, LoadedRegistry, load_registry

if TYPE_CHECKING:
    from charter.adapters.forge.base import ForgeClient
    from charter.authoring.evaluation_from_predictions import PredictionsRequest
    from charter.authoring.record_evaluation import EvaluationRequest
    from charter.authoring.register import Registration
    from charter.deployment.mlflow_sync import SyncPlan
    from charter.deployment.model_performance import PerformancePoint
    from charter.deployment.status import StatusReport
    from charter.evaluation.compare import Comparison
    from charter.registry.findings import Finding
    from charter.registry.lineage import LineageGraph
    from charter.search.engine import SearchResult
    from charter.validation.runner import ValidationReport


class Registry:
    """A registry on disk. Reading is lazy: nothing is parsed until an answer needs it."""

    def __init__(self, path: str | Path = ".") -> None:
        self.root = find_registry_root(Path(path))

    @cached_property
    def _loaded(self) -> LoadedRegistry:
        return load_registry(self.root)

    @property
    def index(self) -> RegistryIndex:
        return self._loaded.index

    @property
    def config(self) -> RegistryConfig:
        return self._loaded.config

    def validate(self, paths: Sequence[str | Path] | None = None, base: str | None = None, *,
                 check_artifacts: bool = False, trust_remote_config: bool = False,
                 all_files: bool = False) -> ValidationReport:
        from charter.validation.runner import validate_registry

        return validate_registry(self.root, paths, base, check_artifacts=check_artifacts,
                                 trust_remote_config=trust_remote_config, all_files=all_files)

    def register(self, model: str, artifact: str | Path | None = None, **options: Any) -> str:
        """Register a trained model from a training script; returns the new reference, e.g. `model:x@1.3.0`.

        Options are the fields of `charter.authoring.register.Registration` (version, metrics, params, event, cohorts,
        validation_cohorts, contract, parent, message, code_repo, entry_point, started_at, finished_at, draft,
        push, and instead of `artifact`: mlflow_run, tracking_uri, mlflow_model, contract_from_signature).
        Framework versions are recorded for the frameworks this process has imported.
        """
        import sys

        from charter.authoring.register import Registration

        options.setdefault("modules_in_use", list(sys.modules))
        # Only the script, not its arguments: a command line may carry a secret, and this one gets committed.
        options.setdefault("entry_point", sys.argv[0] if sys.argv and sys.argv[0] else None)
        if options.get("code_repo") is not None:
            options["code_repo"] = Path(options["code_repo"])
        for key in ("metrics", "params"):
            if key in options:
                value = options[key]
                options[key] = [Path(v) for v in (value if isinstance(value, list | tuple) else [value])]
        return str(self.register_request(Registration(model=model, artifact=None if artifact is None else
                                                      Path(artifact), **options)))

    def register_request(self, request: Registration) -> Reference:
        from charter.authoring.register import register_version

        reference = register_version(self.root, request)
        self.__dict__.pop("_loaded", None)  # the registry changed: read it again on next use
        return reference

    def record_evaluation(self, request: EvaluationRequest) -> Reference:
        """Record an evaluation's results as an Evaluation entry (see `charter.authoring.record_evaluation`)."""
        from charter.authoring.record_evaluation import record_evaluation

        recorded = record_evaluation(self.root, request)
        self.__dict__.pop("_loaded", None)  # the registry changed: read it again on next use
        return recorded.ref

    def record_evaluation_from_predictions(self, request: PredictionsRequest) -> Reference:
        """Compute an evaluation from predictions and record it with its rows (see
        `charter.authoring.evaluation_from_predictions`)."""
        from charter.authoring.evaluation_from_predictions import record_from_predictions

        reference = record_from_predictions(self.root, request)
        self.__dict__.pop("_loaded", None)
        return reference

    def verify_evaluation(self, ref: str) -> list[Finding]:
        """Recompute an evaluation from its pinned predictions: the findings of every figure that differs."""
        from charter.validation.evidence import verify_evaluation

        doc = self.index.get(ref)
        if doc is None or doc.kind is not KINDS["Evaluation"]:
            raise NoSuchEvaluation(ref=ref)
        return verify_evaluation(self.root, doc)

    def compare_evaluations(self, a: str, b: str | None = None) -> Comparison:
        """Compare two evaluations (or two versions' evaluations); deltas are B - A. Only comparable ones are
        compared: `.comparable` False means `.comparability.differences` says why and nothing else is filled in."""
        from charter.evaluation.compare import compare

        return compare(self.index, a, b)

    def forge(self) -> tuple[ForgeClient | None, str | None]:
        """The forge client for pull requests and, when there is none, why (None: no forge configured)."""
        from charter.adapters.forge.base import ForgeUnavailable
        from charter.adapters.forge.choose import forge_for
        from charter.adapters.git.repo import open_repository
        from charter.adapters.git.worktree import remote_url

        spec = self.config.document.spec if self.config.document is not None else {}
        configured = spec.get("forge") if isinstance(spec, dict) else None
        try:
            return forge_for(configured if isinstance(configured, dict) else None,
                             remote_url(open_repository(self.root)), os.environ), None
        except ForgeUnavailable as unavailable:
            return None, f"{unavailable.message} ({unavailable.hint})" if unavailable.hint else unavailable.message

    def resolve(self, model: str, env: str | None = None) -> list[Resolution]:
        """What should run: `resolve("sepsis-risk", "production")`, `resolve("model:sepsis-risk@latest")`.

        Several results mean several assignments (a full rollout and a canary); the first is the primary.
        """
        if "_loaded" in self.__dict__:
            return resolve(self.index, self.config, model, env)
        lazy = LazyRegistry(self.root)  # reads the model's entries and the environment, not the whole registry
        return resolve(lazy.index, lazy.config, model, env)

    def sync_mlflow(self, tracking_uri: str | None = None, *, dry_run: bool = False,
                    model: str | None = None) -> SyncPlan:
        """Point MLflow's aliases at what each mapped environment resolves to (docs/mlflow.md); the plan, applied
        unless `dry_run`. `tracking_uri` defaults to MLFLOW_TRACKING_URI, then registry.yaml's spec.mlflow."""
        from charter.deployment.mlflow_sync import sync_mlflow

        return sync_mlflow(self.root, self.index, self.config, tracking_uri, dry_run=dry_run, model=model)

    def pull(self, model: str, output: str | Path, env: str | None = None, *, force: bool = False,
             quiet: bool = True) -> Path:
        """Fetch the artifact of a version (`model:NAME@VERSION`) or of what runs in `env`, hash-checked.

        `output` is a file path, or a folder: an existing one, or a string ending in `/` (created if needed).
        """
        import os

        from charter.deployment.pull import pull_artifact

        primary = self.resolve(model, env)[0]
        into_folder = isinstance(output, str) and output.endswith(("/", os.sep))
        return pull_artifact(self.root, primary.version, Path(output), force=force, quiet=quiet,
                             into_folder=into_folder)

    def search(self, query: str = "", kind: Kind | None = None, *, limit: int | None = None,
               facets: bool = True) -> SearchResult:
        """Entries matching a query (docs/query.md), e.g. `search("env = production AND owner = team-x")`.

        Raises `charter.search.syntax.QueryError` for a query that does not parse or names an unknown field.
        """
        from charter.search.engine import RegistryFiles, search

        loaded = self.__dict__.get("_loaded")  # already parsed in full: use it; else parse only what is needed
        return search(loaded or RegistryFiles(self.root), query, (kind,) if kind else None, limit=limit, facets=facets,
                      prefilter_text=loaded is None)

    def list(self, kind: Kind | None = None, status: str | None = None, where: str | None = None
             ) -> list[EntrySummary]:
        """Entries of a kind (or all), optionally only those with a status and those matching a query."""
        if where is not None:
            return [r for r in self.search(where, kind, facets=False).entries if status is None or r.status == status]
        docs = self.index.entries(kind)
        rows = [summarize(d) for d in docs if status is None or d.status == status]
        order = {name: i for i, name in enumerate(KINDS)}
        return sorted(rows, key=lambda r: (order.get(r.kind, len(order)), r.name, version_key(r.version or "")))

    def get(self, ref: str | Reference) -> Document:
        reference = parse_reference(ref) if isinstance(ref, str) else ref
        doc = self.index.get(reference)
        if doc is None:
            kind = reference.kind
            versions = [d.version or "" for d in self.index.versions(kind, reference.name)] \
                if kind is not None and kind.versioned else []
            if versions:
                raise VersionNotFound(ref=reference, root=self.root, versions=", ".join(versions))
            raise EntryNotFound(ref=reference, root=self.root)
        return doc

    def show(self, ref: str | Reference) -> EntryDetail:
        doc = self.get(ref)
        references = [(dotted(link.field), str(link.target)) for link in self.index.references_from(doc)]
        used_by = [(str(link.source.ref), dotted(link.field)) for link in self.index.dependents(doc.ref or "")]
        if doc.kind is not None and doc.kind.name == "Model" and doc.name:
            family_versions = self.index.versions(KINDS["ModelVersion"], doc.name)
        elif doc.kind is not None and doc.kind.versioned and doc.name:
            family_versions = self.index.versions(doc.kind, doc.name)
        else:
            family_versions = []
        return EntryDetail(summarize(doc), doc.data, references, sorted(used_by),
                           [d.version or "" for d in family_versions])

    def record(self, model: str, env: str, file: str | Path, *, record_type: str | None = None,
               reporter: str | None = None, commit: bool = True) -> str:
        """Record a deploy event or a health/outcome report from a deploy or monitoring job; returns its reference.

        Raises `charter.errors.InvalidRecord` (with `.findings`) when the file is not a valid
        record.
        """
        from charter.authoring.record_deployment import MonitorRequest, record_event

        request = MonitorRequest(model=model, environment=env, file=Path(file).resolve(), record_type=record_type,
                                 reporter=reporter, commit=commit)
        recorded = record_event(self.root, request)
        self.__dict__.pop("_loaded", None)  # the registry changed: read it again on next use
        return recorded.ref

    def status(self, env: str | None = None) -> StatusReport:
        """What should run against what deploy systems reported, and the latest monitored figures against what the
        evaluation expected; `.in_sync`, `.within_expectation` and `.ok` (both) are the one-bit answers."""
        from charter.deployment.status import compute_status

        return compute_status(self.index, self.config, env)

    def lineage(self, ref: str, *, impact: bool = False) -> LineageGraph:
        """What `ref` is built from, or with `impact=True` what depends on it."""
        from charter.registry.lineage import impact as impact_graph
        from charter.registry.lineage import upstream

        return impact_graph(self.index, ref) if impact else upstream(self.index, ref)

    def performance(self, model: str) -> Sequence[PerformancePoint]:
        """A model's evaluation estimates and monitored figures across versions and time, oldest first."""
        from charter.deployment.model_performance import performance_history

        return performance_history(self.index, model)

    def report(self, directory: str | Path, *, title: str | None = None, force: bool = False) -> Path:
        """Write the registry as a static HTML site (`charter report -o DIR`); returns the site's index.html."""
        from charter.report.model import build_report_model
        from charter.report.site import write_site

        model = build_report_model(self.index, self.config, root=self.root, title=title)
        return write_site(model, Path(directory), registry_root=self.root, force=force).directory / "index.html"

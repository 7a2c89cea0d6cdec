"""`charter import mlflow`: an MLflow model registry becomes Charter entries, and its aliases a reviewed proposal.

Registered models become models (created as drafts when Charter has none of that name), their versions become
model versions registered from their runs (`register --mlflow-run`, one commit each, so a killed import resumes
where it stopped), and their aliases (and deprecated stages) become environment assignments proposed in one commit
on a branch, opened as a pull request like a promotion: what runs where is a decision, and the starting state is
reviewed like every later one.

A re-run imports only what is new: a version registered from the same run and model, or imported from the same
registered version, or tagged `charter.ref` by `charter sync mlflow`, is recognised and not registered again.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from charter.errors import ModelNotImported, NameRefusedByRules, NewModelNeedsEvent, NoSuchEvent, TwoModelsOneName
from charter.registry.fields import value_at
from charter.registry.findings import has_errors
from charter.registry.kinds import KINDS, NAME_RE
from charter.registry.references import Reference

if TYPE_CHECKING:
    from charter.adapters.forge.base import ForgeClient
    from charter.adapters.mlflow.registry import RegisteredModel, RegisteredVersion
    from charter.adapters.mlflow.tracking import Tracking
    from charter.promotion.proposal import ProposalResult
    from charter.registry.config import RegistryConfig
    from charter.registry.index import RegistryIndex

NAME_RULE = "Charter names are 1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"
#: What an import does with an MLflow version: register it, know it already, or skip it (no run to register from).
Action = Literal["register", "known", "skip"]
#: MLflow's deprecated stages, read as the environments of the same name.
STAGES = ("Production", "Staging")
DEFAULT_TASK = "other"


@dataclass
class ImportRequest:
    tracking_uri: str | None = None
    models: list[str] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    owner: str | None = None
    risk_tier: str = "low"
    task: str = DEFAULT_TASK
    #: The label event of versions of models new to Charter (the versions of known models carry theirs over).
    event: str | None = None
    push: bool = True
    quiet: bool = True
    today: date = field(default_factory=date.today)


@dataclass
class PlannedVersion:
    mlflow_name: str
    mlflow_version: str
    model: str
    action: Action
    ref: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"mlflowModel": self.mlflow_name, "mlflowVersion": self.mlflow_version, "model": self.model,
                "action": self.action, "ref": self.ref, "note": self.note or None}


@dataclass
class PlannedAssignment:
    environment: str
    model: str
    source: str  # "alias production" or "stage Production"
    mlflow_version: str
    ref: str | None = None
    current: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"environment": self.environment, "model": self.model, "from": self.source,
                "mlflowVersion": self.mlflow_version, "ref": self.ref, "current": self.current}


@dataclass
class ImportPlan:
    tracking_uri: str
    new_models: list[str] = field(default_factory=list)
    versions: list[PlannedVersion] = field(default_factory=list)
    assignments: list[PlannedAssignment] = field(default_factory=list)
    proposal: ProposalResult | None = None  # once opened
    pending_branch: str | None = None  # a proposal of the same day is already on this branch

    @property
    def changes(self) -> list[PlannedAssignment]:
        """Assignments that differ from what the environment files say now."""
        return [a for a in self.assignments if a.ref is None or a.ref != a.current]

    def to_dict(self) -> dict[str, Any]:
        return {"trackingUri": self.tracking_uri, "newModels": self.new_models,
                "versions": [v.to_dict() for v in self.versions],
                "assignments": [a.to_dict() for a in self.assignments],
                "proposal": self.proposal.to_dict() if self.proposal is not None else None,
                "pendingBranch": self.pending_branch}


def import_mlflow(root: Path, request: ImportRequest, *, forge: ForgeClient | None = None,
                  forge_note: str | None = None) -> ImportPlan:
    """Plan, and unless `dry_run`, register what is new and propose the aliases; returns the plan as carried out.

    Everything that can be checked before writing is: names, the label event, the first signature of each model
    new to Charter, and that a proposal branch can be made (clean tree, a branch checked out). Models and versions
    are then committed one at a time, so a server failing part-way keeps what was imported, and a re-run goes on.
    """
    from charter.adapters.mlflow.registry import registered_models
    from charter.adapters.mlflow.tracking import open_tracking, resolve_tracking_uri
    from charter.store.loader import load_registry

    tracking = open_tracking(resolve_tracking_uri(request.tracking_uri))
    models = registered_models(tracking, list(dict.fromkeys(request.models)) or None)
    loaded = load_registry(root)
    plan = plan_import(models, loaded.index, loaded.config, request, tracking.shown_uri)
    if request.dry_run:
        return plan
    by_name = {m.name: m for m in models}
    _check_before_writing(root, plan, by_name, tracking, loaded.index, request)
    created: set[str] = set()
    for number, planned in enumerate(plan.versions):
        if planned.action != "register":
            continue
        if planned.mlflow_name in plan.new_models and planned.mlflow_name not in created:
            _create_model(root, planned.mlflow_name, by_name, request)
            created.add(planned.mlflow_name)
        version = next(v for v in by_name[planned.mlflow_name].versions if v.version == planned.mlflow_version)
        with tempfile.TemporaryDirectory(prefix=f"charter-import-{number}-") as scratch:  # one model on disk at a time
            planned.ref = str(_register_version(root, tracking, version, planned.model, Path(scratch), request))
    for name in plan.new_models:  # a new model none of whose versions could be registered (all skipped)
        if name not in created:
            _create_model(root, name, by_name, request)
    refs = {(v.model, v.mlflow_version): v.ref for v in plan.versions}
    for assignment in plan.assignments:
        assignment.ref = refs.get((assignment.model, assignment.mlflow_version))
    changes = [a for a in plan.changes if a.ref is not None]
    if not changes:
        return plan
    branch = _proposal_branch(request, changes)
    if _branch_exists(root, branch):
        plan.pending_branch = branch  # this very proposal is on that branch already: not a second one
        return plan
    from charter.promotion.proposal import Proposal, propose_assignments

    plan.proposal = propose_assignments(root, Proposal(
        title=f"Import MLflow aliases from {plan.tracking_uri}",
        assignments=[(a.environment, a.ref or "", f"Imported from MLflow {a.source} (version {a.mlflow_version})"
                      f" at {plan.tracking_uri}") for a in changes],
        branch=branch, push=request.push, summary=_summary(plan, changes)), forge=forge, forge_note=forge_note)
    return plan


def _proposal_branch(request: ImportRequest, changes: list[PlannedAssignment]) -> str:
    """The day and a digest of what is proposed: the same proposal twice is one branch, another one a new branch."""
    digest = hashlib.sha1("\n".join(sorted(f"{a.environment} {a.ref}" for a in changes)).encode(),
                          usedforsecurity=False).hexdigest()[:8]
    return f"charter/import-mlflow-{request.today.isoformat()}-{digest}"


def _check_before_writing(root: Path, plan: ImportPlan, models: dict[str, RegisteredModel], tracking: Tracking,
                          index: RegistryIndex, request: ImportRequest) -> None:
    """Refuse now what would otherwise stop the import after its first commit."""
    from charter.adapters.mlflow.runs import signature_columns
    from charter.authoring.run_capture import contract_fields
    from charter.registry.references import parse_reference

    if request.event is not None and index.get(parse_reference(request.event)) is None:
        raise NoSuchEvent(event=request.event)
    for name in {v.mlflow_name for v in plan.versions if v.action == "register"}:
        model = _charter_name(name, request)
        if _has_parent(index, model):
            continue
        if request.event is None:
            raise NewModelNeedsEvent(model=name)
        first = next(v for v in plan.versions if v.mlflow_name == name and v.action == "register")
        version = next(v for v in models[name].versions if v.version == first.mlflow_version)
        contract_fields(signature_columns(tracking, version.uri), version.uri)  # the contract can be drafted
    if plan.changes:
        from charter.promotion.proposal import check_can_propose

        check_can_propose(root)


def _has_parent(index: RegistryIndex, model: str) -> bool:
    """Whether a version of `model` exists to carry event, cohorts and contract over from."""
    return any(d.status != "draft" for d in index.versions(KINDS["ModelVersion"], model))


def _branch_exists(root: Path, branch: str) -> bool:
    from charter.adapters.git import worktree
    from charter.adapters.git.repo import open_repository

    return worktree.branch_exists(open_repository(root), branch)


def plan_import(models: list[RegisteredModel], index: RegistryIndex, config: RegistryConfig, request: ImportRequest,
                shown_uri: str) -> ImportPlan:
    """What an import would do: no MLflow download, no write."""
    plan = ImportPlan(tracking_uri=shown_uri)
    aliases = alias_environments(config)
    pattern = config.naming.get("modelPattern")
    taken: dict[str, str] = {}
    for model in models:
        name = _charter_name(model.name, request)
        _check_name(model.name, name, pattern)
        if taken.setdefault(name, model.name) != model.name:
            raise TwoModelsOneName(first=taken[name], second=model.name, name=name)
        if index.get(Reference("model", name)) is None:
            plan.new_models.append(model.name)
        known = _known_versions(index, name)
        for version in model.versions:
            ref = known.get(("registered", version.name, version.version)) \
                or known.get(("run", version.run_id or "", version.source)) or _tagged_ref(version, index)
            if ref is not None:
                plan.versions.append(PlannedVersion(model.name, version.version, name, "known", ref))
            elif version.run_id is None:
                plan.versions.append(PlannedVersion(model.name, version.version, name, "skip",
                                                    note="registered from a path, not a run"))
            else:
                plan.versions.append(PlannedVersion(model.name, version.version, name, "register"))
        plan.assignments += _assignments(model, name, aliases, config, index, plan)
    return plan


def alias_environments(config: RegistryConfig) -> dict[str, str]:
    """MLflow alias → environment: `spec.mlflow.aliases` (environment → alias) read backwards, else each
    environment's own name."""
    mapping = config.mlflow_aliases
    if mapping:
        return {alias: env for env, alias in mapping.items() if env in config.environments}
    return {env: env for env in config.environments}


def _charter_name(mlflow_name: str, request: ImportRequest) -> str:
    return request.renames.get(mlflow_name, mlflow_name)


def _check_name(mlflow_name: str, name: str, pattern: Any) -> None:
    if not NAME_RE.match(name):
        raise NameRefusedByRules(source="MLflow model", name=mlflow_name, rule=NAME_RULE)
    if isinstance(pattern, str) and re.search(pattern, name) is None:
        raise NameRefusedByRules(source="MLflow model", name=mlflow_name,
                                 rule=f"registry.yaml's naming.modelPattern {pattern}")


def _known_versions(index: RegistryIndex, name: str) -> dict[tuple[str, ...], str]:
    """Each version of `name` by the registered version, and by the run and logged model, it came from.

    A run may log several models, so the run alone does not say which version: the model's URI goes with it.
    """
    known: dict[tuple[str, ...], str] = {}
    for doc in index.versions(KINDS["ModelVersion"], name):
        run = value_at(doc.spec, ("provenance", "run"))
        if not isinstance(run, dict) or run.get("tracker") != "mlflow":
            continue
        registered = run.get("registeredModel")
        if isinstance(registered, dict):
            known[("registered", str(registered.get("name")), str(registered.get("version")))] = str(doc.ref)
        if isinstance(run.get("runId"), str) and isinstance(run.get("modelUri"), str):
            known.setdefault(("run", run["runId"], run["modelUri"]), str(doc.ref))
    return known


def _tagged_ref(version: RegisteredVersion, index: RegistryIndex) -> str | None:
    """A version `charter sync mlflow` registered in MLflow from a Charter version names it in a tag."""
    from charter.errors import CharterError
    from charter.registry.references import parse_reference

    tagged = version.tags.get("charter.ref")
    if tagged is None:
        return None
    try:
        ref = parse_reference(tagged)
    except CharterError:
        return None
    return tagged if index.get(ref) is not None else None


def _assignments(model: RegisteredModel, name: str, aliases: dict[str, str], config: RegistryConfig,
                 index: RegistryIndex, plan: ImportPlan) -> list[PlannedAssignment]:
    from charter.registry.environments import current_assignment

    chosen: dict[str, PlannedAssignment] = {}
    for alias, number in sorted(model.aliases.items()):
        environment = aliases.get(alias)
        if environment is not None:
            chosen[environment] = PlannedAssignment(environment, name, f"alias {alias}", number)
    for version in reversed(model.versions):  # as MLflow resolves models:/NAME/Production: the newest in the stage
        stage = version.stage.lower() if version.stage in STAGES else None
        if stage is not None and stage in config.environments and stage not in chosen:
            chosen[stage] = PlannedAssignment(stage, name, f"stage {version.stage}", version.version)
    refs = {(v.model, v.mlflow_version): v.ref for v in plan.versions}
    for assignment in chosen.values():
        assignment.ref = refs.get((name, assignment.mlflow_version))
        assignment.current = current_assignment(index, assignment.environment, name)
    return [chosen[env] for env in config.environments if env in chosen]


def _create_model(root: Path, mlflow_name: str, models: dict[str, RegisteredModel], request: ImportRequest) -> None:
    """A Model entry for a registered model Charter does not know, committed on its own: a draft to complete."""
    from charter.authoring.change import change
    from charter.authoring.codeowners import keep_codeowners_in_step
    from charter.registry.schemas import schema_comment
    from charter.registry.yamlio import dump_yaml
    from charter.store.loader import load_registry
    from charter.store.transaction import write_text_atomic
    from charter.validation.runner import validate_registry

    model = models[mlflow_name]
    name = _charter_name(mlflow_name, request)
    kind = KINDS["Model"]
    relpath = kind.relative_path(name, None)
    with change(root, "import") as current:
        config = load_registry(root).config
        owner = request.owner or value_at(config.document.data if config.document else {}, ("metadata", "owner"))
        described = model.description.strip().splitlines()[0] if model.description.strip() else \
            f"{name}, imported from the MLflow registered model {mlflow_name}."
        document = {
            "apiVersion": "charter/v1", "kind": kind.name,
            "metadata": {"name": name, "owner": owner, "description": described, "status": "active",
                         "annotations": {"charter.dev/imported-from": f"mlflow registered model {mlflow_name}",
                                         **{f"mlflow.tag/{k}": v for k, v in sorted(model.tags.items())
                                            if _annotation_key(k)}}},
            "spec": {"task": request.task, "riskTier": request.risk_tier,
                     "intendedUse": model.description.strip() or
                     f"Imported from MLflow: state what {name} is for, for whom, and where it must not be used."},
        }
        note = "# Imported by `charter import mlflow`: review its task, risk tier and intended use.\n"
        current.begin(relpath, entry=relpath)
        write_text_atomic(root / relpath, f"{schema_comment(kind, relpath)}\n{note}{dump_yaml(document)}")
        report = validate_registry(root, [relpath], cwd=root)  # --task, --risk-tier, --owner as given
        if has_errors(report.findings):
            raise ModelNotImported(report.findings, model=name)
        codeowners = keep_codeowners_in_step(current, relpath, owner)
        current.commit(f"Import model:{name} from MLflow\n\nregistered model: {mlflow_name}", [relpath],
                       [codeowners] if codeowners else [])


def _annotation_key(key: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9._-]{1,63}", key) is not None


def _register_version(root: Path, tracking: Tracking, version: RegisteredVersion, model: str, scratch: Path,
                      request: ImportRequest) -> Reference:
    from charter.authoring.register import Registration, register_captured
    from charter.authoring.run_capture import capture_version

    capture = capture_version(tracking, version, scratch)
    from charter.store.loader import load_registry

    first = not _has_parent(load_registry(root).index, model)
    # The first version of a model new to Charter has no parent to carry its event and contract over from: the
    # event is the one given, the contract a draft from the model's signature. Later versions carry them over.
    registration = Registration(model=model, push=request.push, quiet=request.quiet, mlflow_run=version.run_id,
                                event=request.event if first else None, contract_from_signature=True)
    return register_captured(root, registration, capture)


def _summary(plan: ImportPlan, changes: list[PlannedAssignment]) -> str:
    registered = sum(1 for v in plan.versions if v.action == "register")
    lines = [f"Aliases of the MLflow registry at {plan.tracking_uri}, imported as the starting assignments.", "",
             f"Imported with it: {len(plan.new_models)} new model(s), {registered} new version(s).", "",
             "| environment | model | MLflow | Charter version | assigned now |", "|---|---|---|---|---|"]
    for a in changes:
        lines.append(f"| {a.environment} | {a.model} | {a.source} → v{a.mlflow_version} | {a.ref or '-'} | "
                     f"{a.current or '-'} |")
    return "\n".join(lines)


"""`charter sync mlflow`: MLflow's aliases made to say what the environment files decided.

Planning is pure: what the registry resolves to in each mapped environment, and what MLflow holds now, give the
list of changes (versions to register or tag, aliases to set, move or remove). Applying it is the adapter's
(`charter.adapters.mlflow.serving`); this module orders the work so that a failure changes as little as it can:
every artifact is fetched and verified before MLflow is written to, and aliases move only after every version
they point at exists.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from charter.adapters.mlflow.serving import MD5_TAG, REF_TAG, MlflowModel, MlflowVersion, Serving, open_serving
from charter.deployment.resolve import Resolution, resolve
from charter.errors import (
    CharterError,
    EnvironmentFileMissing,
    MlflowSyncAmbiguousAlias,
    MlflowSyncArtifactUnavailable,
    MlflowSyncNotConfigured,
    MlflowSyncUnknownModel,
    MlflowSyncVersionDiffers,
    NeitherVersionNorEnvironment,
)
from charter.registry.config import RegistryConfig
from charter.registry.documents import Document
from charter.registry.environments import assignment_items
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS, REGISTRY_FILE
from charter.registry.references import Reference

Action = Literal["set", "move", "remove", "unchanged"]
How = Literal["tagged", "run", "register"]


# --- what the registry decided -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """An alias that must point at a Charter version: the primary resolution of a model in a mapped environment."""

    model: str
    environment: str
    alias: str
    resolution: Resolution

    @property
    def ref(self) -> str:
        return self.resolution.ref


# --- the plan ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionStep:
    """How a Charter version is found in MLflow: by its tag, by its training run, or registered from DVC."""

    model: str
    ref: str
    how: How
    mlflow_version: str | None  # None until a registration made it
    tag: bool  # the version lacks the charter.ref tag and gets it
    document: Document = field(compare=False, repr=False)

    @property
    def changes_mlflow(self) -> bool:
        return self.how == "register" or self.tag

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "ref": self.ref, "found": self.how, "mlflowVersion": self.mlflow_version,
                "tag": self.tag}


@dataclass(frozen=True)
class AliasChange:
    """One alias of one registered model: where it points now, where it must point, and what sync does."""

    model: str
    alias: str
    environment: str | None  # None: an alias Charter did not decide
    action: Action
    before: str | None  # the MLflow version it points at now
    before_ref: str | None  # that version's charter.ref tag, when it has one
    after: str | None  # the MLflow version it must point at (None for a removal, or until registered)
    after_ref: str | None  # the Charter version it must point at

    @property
    def changes_mlflow(self) -> bool:
        return self.action != "unchanged"

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "alias": self.alias, "environment": self.environment, "action": self.action,
                "from": {"mlflowVersion": self.before, "ref": self.before_ref},
                "to": {"mlflowVersion": self.after, "ref": self.after_ref}}


@dataclass(frozen=True)
class SyncPlan:
    """Every change a sync makes, in order: registered models to create, versions, then aliases."""

    tracking_uri: str  # redacted: safe to show
    create_models: tuple[str, ...]
    versions: tuple[VersionStep, ...]
    aliases: tuple[AliasChange, ...]
    applied: bool = False

    @property
    def changes(self) -> int:
        """How many writes to MLflow the plan makes (0: MLflow already serves what was decided)."""
        return (len(self.create_models) + sum(v.changes_mlflow for v in self.versions)
                + sum(a.changes_mlflow for a in self.aliases))

    def to_dict(self) -> dict[str, Any]:
        return {"trackingUri": self.tracking_uri, "applied": self.applied, "changes": self.changes,
                "createModels": list(self.create_models), "versions": [v.to_dict() for v in self.versions],
                "aliases": [a.to_dict() for a in self.aliases]}


def wanted_aliases(index: RegistryIndex, config: RegistryConfig, only: str | None = None) -> list[Wanted]:
    """Each mapped environment's decision for each model assigned there (the primary assignment, as resolve says)."""
    mapping = config.mlflow_aliases
    if not mapping:
        raise MlflowSyncNotConfigured(registry_file=REGISTRY_FILE)
    seen: dict[str, str] = {}
    for env, alias in mapping.items():
        if alias in seen:
            raise MlflowSyncAmbiguousAlias(alias=alias, first=seen[alias], second=env)
        seen[alias] = env
    wanted: list[Wanted] = []
    for env, alias in mapping.items():
        # an environment that cannot be read stops the sync: read as empty, it would remove every alias it serves
        if env not in config.environments:
            raise NeitherVersionNorEnvironment(environment=env, known=", ".join(config.environments))
        env_doc = index.get(Reference("environment", env))
        if env_doc is None:
            raise EnvironmentFileMissing(environment=env)
        for name in sorted({_model_of(item["model"]) for item in assignment_items(env_doc.spec)}):
            if only is None or name == only:
                wanted.append(Wanted(name, env, alias, resolve(index, config, name, env)[0]))
    return wanted


def _model_of(ref: str) -> str:
    return ref.removeprefix("model:").partition("@")[0]


def charter_models(index: RegistryIndex) -> list[str]:
    """Every model name the registry knows: a model entry, or versions of one."""
    names = {d.name for d in index.entries(KINDS["Model"]) if d.name}
    names |= {d.name for d in index.entries(KINDS["ModelVersion"]) if d.name}
    return sorted(names)


def check_model(index: RegistryIndex, model: str | None) -> str | None:
    """The model `--model` names, refused unless the registry has it (a typo would sync nothing, silently)."""
    if model is None:
        return None
    name = model.removeprefix("model:")
    known = charter_models(index)
    if name not in known:
        raise MlflowSyncUnknownModel(model=model, known=", ".join(known) or "none")
    return name


def _run_of(doc: Document) -> dict[str, Any]:
    run = value_at(doc.spec, ("provenance", "run"))
    if not isinstance(run, dict) or run.get("tracker", "mlflow") != "mlflow":
        return {}
    return run


def find_version(model: MlflowModel | None, doc: Document) -> tuple[How, MlflowVersion | None]:
    """The MLflow version that is this Charter version: by tag, else by its training run, else none (register)."""
    if model is None:
        return "register", None
    ref = str(doc.ref)
    versions = sorted(model.versions, key=lambda v: int(v.version) if v.version.isdigit() else 0)
    tagged = [v for v in versions if v.tags.get(REF_TAG) == ref]
    if tagged:
        return "tagged", tagged[0]
    run = _run_of(doc)
    if run:
        # the run's own versions, not yet another Charter version's; a number alone could be another server's
        from_run = [v for v in versions if REF_TAG not in v.tags and (
            (run.get("runId") and v.run_id == run["runId"]) or (run.get("modelUri") and v.source == run["modelUri"]))]
        registered = run.get("registeredModel")
        pinned = [v for v in from_run if isinstance(registered, dict) and registered.get("name") == model.name
                  and str(registered.get("version")) == v.version]
        if pinned or from_run:
            return "run", (pinned or from_run)[0]
    return "register", None


def plan_sync(wanted: Iterable[Wanted], state: dict[str, MlflowModel | None], unmanaged: Iterable[str],
              shown_uri: str) -> SyncPlan:
    """The changes that make MLflow serve what was decided. Pure: `state` is MLflow as read, by governed name.

    `state` holds every governed model: those with a wanted alias (None when MLflow has no such registered model)
    and Charter models MLflow already has. An alias of a governed model that no mapped environment decides is
    removed, unless it is unmanaged.
    """
    keep = set(unmanaged)
    wanted = sorted(wanted, key=lambda w: (w.model, w.alias))
    steps: dict[str, VersionStep] = {}
    claimed: set[tuple[str, str]] = set()
    for w in wanted:
        if w.ref in steps:
            continue
        model = state.get(w.model)
        how, found = find_version(model, w.resolution.version)
        if found is not None and how == "run" and (w.model, found.version) in claimed:
            how, found = "register", None  # two Charter versions of one run: the first one found takes it
        if found is not None:
            claimed.add((w.model, found.version))
        if found is not None and how == "tagged":
            _check_md5(w, found)
        steps[w.ref] = VersionStep(w.model, w.ref, how, found.version if found else None,
                                   tag=how == "run", document=w.resolution.version)
    changes: list[AliasChange] = []
    for name in sorted(state):
        model = state[name]
        now = model.aliases if model is not None else {}
        tags = {v.version: v.tags.get(REF_TAG) for v in model.versions} if model is not None else {}
        decided = {w.alias: w for w in wanted if w.model == name}
        for alias in sorted(decided.keys() | now.keys()):
            before = now.get(alias)
            decision = decided.get(alias)
            if decision is None:
                if alias not in keep:
                    changes.append(AliasChange(name, alias, None, "remove", before, tags.get(before or ""),
                                               None, None))
                continue
            after = steps[decision.ref].mlflow_version
            action: Action = "set" if before is None else "unchanged" if before == after else "move"
            changes.append(AliasChange(name, alias, decision.environment, action, before, tags.get(before or ""),
                                       after, decision.ref))
    create = tuple(sorted({w.model for w in wanted if state.get(w.model) is None}))
    return SyncPlan(shown_uri, create, tuple(steps.values()), tuple(changes))


def _check_md5(w: Wanted, found: MlflowVersion) -> None:
    uploaded = found.tags.get(MD5_TAG)
    expected = w.resolution.artifact.get("hash")
    if uploaded is not None and isinstance(expected, str) and uploaded != expected:
        raise MlflowSyncVersionDiffers(version=found.version, model=w.model, ref=w.ref, actual=uploaded,
                                       expected=expected)


# --- the whole command ---------------------------------------------------------------------------------------------


def sync_mlflow(root: Path, index: RegistryIndex, config: RegistryConfig, tracking_uri: str | None = None, *,
                dry_run: bool = False, model: str | None = None) -> SyncPlan:
    """Read MLflow, plan, and (unless `dry_run`) apply: the plan as applied, with registered version numbers."""
    only = check_model(index, model)
    wanted = wanted_aliases(index, config, only)
    configured = config.mlflow.get("trackingUri")
    serving = open_serving(tracking_uri, configured if isinstance(configured, str) else None)
    names = {w.model for w in wanted} | ({only} if only else set(charter_models(index)))
    state = {name: serving.read_model(name) for name in sorted(names)}
    state = {name: m for name, m in state.items() if m is not None or any(w.model == name for w in wanted)}
    plan = plan_sync(wanted, state, config.mlflow_unmanaged, serving.shown_uri)
    if dry_run or plan.changes == 0:
        return plan
    return apply_plan(root, plan, serving)


def apply_plan(root: Path, plan: SyncPlan, serving: Serving) -> SyncPlan:
    """Make the plan's changes: fetch every artifact first, then register, tag, set and move, and remove last."""
    registering = [s for s in plan.versions if s.how == "register"]
    with tempfile.TemporaryDirectory(prefix="charter-sync-") as scratch:
        folders = {s.ref: _fetch(root, s, Path(scratch) / str(i)) for i, s in enumerate(registering)}
        for name in plan.create_models:
            serving.create_model(name)
        numbers: dict[str, str] = {}
        for step in plan.versions:
            if step.how == "register":
                numbers[step.ref] = serving.register(step.model, step.ref, _md5(step), folders[step.ref])
            elif step.tag and step.mlflow_version is not None:
                serving.tag(step.model, step.mlflow_version, step.ref)
    versions = tuple(replace(s, mlflow_version=numbers.get(s.ref, s.mlflow_version)) for s in plan.versions)
    aliases = tuple(replace(a, after=numbers.get(a.after_ref or "", a.after)) for a in plan.aliases)
    for change in aliases:
        if change.action in ("set", "move") and change.after is not None:
            serving.set_alias(change.model, change.alias, change.after)
    for change in aliases:
        if change.action == "remove":
            serving.remove_alias(change.model, change.alias)
    return replace(plan, versions=versions, aliases=aliases, applied=True)


def _md5(step: VersionStep) -> str:
    digest = value_at(step.document.spec, ("artifact", "hash"))
    return digest if isinstance(digest, str) else ""


def _fetch(root: Path, step: VersionStep, folder: Path) -> Path:
    """The version's artifact, fetched through DVC and hash-verified, as a folder MLflow can upload."""
    from charter.deployment.pull import pull_artifact

    folder.mkdir(parents=True)
    try:
        fetched = pull_artifact(root, step.document, folder, into_folder=True, quiet=True)
    except CharterError as exc:
        raise MlflowSyncArtifactUnavailable(ref=step.ref, problem=exc.message) from exc
    return fetched if fetched.is_dir() else folder

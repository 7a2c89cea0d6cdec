"""MLflow's model registry as Charter reads it: registered models, their versions, aliases and stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from charter.adapters.mlflow.tracking import Tracking, calling

PAGE = 200


@dataclass(frozen=True)
class RegisteredVersion:
    """One version of a registered model: where its files are, the run that made it, what it says of itself."""

    name: str
    version: str
    run_id: str | None
    source: str
    description: str
    tags: dict[str, str]
    stage: str | None

    @property
    def uri(self) -> str:
        """The URI MLflow resolves to exactly this version's files."""
        return f"models:/{self.name}/{self.version}"


@dataclass
class RegisteredModel:
    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)
    versions: list[RegisteredVersion] = field(default_factory=list)


def registered_models(tracking: Tracking, names: list[str] | None = None) -> list[RegisteredModel]:
    """Every registered model (or the ones named), with all its versions in ascending order."""
    client = tracking.client
    with calling(tracking, "list the registered models"):
        if names:
            listed = [client.get_registered_model(name) for name in names]
        else:
            listed = _all_pages(lambda token: client.search_registered_models(max_results=PAGE, page_token=token))
        return [_with_versions(client, model) for model in sorted(listed, key=lambda m: m.name)]


def registered_model(tracking: Tracking, name: str) -> RegisteredModel | None:
    """The registered model `name` with its versions, or None when MLflow has none of that name."""
    from charter.errors import MlflowNotFound

    try:
        with calling(tracking, f"read registered model {name}"):
            model = tracking.client.get_registered_model(name)
    except MlflowNotFound:
        return None
    with calling(tracking, f"list the versions of {name}"):
        return _with_versions(tracking.client, model)


def _with_versions(client: Any, model: Any) -> RegisteredModel:
    entry = RegisteredModel(model.name, model.description or "", dict(model.tags or {}), _aliases(model.aliases))
    versions = _all_pages(lambda token: client.search_model_versions(
        f"name = '{_quoted(model.name)}'", max_results=PAGE, page_token=token))
    entry.versions = sorted((_version(v) for v in versions if v.name == model.name
                             and v.status in (None, "", "READY")),
                            key=lambda v: int(v.version) if v.version.isdigit() else 0)
    return entry


def _all_pages(fetch: Any) -> list[Any]:
    items: list[Any] = []
    token = None
    while True:
        page = fetch(token)
        items.extend(page)
        token = getattr(page, "token", None)
        if not token:
            return items


def _quoted(name: str) -> str:
    return name.replace("\\", "\\\\").replace("'", "\\'")


def _aliases(aliases: Any) -> dict[str, str]:
    """MLflow gives a model's aliases as a mapping or as a list of alias objects, by version of the client."""
    if isinstance(aliases, dict):
        return {str(k): str(v) for k, v in aliases.items()}
    return {str(a.alias): str(a.version) for a in aliases or []}


def _version(version: Any) -> RegisteredVersion:
    stage = version.current_stage if version.current_stage not in (None, "", "None") else None
    return RegisteredVersion(name=version.name, version=str(version.version), run_id=version.run_id or None,
                             source=version.source or "", description=version.description or "",
                             tags=dict(version.tags or {}), stage=stage)

"""`resolve`: what should run where. Environment files say it; this reads them and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from charter.errors import (
    AssignedEntryMissing,
    EnvironmentFileMissing,
    NeitherVersionNorEnvironment,
    NoModel,
    NoReleasedVersion,
    NoSelector,
    NoSuchModelVersion,
    NotAModelName,
    NotAssigned,
    VersionAndEnvironment,
)
from charter.registry.config import RegistryConfig
from charter.registry.documents import Document
from charter.registry.environments import assignment_items
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS, NAME_RE, SEMVER_RE
from charter.registry.references import Reference

#: Rollout modes in the order a deploy system should treat them: the full assignment is the primary.
MODE_ORDER = {"full": 0, "canary": 1, "shadow": 2}


@dataclass(frozen=True)
class Resolution:
    """One model version that should run, and everything a deploy system needs to run it."""

    version: Document
    environment: str | None
    mode: str
    percent: float | None

    @property
    def ref(self) -> str:
        return str(self.version.ref)

    @property
    def artifact(self) -> dict[str, Any]:
        artifact = value_at(self.version.spec, ("artifact",))
        return artifact if isinstance(artifact, dict) else {}

    @property
    def contract(self) -> str | None:
        contract = value_at(self.version.spec, ("contract",))
        return contract if isinstance(contract, str) else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "model": self.version.name,
            "version": self.version.version,
            "environment": self.environment,
            "mode": self.mode,
            "percent": self.percent,
            "status": self.version.status,
            "artifact": self.artifact,
            "contract": self.contract,
            "path": self.version.path,
        }


def parse_model_selector(text: str) -> tuple[str, str | None]:
    """`sepsis-risk`, `model:sepsis-risk`, `model:sepsis-risk@1.1.0|latest|production` → (name, selector)."""
    body = text.removeprefix("model:")
    name, _, selector = body.partition("@")
    if not NAME_RE.match(name):
        raise NotAModelName(text=text)
    return name, selector or None


def resolve(index: RegistryIndex, config: RegistryConfig, model: str, environment: str | None) -> list[Resolution]:
    """The versions of `model` that should run: in an environment, or the one a selector names."""
    name, selector = parse_model_selector(model)
    if environment is not None and selector is not None:
        raise VersionAndEnvironment(model=model)
    if index.get(Reference("model", name)) is None and not index.versions(KINDS["ModelVersion"], name):
        raise NoModel(model=name)
    if selector is None and environment is None:
        raise NoSelector()
    if selector is not None and SEMVER_RE.match(selector):
        return [Resolution(_version(index, name, selector), None, "pinned", None)]
    if selector == "latest":
        return [Resolution(_latest(index, name), None, "latest", None)]
    return _in_environment(index, config, name, environment or selector or "")


def _version(index: RegistryIndex, name: str, version: str) -> Document:
    doc = index.get(Reference("model", name, version))
    if doc is None:
        known = ", ".join(d.version or "" for d in index.versions(KINDS["ModelVersion"], name)) or "none"
        raise NoSuchModelVersion(model=name, version=version, known=known)
    return doc


def _latest(index: RegistryIndex, name: str) -> Document:
    released = [d for d in index.versions(KINDS["ModelVersion"], name) if d.status in ("active", "deprecated")]
    if not released:
        raise NoReleasedVersion(model=name)
    return released[-1]


def _in_environment(index: RegistryIndex, config: RegistryConfig, name: str, environment: str) -> list[Resolution]:
    if config.environments and environment not in config.environments:
        raise NeitherVersionNorEnvironment(environment=environment, known=", ".join(config.environments))
    env_doc = index.get(Reference("environment", environment))
    if env_doc is None:
        raise EnvironmentFileMissing(environment=environment)
    found: list[Resolution] = []
    for assignment in assignment_items(env_doc.spec):
        ref = assignment["model"]
        if not ref.startswith(f"model:{name}@"):
            continue
        doc = index.get(ref)
        if doc is None:
            raise AssignedEntryMissing(path=env_doc.path, ref=ref)
        percent = assignment.get("percent")
        found.append(Resolution(doc, environment, str(assignment.get("mode", "full")),
                                float(percent) if isinstance(percent, int | float) else None))
    if not found:
        raise NotAssigned(model=name, environment=environment, path=env_doc.path)
    return sorted(found, key=lambda r: MODE_ORDER.get(r.mode, len(MODE_ORDER)))

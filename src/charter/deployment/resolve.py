"""`resolve`: what should run where. Environment files say it; this reads them and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from charter.errors import CharterError
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
        raise CharterError(f"{text!r} does not name a model",
                           "write the model's name, or model:NAME@VERSION, model:NAME@latest, model:NAME@ENV")
    return name, selector or None


def resolve(index: RegistryIndex, config: RegistryConfig, model: str, environment: str | None) -> list[Resolution]:
    """The versions of `model` that should run: in an environment, or the one a selector names."""
    name, selector = parse_model_selector(model)
    if environment is not None and selector is not None:
        raise CharterError(f"{model!r} already names a version or environment; drop --env or the @ part")
    if index.get(Reference("model", name)) is None and not index.versions(KINDS["ModelVersion"], name):
        raise CharterError(f"there is no model {name!r}", "list models with `charter list model`")
    if selector is None and environment is None:
        raise CharterError("say which environment (--env ENV) or version (model:NAME@VERSION, @latest)")
    if selector is not None and SEMVER_RE.match(selector):
        return [Resolution(_version(index, name, selector), None, "pinned", None)]
    if selector == "latest":
        return [Resolution(_latest(index, name), None, "latest", None)]
    return _in_environment(index, config, name, environment or selector or "")


def _version(index: RegistryIndex, name: str, version: str) -> Document:
    doc = index.get(Reference("model", name, version))
    if doc is None:
        known = ", ".join(d.version or "" for d in index.versions(KINDS["ModelVersion"], name)) or "none"
        raise CharterError(f"model:{name}@{version} does not exist", f"versions of {name}: {known}")
    return doc


def _latest(index: RegistryIndex, name: str) -> Document:
    released = [d for d in index.versions(KINDS["ModelVersion"], name) if d.status in ("active", "deprecated")]
    if not released:
        raise CharterError(f"model {name!r} has no released version (all are draft or retired)")
    return released[-1]


def _in_environment(index: RegistryIndex, config: RegistryConfig, name: str, environment: str) -> list[Resolution]:
    if config.environments and environment not in config.environments:
        raise CharterError(f"{environment!r} is neither a version nor an environment of this registry",
                           f"environments: {', '.join(config.environments)}; or use a semver version, or latest")
    env_doc = index.get(Reference("environment", environment))
    if env_doc is None:
        raise CharterError(f"environment {environment!r} has no file environments/{environment}.yaml")
    found: list[Resolution] = []
    for assignment in assignment_items(env_doc.spec):
        ref = assignment["model"]
        if not ref.startswith(f"model:{name}@"):
            continue
        doc = index.get(ref)
        if doc is None:
            raise CharterError(f"{env_doc.path} assigns {ref}, which does not exist", "run `charter validate`")
        percent = assignment.get("percent")
        found.append(Resolution(doc, environment, str(assignment.get("mode", "full")),
                                float(percent) if isinstance(percent, int | float) else None))
    if not found:
        raise CharterError(f"model {name!r} has no assignment in {environment}",
                           f"promote a version there first (see {env_doc.path})")
    return sorted(found, key=lambda r: MODE_ORDER.get(r.mode, len(MODE_ORDER)))

"""The registry's own configuration, `registry.yaml`: environments in promotion order, policy, remotes."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charter.errors import NoSuchDirectory, NotARegistry
from charter.registry.documents import Document
from charter.registry.kinds import REGISTRY_FILE


@dataclass
class RegistryConfig:
    """Read leniently: a malformed registry.yaml is reported by validation, never crashes a reader."""

    document: Document | None
    environments: list[str] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=dict)
    naming: dict[str, Any] = field(default_factory=dict)
    risk_tiers: dict[str, Any] = field(default_factory=dict)
    mlflow: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_document(cls, doc: Document | None) -> RegistryConfig:
        spec = doc.spec if doc is not None and isinstance(doc.spec, dict) else {}
        envs = spec.get("environments")
        names = [e["name"] for e in envs if isinstance(e, dict) and isinstance(e.get("name"), str)] \
            if isinstance(envs, list) else []
        return cls(doc, names, _mapping(spec.get("policy")), _mapping(spec.get("naming")),
                   _mapping(spec.get("riskTiers")), _mapping(spec.get("mlflow")))

    @property
    def mlflow_aliases(self) -> dict[str, str]:
        """`spec.mlflow.aliases`: environment -> MLflow alias, the well-formed pairs only."""
        aliases = _mapping(self.mlflow.get("aliases"))
        return {env: alias for env, alias in aliases.items() if isinstance(alias, str)}

    @property
    def mlflow_unmanaged(self) -> list[str]:
        """`spec.mlflow.unmanagedAliases`: aliases `charter sync mlflow` never sets or removes."""
        given = self.mlflow.get("unmanagedAliases")
        return [a for a in given if isinstance(a, str)] if isinstance(given, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def find_registry_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds registry.yaml (as git finds .git)."""
    start = start.resolve()
    if not start.exists():
        raise NoSuchDirectory(start=start)
    here = start if start.is_dir() else start.parent
    for folder in (here, *here.parents):
        if (folder / REGISTRY_FILE).is_file():
            return folder
    raise NotARegistry(start=start)


#: A DVC remote URL with a scheme (s3://, gs://, ssh://, azure://); any other URL names a local folder.
_REMOTE_SCHEME = re.compile(r"^\w+://")


def remote_is_relative(url: str) -> bool:
    """Whether a DVC remote URL is a local folder written relative to the registry root (`../charter-artifacts`)."""
    return not _REMOTE_SCHEME.match(url) and not url.startswith("~") and not Path(url).is_absolute()


def remote_folder(root: Path, url: str) -> Path | None:
    """The local folder a DVC remote URL of registry.yaml names; None for a remote with a scheme (s3://, ...).

    A relative folder is relative to the registry root, so a clone with the folder beside it finds its own copy;
    `~` is the home folder, and an absolute folder is itself.
    """
    if _REMOTE_SCHEME.match(url):
        return None
    return Path(os.path.normpath(root / Path(url).expanduser()))  # `..` as DVC reads it: by name, not by links

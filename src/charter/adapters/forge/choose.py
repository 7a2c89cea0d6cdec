"""Which forge: the client registry.yaml's `spec.forge` configures, and a forge's compare link by its type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from charter.adapters.forge.base import TIMEOUT, ForgeClient, parse_remote
from charter.adapters.forge.github import GitHubClient
from charter.adapters.forge.gitlab import GitLabClient
from charter.errors import NoCompareLink, UnknownForgeType

FORGES: dict[str, type[ForgeClient]] = {"github": GitHubClient, "gitlab": GitLabClient}
FORGE_TYPES = (*FORGES, "none")


def forge_for(config: Mapping[str, Any] | None, remote_url: str | None, env: Mapping[str, str], *,
              timeout: float = TIMEOUT) -> ForgeClient | None:
    """The client for registry.yaml's `spec.forge`; None for no forge (`type: none` or no `forge` at all);
    `ForgeUnavailable` where one is configured but cannot be used here (no token in the environment, no
    repository to be found). Each forge's `configured` says where it looks."""
    forge_type = (config or {}).get("type", "none")
    if forge_type == "none":
        return None
    forge = FORGES.get(forge_type) if isinstance(forge_type, str) else None  # YAML may hold any value here
    if forge is None:
        raise UnknownForgeType(forge_type=forge_type, known=", ".join(FORGE_TYPES))
    return forge.configured(config or {}, parse_remote(remote_url) if remote_url else None, env, timeout=timeout)


def compare_link(forge_type: str, web_base: str, repository: str, base: str, head: str) -> str:
    """The web page where a person opens the pull/merge request from `head` into `base` by hand."""
    forge = FORGES.get(forge_type)
    if forge is None:
        raise NoCompareLink(forge_type=forge_type)
    return forge.compare_link(web_base, repository, base, head)

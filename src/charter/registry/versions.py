"""Version precedence, by semver's rules (pre-releases sort before their release)."""

from __future__ import annotations

from typing import Any

from charter.registry.kinds import SEMVER_RE


def version_key(text: str) -> Any:
    """A sort key; versions that are not semver sort first, so they never pass for the latest."""
    if not SEMVER_RE.match(text):
        return (0, text)
    import semver

    return (1, semver.Version.parse(text))

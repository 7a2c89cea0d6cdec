"""Semantic versions: precedence, bumps and the next version of an entry, by semver's rules, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from charter.registry.kinds import SEMVER_RE

Bump = Literal["major", "minor", "patch"]
BUMPS: tuple[Bump, ...] = ("major", "minor", "patch")


def is_semver(text: Any) -> bool:
    """Text in semver.org's grammar (the schema check reports anything else)."""
    return isinstance(text, str) and SEMVER_RE.match(text) is not None


def version_key(text: str) -> Any:
    """A sort key; versions that are not semver sort first, so they never pass for the latest."""
    if not is_semver(text):
        return (0, text)
    import semver

    return (1, semver.Version.parse(text))


def latest_version(versions: Iterable[str]) -> str | None:
    """The highest of `versions` by semver precedence; None when there are none."""
    return max(versions, key=version_key, default=None)


def major_of(version: str | None) -> int | None:
    """The major number of a semver version; None for anything else."""
    if not is_semver(version):
        return None
    assert version is not None
    return int(version.split(".", 1)[0])


def next_major(version: str) -> str:
    """The first release of the next major version (`1.4.2` → `2.0.0`); a breaking change must reach it."""
    return f"{(major_of(version) or 0) + 1}.0.0"


def bump_version(version: str, part: Bump) -> str:
    """The next version after semver `version` (1.2.3 → major 2.0.0, minor 1.3.0, patch 1.2.4)."""
    import semver

    parsed = semver.Version.parse(version)
    if part == "major":
        return str(parsed.bump_major())
    if part == "minor":
        return str(parsed.bump_minor())
    return str(parsed.bump_patch())


def next_version(existing: Iterable[str], first: str) -> str:
    """The version a new release of an entry gets: its latest version's minor bump, or `first` for a new entry."""
    latest = latest_version(existing)
    return first if latest is None else bump_version(latest, "minor")

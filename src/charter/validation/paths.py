"""Paths that a checkout on another machine would get wrong, or that a person would read as something else.

Entry paths become git arguments, branch names and file names on macOS and Windows checkouts. A path with
characters outside plain ASCII can hold a look-alike (Cyrillic a, U+0430, for Latin a), one with shell or option
characters invites injection where it is pasted, and two paths that differ only in case are one file on a
case-insensitive file system: whichever is checked out last silently wins.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from charter.registry.files import is_utf8
from charter.registry.findings import Finding, finding

#: What a path segment of a registry may hold: the name and version characters, dots and underscores.
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_.+-]+$")


def _unsafe(relpath: str) -> tuple[str, dict[str, object]] | None:
    """Why the path is unsafe (its CH307 finding's key and fields), or None (a name that is not UTF-8 too: reading
    it reports that, see `read_raw`)."""
    if not is_utf8(relpath):
        return None
    for segment in relpath.split("/"):
        if not segment.isascii():
            odd = next(c for c in segment if not c.isascii())
            return "CH307.ascii", {"segment": segment, "character": odd, "codepoint": ord(odd),
                                   "name": unicodedata.name(odd, "unnamed")}
        if segment.startswith("-"):
            return "CH307.option", {"segment": segment}
        if segment in (".", "..") or not _SAFE_SEGMENT.match(segment):
            shown = next((c for c in segment if not re.match(r"[A-Za-z0-9_.+-]", c)), segment)
            return "CH307", {"segment": segment, "character": shown}
    return None


def folded(relpath: str) -> str:
    """A path as a case-insensitive file system (and Unicode normalisation) sees it."""
    return unicodedata.normalize("NFKC", relpath).casefold()


def check_paths(files: Iterable[str], selected: set[str]) -> list[Finding]:
    """CH307 for unsafe characters, CH308 for paths that collide on a case-insensitive file system."""
    findings: list[Finding] = []
    by_folded: dict[str, list[str]] = {}
    for relpath in sorted(files):
        by_folded.setdefault(folded(relpath), []).append(relpath)
        if relpath not in selected:
            continue
        reason = _unsafe(relpath)
        if reason is not None:
            findings.append(finding(reason[0], relpath, (1, 1), **reason[1]))
    for group in by_folded.values():
        if len(group) < 2:
            continue
        for relpath in group:
            if relpath in selected:
                others = ", ".join(p for p in group if p != relpath)
                findings.append(finding("CH308", relpath, (1, 1), others=others))
    return findings

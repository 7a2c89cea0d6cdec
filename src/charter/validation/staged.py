"""`validate --staged`: the registry as the commit being made would record it (the pre-commit hook).

What is checked is the index, not the work tree: a file deleted with `git rm` is gone, one staged and then edited
again is checked as staged, and one whose deletion is staged is gone even if it is back in the work tree. The
files checked are the ones `--base HEAD` would check for that change (`validation.scope`): every file the index
holds added, modified or renamed since HEAD, and the files that refer to what they hold; a deletion, or a change to
what every entry is checked against, checks every file. So an entry that still refers to a deleted one is
reported (CH401) against that entry. History is not checked (`--base` does that, in CI): a commit being amended
is compared with HEAD, the very commit it replaces.

The registry is the one the start folder is in; when it is in none (a pre-commit hook runs at the top of the
repository, and the registry may be a sub-folder of it), it is every registry below the start folder that holds a
staged change, each known by its registry.yaml in the index.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from charter.adapters.git.repo import repository_top, resolve_commit
from charter.adapters.git.staged import StagedIndex, staged_paths
from charter.errors import NotARegistry
from charter.registry.codeowners import CODEOWNERS_FILE
from charter.registry.config import find_registry_root
from charter.registry.documents import Document
from charter.registry.findings import Finding
from charter.registry.kinds import ENTRY_FOLDERS, REGISTRY_FILE
from charter.store.cache import ParseCache
from charter.store.snapshot import SnapshotRegistry
from charter.validation.runner import ValidationReport, check_selected
from charter.validation.scope import SHARED_INPUTS


def validate_staged(start: Path, *, all_files: bool = False, use_cache: bool = True) -> ValidationReport:
    """Check what the index holds of the registry at or above `start`, or of each registry below it that holds a
    staged change (findings then name their files from `start`). `all_files`: every file of the registry as the
    index holds it, staged or not. Nothing staged in a registry: an empty report, quickly."""
    try:
        root = find_registry_root(start)
    except NotARegistry:
        top, changed, folders = staged_paths(start.resolve())
        roots = sorted({folder for path in changed for folder in [_registry_of(path, folders)] if folder is not None})
        report = ValidationReport(start.resolve())
        for folder in roots:
            found, files = _check(top / folder, all_files=all_files, use_cache=use_cache)
            shown = (top / folder).relative_to(report.root).as_posix()
            report.findings += [replace(f, path=f"{shown}/{f.path}") if shown != "." else f for f in found]
            report.files_checked += files
        report.findings.sort(key=lambda f: f.sort_key)
        return report
    findings, files = _check(root, all_files=all_files, use_cache=use_cache)
    return ValidationReport(root, sorted(findings, key=lambda f: f.sort_key), files)


def _registry_of(path: str, folders: set[str]) -> str | None:
    """The folder of the nearest registry.yaml above a repository-relative path, if any."""
    folder = path
    while folder:
        folder = folder.rpartition("/")[0]
        if folder in folders:
            return folder
    return None


def _check(root: Path, *, all_files: bool, use_cache: bool) -> tuple[list[Finding], int]:
    """The findings of the registry at `root` as its index holds it, and how many files were checked."""
    top, prefix = repository_top(root)
    head = resolve_commit(root, "HEAD")
    index = StagedIndex(root, top, prefix, head)
    if not all_files and head is not None and not index.changes((*SHARED_INPUTS, *ENTRY_FOLDERS)):
        return [], 0  # nothing of the registry staged: the hook's usual case, answered by one `git diff`
    cache = ParseCache.open(root) if use_cache else None
    registry = SnapshotRegistry(root, index.tree((REGISTRY_FILE, CODEOWNERS_FILE, *ENTRY_FOLDERS)), index, cache)
    scope = None
    if not all_files and head is not None:
        from charter.adapters.git.revision import RevisionReader
        from charter.validation.released import BaseDocuments
        from charter.validation.scope import changed_scope

        reader = RevisionReader(root, head)
        at_base = BaseDocuments(reader, cache)

        def current(relpaths: list[str]) -> dict[str, Document | None]:
            registry.read_many(relpaths)
            return {relpath: registry.read(relpath)[0] for relpath in relpaths}

        scope = changed_scope(root, reader, cache, at_base=at_base.of, current=current, staged=(index, registry))
    selected = scope if scope is not None else set(registry.files)
    findings = check_selected(registry, selected, whole=scope is None)
    if cache is not None:
        cache.flush()
    return findings, len(selected)

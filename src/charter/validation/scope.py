"""What `validate --base` must look at: the files a change touched and the files that refer to what they hold.

A registry at the base revision was checked when it landed, so a change can only break the files it touches and
those whose checks read them: the entries that refer to a touched entry (an unresolved or retired reference),
and for a contract the evaluations of the versions that use it (checked against its invariants). Some files are
read by the checks of every entry (registry.yaml, the schemas, CODEOWNERS, a model family's file, the set of
environment files); a change to one of them is checked against the whole registry. So is a change that removes an
entry (registry.yaml's policy may name it) or gives a folder an owner it did not have (CODEOWNERS lists the
owners of each entry folder, so registry.yaml's CH508 would change).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from charter.adapters.git.files import converted_files, untracked_files
from charter.adapters.git.revision import Change, RevisionReader, literal_pathspec, within
from charter.adapters.git.run import in_background
from charter.registry.documents import Document
from charter.registry.kinds import ENTRY_FOLDERS, REGISTRY_FILE, locate_path
from charter.store.cache import ParseCache
from charter.store.loader import EntryGroups
from charter.validation.mentions import Mentions

if TYPE_CHECKING:
    from charter.adapters.git.staged import StagedIndex
    from charter.store.snapshot import SnapshotRegistry

#: Files outside the entry folders that every entry's checks read.
SHARED_INPUTS = (REGISTRY_FILE, ".charter", "CODEOWNERS")


#: Documents of registry-relative paths (None where there is none), at the base revision or in the work tree.
Documents = Callable[[list[str]], dict[str, Document | None]]


def changed_scope(root: Path, reader: RevisionReader, cache: ParseCache | None, *, at_base: Documents,
                  current: Documents, meanwhile: Callable[[], object] | None = None,
                  staged: tuple[StagedIndex, SnapshotRegistry] | None = None) -> set[str] | None:
    """Registry-relative paths to check for the change since `reader`'s revision (work tree and untracked files
    included), or None when the change touches what every entry is checked against. `cache` (the parse cache)
    spares reading every file to find the referrers (see `validation.mentions`); `meanwhile` is work of the
    caller's that does not need the answer, done while git works; `at_base` and `current` read documents for the
    owners' check (the caller's, so that what they parse is parsed once).

    With `staged` (the index, and the registry it holds), the change is the index's since the revision (HEAD), and
    every file is as the index holds it: untracked files are no part of it, and git converts nothing."""
    cut = len(reader.prefix) + 1 if reader.prefix else 0
    entry_specs = [literal_pathspec(reader.repo_path(folder)) for folder in ENTRY_FOLDERS]
    # independent questions to git, asked at once: each walks or reads the work tree or the base tree
    untracked: Callable[[], set[str]] = set
    if staged is None:
        untracked = in_background(lambda: untracked_files(reader.top, entry_specs))
    converted: Callable[[], set[str]] = set
    if cache is not None:  # for finding the referrers without reading every file (and the compatibility check)
        reader.start_tree(ENTRY_FOLDERS)
        if staged is None:
            converted = in_background(lambda: converted_files(reader.top, entry_specs))
    changed = staged[0].changes if staged is not None else reader.changes
    diff = in_background(lambda: changed((*SHARED_INPUTS, *ENTRY_FOLDERS)))  # one, reused by later checks
    if meanwhile is not None:
        meanwhile()
    every, new = diff(), {p[cut:] for p in untracked()}
    if any(within(c.path, SHARED_INPUTS) for c in every):
        return None
    changes = [c for c in every if within(c.path, ENTRY_FOLDERS)]
    touched = {c.path for c in changes} | new
    if any(c.status != "M" for c in changes if c.path.startswith("environments/")) or any(
            p.startswith("environments/") for p in touched.difference(c.path for c in changes)):
        return None  # an environment file added or removed: registry.yaml's declarations are checked again
    for path in touched:
        location = locate_path(path)
        if location is not None and location.kind.name == "Model":
            return None  # its owner and risk tier are read by every version's checks and by CODEOWNERS
    groups = staged[1].groups if staged is not None else EntryGroups(root)
    if any(c.status == "D" for c in changes) or _owners_change(groups, changes, new, at_base, current):
        return None
    mentions = Mentions(reader, touched, cache, converted, staged[0] if staged is not None else None)

    def referrers(paths: set[str]) -> set[str]:
        needles = {f"{loc.kind.prefix}:{loc.name}" for path in paths for loc in [locate_path(path)] if loc is not None}
        return mentions.files_containing(needles)

    scope = touched | referrers(touched)
    if any(loc is not None and loc.kind.name == "Contract" for loc in map(locate_path, touched)):
        # an evaluation's checks read its version's contract (declared invariants): one step further
        versions = {p for p in scope - touched
                    if (loc := locate_path(p)) is not None and loc.kind.name == "ModelVersion"}
        scope |= referrers(versions)
    if staged is not None:
        return {path for path in scope if staged[1].exists(path)}
    return {path for path in scope if (root / path).exists() or (root / path).is_symlink()}


def _owners_change(groups: EntryGroups, changes: list[Change], new: set[str], at_base: Documents,
                   current: Documents) -> bool:
    """Whether a modified entry has another owner than at the base, or an added one an owner that no other entry of
    its folder has: CODEOWNERS (and so registry.yaml's CH508) depends on the owners of each entry folder."""
    modified = sorted(c.path for c in changes if c.status == "M")
    added = sorted({c.path for c in changes if c.status == "A"} | new)
    now, before = current([*modified, *added]), at_base(modified)
    if any(_owner(before[path]) != _owner(now[path]) for path in modified):
        return True
    for path in added:
        owner = _owner(now[path])
        if not owner:
            continue
        folder, _, rest = path.partition("/")
        siblings = [p for p in groups.files(folder, rest.partition("/")[0]) if p != path and p not in added]
        if owner not in {_owner(doc) for doc in current(siblings).values()}:
            return True
    return False


def _owner(doc: Document | None) -> str:
    return doc.owner if doc is not None else ""


"""Undo what a killed writer left in the work tree, before anything reads it.

A change (`authoring.change`) journals the files it is about to create in the git directory. A writer killed before
its commit leaves those files untracked and its journal behind; the next change undoes them. A command that only
reads (status, list, report, ...) must not show them either: a record that never landed is not a fact. So every
load of a registry first looks for such journals (a few stat calls, no git process when there are none), and if it
finds one whose writer is gone (the repository lock is free), undoes it under the lock. A journal whose writer still
holds the lock is a change under way, and is left to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from charter.errors import CharterError
from charter.store.transaction import Journal, lock_held, remove_created, repository_lock, write_text_atomic

_JOURNALS = "charter-*-journal.json"


def undo_interrupted(git_dir: Path, top: Path) -> list[str]:
    """Undo every change a killed command left journalled (call under the lock); the commands they were.

    Promote's journal names no files in the work tree (it works in a worktree of its own) and is left to promote.
    """
    undone = []
    for path in sorted(git_dir.glob(_JOURNALS)):
        journal = Journal(git_dir, path.name.removeprefix("charter-").removesuffix("-journal.json"))
        record = journal.read()
        if record is None or "created" not in record:
            continue
        undo_record(record, top)
        journal.end()
        undone.append(str(record.get("command")))
    remove_created(git_dir, [p.name for p in git_dir.glob(".charter-*-journal.json.*.tmp")])  # a killed journal write
    return undone


def undo_record(record: dict[str, Any], top: Path) -> None:
    """Unstage and remove what a journal names, unless its entry is committed at HEAD of its work tree."""
    from charter.adapters.git.repo import committed_at_head, open_repository, unstage

    written_in = record.get("top")
    tree = Path(written_in) if isinstance(written_in, str) else top  # a journal of another worktree names its own
    created, entry, restore = record.get("created"), record.get("entry"), record.get("restore")
    paths = [p for p in created if isinstance(p, str)] if isinstance(created, list) else []
    rewritten = {p: t for p, t in restore.items() if isinstance(p, str) and isinstance(t, str)
                 and _inside(tree, p)} if isinstance(restore, dict) else {}
    if not paths or not tree.is_dir():
        return
    try:
        repo = open_repository(tree)
    except CharterError:
        return  # that worktree is gone, and what was written in it with it
    if isinstance(entry, str) and committed_at_head(repo, entry):
        return
    unstage(repo, paths + list(rewritten))  # staged by a `git add` that ran before the kill
    remove_created(tree, paths)
    for path, text in rewritten.items():  # a file the change rewrote (CODEOWNERS) gets its text back
        write_text_atomic(tree / path, text)


def _inside(top: Path, relpath: str) -> bool:
    """A journal is Charter's own file, but a path in it must never send a write outside the work tree."""
    target = (top / relpath).resolve()
    return target != top.resolve() and target.is_relative_to(top.resolve())


def recover_interrupted(root: Path) -> None:
    """Before a registry is read: undo the changes of writers that were killed, if their lock is free."""
    git_dir = _git_dir_of(root)
    if git_dir is None or lock_held(git_dir) or not any(_has_work_tree_journal(p) for p in git_dir.glob(_JOURNALS)):
        return  # no repository, a change of this very process under way (it undid the others), or nothing to undo
    from charter.adapters.git.repo import locate_repository
    from charter.errors import RepositoryBusy

    found = locate_repository(root)
    if found is None:
        return
    try:
        with repository_lock(found[0], "read", wait=0.0):
            undo_interrupted(*found)
    except RepositoryBusy:
        return  # a writer is at work: what it wrote is its to finish or undo
    except OSError:
        return  # a read-only repository: nothing can be undone here, and reading goes on


def _has_work_tree_journal(path: Path) -> bool:
    return "created" in (Journal(path.parent, path.name.removeprefix("charter-").removesuffix("-journal.json"))
                         .read() or {})


def _git_dir_of(root: Path) -> Path | None:
    """The git directory shared by every worktree of the repository around `root`, found without a git process
    (this runs before every read): the nearest `.git` folder, or the folder a `.git` file (a worktree) names."""
    for folder in (root.absolute(), *root.absolute().parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            try:
                line = dot_git.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                return None
            if not line.startswith("gitdir:"):
                return None
            own = (folder / line.removeprefix("gitdir:").strip()).resolve()
            try:
                common = (own / "commondir").read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                return own
            return (own / common).resolve()
    return None

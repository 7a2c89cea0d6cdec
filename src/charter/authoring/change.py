"""One change to a repository at a time, whole or nothing even across a kill: the lock, the journal, the undo.

Every command that writes into a registry's work tree (register, new, evaluate record, monitor record, codeowners)
runs its choose-a-name → write → validate → commit inside `change()`. The repository lock makes parallel writers
take turns, so a version is chosen knowing every earlier one and Charter never contends for git's index.lock with
itself. The journal, written before the first file is, names what the change creates; the next change (of any of
these commands) undoes one that was killed part-way, unless its commit landed. A full disk or a read-only file
system is said as such, naming the path.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.errors import storage_error
from charter.store.recovery import undo_interrupted, undo_record
from charter.store.transaction import Journal, repository_lock

if TYPE_CHECKING:
    from charter.adapters.git.repo import Repository


@dataclass
class Change:
    """A change under way in the registry at `root`; paths given to it are registry-relative."""

    root: Path
    command: str
    top: Path  # the work tree's top folder: git takes paths from there, and the journal names them from there
    journal: Journal | None  # None: a registry outside git, written without lock or journal (only `new`)
    record: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def repo(self) -> Repository:
        """GitPython's repository, opened only by the changes that commit or read git's configuration."""
        from charter.adapters.git.repo import open_repository

        return open_repository(self.top)

    def git_path(self, relpath: str | Path) -> str:
        """`relpath` (registry-relative) as git names it, from the top of the work tree."""
        return (self.root.resolve().relative_to(self.top) / relpath).as_posix()

    def begin(self, *paths: str | Path, entry: str | Path | None = None) -> None:
        """Journal what this change is about to create, before it creates any of it.

        Each path is recorded as its highest folder that does not exist yet (or itself), so an undo takes away
        exactly what the change added. `entry` is the file whose commit means the change landed.
        """
        created = []
        for relpath in paths:
            first_new = Path(relpath)
            while first_new.parent != Path() and not (self.root / first_new.parent).exists():
                first_new = first_new.parent
            created.append(self.git_path(first_new))
        self.record = {"command": self.command, "top": str(self.top), "created": created,
                       "entry": self.git_path(entry) if entry is not None else None}
        if self.journal is not None:
            self.journal.write(self.record)

    def restore_on_undo(self, git_path: str, text: str) -> None:
        """Journal the text of a file this change is about to rewrite (`git_path`, from the top of the work tree),
        so an undo, now or after a kill, puts it back."""
        self.record.setdefault("restore", {})[git_path] = text
        if self.journal is not None:
            self.journal.write(self.record)

    def commit(self, message: str, paths: list[str], also: list[str] | None = None) -> str:
        """Commit `paths` (registry-relative) and `also` (from the top of the work tree), and nothing else."""
        from charter.adapters.git.repo import commit_paths

        return commit_paths(self.repo, message, [self.git_path(p) for p in paths] + (also or []))

    def undo(self) -> None:
        """Take back what `begin` announced (unstaged and removed), unless its commit landed."""
        if self.record:
            undo_record(self.record, self.top)


@contextlib.contextmanager
def change(root: Path, command: str, *, needs_git: bool = True) -> Iterator[Change]:
    """The repository lock held, an interrupted change undone, and this one undone again if it fails.

    A registry outside any git repository is written only where `needs_git` is False (nothing commits), then without
    lock or journal: a single atomic write needs neither.
    """
    try:
        with _changing(root, command, needs_git) as current:
            yield current
    except OSError as exc:
        failure = storage_error(root, error=exc)
        if failure is None:
            raise
        raise failure from exc


@contextlib.contextmanager
def _changing(root: Path, command: str, needs_git: bool) -> Iterator[Change]:
    from charter.adapters.git.repo import locate_repository, open_repository

    found = locate_repository(root)
    if found is None:
        if needs_git:
            open_repository(root)  # says why there is no repository here
        yield Change(root, command, root.resolve(), None)
        return
    git_dir, top = found
    with repository_lock(git_dir, command):
        undo_interrupted(git_dir, top)
        current = Change(root, command, top, Journal(git_dir, command.replace(" ", "-")))
        try:
            yield current
        except BaseException:
            current.undo()
            raise
        finally:
            assert current.journal is not None
            current.journal.end()

"""A registry (which may be a sub-folder of its repository) as it was at one revision: its changes since, files
and trees. Plain `git` processes, batched and remembered: `validate --base` on a small change must not pay
GitPython's import, nor ask git the same question twice."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from charter.adapters.git.log import read_objects
from charter.adapters.git.repo import open_repository, repository_top, resolve_commit
from charter.adapters.git.run import in_background, run_git
from charter.errors import CharterError, NotARevision, RevisionReadFailed, UnknownBaseRevision

if TYPE_CHECKING:
    from charter.adapters.git.repo import Repository


@dataclass(frozen=True)
class Change:
    """A file that differs between a revision and the work tree, registry-relative."""

    status: str  # A, M or D
    path: str


class RevisionReader:
    """Reads a registry (which may be a sub-folder of its repository) as it was at one revision."""

    def __init__(self, root: Path, revision: str) -> None:
        if revision.startswith("-"):
            raise NotARevision(revision=revision)
        self.root = root
        self.top, self.prefix = repository_top(root)
        try:
            commit = resolve_commit(root, revision)
        except CharterError:
            commit = None
        if commit is None:
            raise UnknownBaseRevision(revision=revision)
        self.commit = commit
        self.revision = revision
        # what one run asks several times (the scope, the history and the compatibility checks): asked of git once
        self._diffs: dict[str | None, tuple[tuple[str, ...], list[Change]]] = {}
        self._blobs: dict[str, bytes | None] = {}
        self._trees: dict[tuple[str, ...], Callable[[], str]] = {}  # `git ls-tree` output

    @cached_property
    def repo(self) -> Repository:
        """The repository through GitPython, for the few callers that need more than reading (the forge's remote)."""
        return open_repository(self.root)

    def repo_path(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def _git(self, args: list[str], what: str) -> str:
        try:
            return run_git(self.top, args).decode("utf-8", "surrogateescape")
        except CharterError as exc:
            raise RevisionReadFailed(what=what, revision=self.revision, failure=exc.message) from exc

    def changes(self, folders: tuple[str, ...], until: RevisionReader | None = None) -> list[Change]:
        """Entry files added, modified or deleted since the revision: in the work tree (staged or not), or at the
        revision `until` reads. Untracked files are not listed (`files` tells what the revision holds).

        One `git diff` answers every later call for the same `until` and the same or fewer folders: a run asks
        for the change several times, and each diff stats every file of the work tree."""
        later = until.commit if until is not None else None
        known = self._diffs.get(later)
        if known is not None and set(folders) <= set(known[0]):
            return [change for change in known[1] if within(change.path, folders)]
        pathspecs = [literal_pathspec(self.repo_path(f)) for f in folders]
        output = self._git(["diff", "--name-status", "--no-renames", "-z", self.commit,
                            *([later] if later is not None else []), "--", *pathspecs], "diff")
        parts = output.split("\0")
        changes: list[Change] = []
        for status, path in zip(parts[0::2], parts[1::2], strict=False):
            if not path:
                continue
            rel = path[len(self.prefix) + 1:] if self.prefix else path
            changes.append(Change(status[:1], rel))
        self._diffs[later] = (folders, changes)
        return changes

    def read(self, relpath: str) -> bytes | None:
        """The file's bytes at the revision, or None where it did not exist."""
        if relpath in self._blobs:
            return self._blobs[relpath]
        try:
            return run_git(self.top, ["cat-file", "blob", f"{self.commit}:{self.repo_path(relpath)}"])
        except CharterError:
            return None

    def read_many(self, relpaths: list[str]) -> dict[str, bytes | None]:
        """`read` of each file, through one `git cat-file --batch` (remembered for later `read`s): a change of
        ten files must not start ten git processes, nor two checks read them twice."""
        wanted = [p for p in dict.fromkeys(relpaths) if p not in self._blobs and "\n" not in self.repo_path(p)]
        names = [f"{self.commit}:{self.repo_path(p)}" for p in wanted]
        try:
            objects = read_objects(self.top, names)
        except CharterError as exc:
            raise RevisionReadFailed(what="cat-file", revision=self.revision, failure=exc.message) from exc
        for relpath, found in zip(wanted, objects, strict=True):
            self._blobs[relpath] = found.data if found is not None and found.type == "blob" else None
        return {p: self.read(p) for p in relpaths}  # a name --batch cannot take (a newline) is read on its own

    def files(self, folders: tuple[str, ...]) -> set[str]:
        """Registry-relative paths of every file below `folders` at the revision (one `git ls-tree`)."""
        cut = len(self.prefix) + 1 if self.prefix else 0
        return {path[cut:] for path in _TREE_PATH.findall(self._listing(folders))}

    def tree(self, folders: tuple[str, ...]) -> dict[str, TreeEntry]:
        """Every file below `folders` at the revision, registry-relative, with its mode and object id."""
        cut = len(self.prefix) + 1 if self.prefix else 0
        return {path[cut:]: (mode, oid) for mode, oid, path in _TREE_LINE.findall(self._listing(folders))}

    def tree_id(self, folders: tuple[str, ...]) -> str:
        """A digest of `tree(folders)`: equal digests, equal trees (for keeping what was worked out of one)."""
        import hashlib

        digest = hashlib.sha1(f"{self.prefix}\0".encode("utf-8", "surrogateescape"))
        digest.update(self._listing(folders).encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def start_tree(self, folders: tuple[str, ...]) -> None:
        """Start the `git ls-tree` behind `files`, `tree` and `tree_id` now, to run while other work is done."""
        if folders not in self._trees:
            self._trees[folders] = in_background(lambda: self._ls_tree(folders))

    def _listing(self, folders: tuple[str, ...]) -> str:
        listed = self._trees.get(folders)
        output = listed() if listed is not None else self._ls_tree(folders)
        self._trees[folders] = lambda: output
        return output

    def _ls_tree(self, folders: tuple[str, ...]) -> str:
        pathspecs = [literal_pathspec(self.repo_path(f)) for f in folders]
        return self._git(["ls-tree", "-r", "-z", self.commit, "--", *pathspecs], "ls-tree")


#: A file as a commit holds it: its mode (100644 a file, 100755 an executable, 120000 a link) and object id.
TreeEntry = tuple[str, str]
REGULAR_MODES = ("100644", "100755")
_TREE_LINE = re.compile(r"(\d+) \w+ (\w+)\t([^\0]*)\0")
_TREE_PATH = re.compile(r"\t([^\0]*)\0")


def within(path: str, folders: tuple[str, ...]) -> bool:
    """Whether `literal_pathspec` of one of `folders` matches `path` (all relative to the same folder)."""
    return any(path == folder or path.startswith(f"{folder}/") for folder in folders)


def literal_pathspec(path: str) -> str:
    """A pathspec for a repository-relative `path` (wherever git runs), matched exactly: no glob characters. A
    folder matches everything below it."""
    return f":(top,literal){path}"

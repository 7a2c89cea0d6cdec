"""What a commit would hold: the index (git's staging area) of the repository a registry sits in, read without the
work tree. `validate --staged` (the pre-commit hook) checks this, so that a file deleted with `git rm`, or staged
broken and then fixed only in the work tree, is seen as the commit will record it.

The index is the one the commit being made is built in. git gives a pre-commit hook its path in GIT_INDEX_FILE:
`.git/index`, or a temporary one for `git commit -a` and `git commit PATHS`. Every other git process of Charter's
runs without git's variables (see `run.py`), so it is honoured here, and only when it names a file in the git
directory of the registry's own repository (a hook of another repository cannot redirect it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from charter.adapters.git.log import read_objects
from charter.adapters.git.revision import Change, TreeEntry, literal_pathspec, within
from charter.adapters.git.run import run_git
from charter.registry.kinds import REGISTRY_FILE

#: `git ls-files --stage -z`: mode, object id, stage, then the path.
_STAGE_LINE = re.compile(r"(\d+) (\w+) (\d)\t([^\0]*)\0")


def index_environment(cwd: Path) -> dict[str, str]:
    """GIT_INDEX_FILE for the git processes that read the index of the repository at `cwd`: the one in this
    process's environment when it lies in that repository's git directory (a commit in progress), else none
    (git's own, `.git/index`). A relative one is relative to where git started the hook: this process's folder."""
    given = os.environ.get("GIT_INDEX_FILE")
    if not given:
        return {}
    gitdir = run_git(cwd, ["rev-parse", "--absolute-git-dir"]).decode("utf-8", "surrogateescape").rstrip("\n")
    index = Path(os.path.realpath(given))
    return {"GIT_INDEX_FILE": str(index)} if index.parent == Path(os.path.realpath(gitdir)) else {}


def staged_paths(cwd: Path) -> tuple[Path, list[str], set[str]]:
    """For the part of a repository at or below `cwd`: the repository's top folder, the repository-relative paths
    the index holds changed since HEAD (added, modified or deleted; every path when there is no commit yet), and
    the folders (repository-relative, '' for the top) whose registry.yaml the index holds. Nothing staged: no
    folders are looked for."""
    prefix = run_git(cwd, ["rev-parse", "--show-prefix"]).decode("utf-8", "surrogateescape").rstrip("\n")
    top = cwd.resolve()
    for _ in range(prefix.rstrip("/").count("/") + 1 if prefix else 0):
        top = top.parent
    env = index_environment(cwd)
    below = [literal_pathspec(prefix.rstrip("/"))] if prefix else []
    output = run_git(top, ["diff", "--cached", "--name-only", "--no-renames", "-z", "--", *below], env=env)
    changed = [path for path in output.decode("utf-8", "surrogateescape").split("\0") if path]
    if not changed:
        return top, [], set()
    glob = re.sub(r"([*?\[\\])", r"\\\1", prefix)  # the folder's own name matched literally
    output = run_git(top, ["ls-files", "-z", "--", f":(top,glob){glob}**/{REGISTRY_FILE}"], env=env)
    folders = {path.rpartition("/")[0] for path in output.decode("utf-8", "surrogateescape").split("\0") if path}
    return top, changed, folders


class StagedIndex:
    """A registry (which may be a sub-folder of its repository) as the index holds it. Registry-relative paths in
    and out, like `RevisionReader`'s, whose revision (HEAD) the index is compared with."""

    def __init__(self, root: Path, top: Path, prefix: str, head: str | None) -> None:
        """`top` and `prefix` as `repository_top` gives them; `head`: the commit the index is compared with (None in
        a repository without commits yet: everything staged is new)."""
        self.root = root
        self.top = top
        self.prefix = prefix
        self.head = head
        self.env = index_environment(root)
        self._diffs: tuple[tuple[str, ...], list[Change]] | None = None

    def repo_path(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def _relative(self, path: str) -> str:
        return path[len(self.prefix) + 1:] if self.prefix else path

    def changes(self, folders: tuple[str, ...]) -> list[Change]:
        """Files below `folders` that the index holds added, modified or deleted since HEAD (a rename is a deletion
        and an addition). One `git diff --cached` answers every later call for the same or fewer folders."""
        if self._diffs is not None and set(folders) <= set(self._diffs[0]):
            return [change for change in self._diffs[1] if within(change.path, folders)]
        pathspecs = [literal_pathspec(self.repo_path(f)) for f in folders]
        output = run_git(self.top, ["diff", "--cached", "--name-status", "--no-renames", "-z",
                                    *([self.head] if self.head else []), "--", *pathspecs], env=self.env)
        parts = output.decode("utf-8", "surrogateescape").split("\0")
        changes = [Change("M" if status[:1] == "T" else status[:1], self._relative(path))
                   for status, path in zip(parts[0::2], parts[1::2], strict=False) if path]
        self._diffs = (folders, changes)
        return changes

    def tree(self, folders: tuple[str, ...]) -> dict[str, TreeEntry]:
        """Every file below `folders` (a file named like a folder: itself) that the index holds, registry-relative,
        with its mode and object id. A path in conflict (no stage 0) is left out: git commits none."""
        pathspecs = [literal_pathspec(self.repo_path(f)) for f in folders]
        output = run_git(self.top, ["ls-files", "--stage", "-z", "--", *pathspecs], env=self.env)
        return {self._relative(path): (mode, oid) for mode, oid, stage, path in
                _STAGE_LINE.findall(output.decode("utf-8", "surrogateescape")) if stage == "0"}

    def read_blobs(self, oids: list[str], limit: int) -> dict[str, bytes | int]:
        """The bytes of each blob, or its size where that is past `limit` (then it is not read). Two `git cat-file`
        batches: the sizes, then the blobs small enough."""
        if not oids:
            return {}
        wanted = list(dict.fromkeys(oids))
        listing = run_git(self.top, ["cat-file", "--batch-check"], stdin="".join(f"{o}\n" for o in wanted).encode())
        sizes: dict[str, int] = {}
        for oid, line in zip(wanted, listing.decode().split("\n"), strict=False):
            header = line.split(" ")
            if len(header) == 3 and header[1] == "blob" and header[2].isdigit():
                sizes[oid] = int(header[2])
        found: dict[str, bytes | int] = {oid: size for oid, size in sizes.items() if size > limit}
        small = [oid for oid in sizes if oid not in found]
        for oid, blob in zip(small, read_objects(self.top, small), strict=True):
            if blob is not None:
                found[oid] = blob.data
        return found

    def files_containing(self, needles: set[str], pathspecs: list[str]) -> set[str]:
        """Repository-relative paths of the files whose staged content contains any of `needles` verbatim (one
        `git grep --cached`)."""
        if not needles:
            return set()
        patterns = [arg for needle in sorted(needles) for arg in ("-e", needle)]
        output = run_git(self.top, ["grep", "--cached", "-l", "-z", "-F", *patterns, "--", *pathspecs],
                         env=self.env, ok=(0, 1))  # 1: no file matched
        return {path for path in output.decode("utf-8", "surrogateescape").split("\0") if path}

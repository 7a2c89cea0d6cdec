"""Git operations that make a change on a branch of its own: a temporary worktree, a commit, a push.

The person's checkout is never touched: the change is made in a worktree beside it, so they stay on their branch
with their tree as it was, whatever happens. Reading a revision lives in `revision` and `log`; this module writes.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from charter.adapters.git.repo import commit_paths, open_repository, repository_top, resolve_commit, work_tree
from charter.adapters.git.run import GitFailed, run_git
from charter.errors import CharterError, GitStepFailed, GitStepFailedSilently, storage_error

if TYPE_CHECKING:
    from charter.adapters.git.repo import Repository


@dataclass(frozen=True)
class Workspace:
    """A checkout of `branch` in a temporary folder; `root` is the registry inside it."""

    repo: Repository
    branch: str
    root: Path


def _run(repo: Repository, *args: str) -> str:
    """A git command in the repository's top folder; a failure's message carries all git said (e.g. a push's
    `[rejected]` line, which is not its last)."""
    try:
        output = run_git(work_tree(repo), list(args))
    except GitFailed as exc:
        full = storage_error(work_tree(repo), said=exc.stderr)
        if full is not None:
            raise full from exc
        if exc.stderr:
            raise GitStepFailed(command=args[0], stderr=exc.stderr) from exc
        raise GitStepFailedSilently(command=args[0], returncode=exc.returncode) from exc
    return output.decode("utf-8", "surrogateescape").removesuffix("\n")


def is_clean(repo: Repository) -> bool:
    return not repo.is_dirty(untracked_files=False)


def current_branch(repo: Repository) -> str | None:
    return None if repo.head.is_detached else repo.active_branch.name


def has_remote(repo: Repository, name: str = "origin") -> bool:
    return any(r.name == name for r in repo.remotes)


def remote_url(repo: Repository, name: str = "origin") -> str | None:
    return next(iter(repo.remote(name).urls), None) if has_remote(repo, name) else None


def branch_exists(repo: Repository, branch: str, remote: str | None = "origin") -> bool:
    local = any(h.name == branch for h in repo.heads)
    if local or remote is None or not has_remote(repo, remote):
        return local
    return bool(_run(repo, "ls-remote", "--heads", remote, f"refs/heads/{branch}").strip())


def fetch(repo: Repository, remote: str = "origin") -> None:
    if has_remote(repo, remote):
        _run(repo, "fetch", "--quiet", remote)


def is_ancestor(repo: Repository, older: str, newer: str) -> bool:
    try:
        _run(repo, "merge-base", "--is-ancestor", older, newer)
    except CharterError:
        return False
    return True


def tracking_commit(repo: Repository, branch: str, remote: str = "origin") -> str | None:
    """The commit of `remote`'s `branch` as last fetched (`origin/main`), or None where there is no such ref."""
    tracking = f"{remote}/{branch}"
    return resolve_commit(work_tree(repo), tracking) if tracking in {ref.name for ref in repo.refs} else None


@contextlib.contextmanager
def workspace(registry_root: Path, branch: str, start: str) -> Iterator[Workspace]:
    """A new branch at `start`, checked out in a temporary worktree; removed again on leaving.

    If the body raises, the branch is deleted too, so a failed change leaves no trace.
    """
    repo = open_repository(registry_root)
    _, prefix = repository_top(registry_root)
    scratch = Path(tempfile.mkdtemp(prefix="charter-worktree-"))
    folder = scratch / "tree"
    _run(repo, "worktree", "add", "--quiet", "-b", branch, str(folder), start)
    try:
        yield Workspace(open_repository(folder), branch, folder / prefix)
    except BaseException:
        _remove_worktree(repo, folder)
        with contextlib.suppress(CharterError):
            _run(repo, "branch", "-D", branch)
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    _remove_worktree(repo, folder)
    shutil.rmtree(scratch, ignore_errors=True)


def _remove_worktree(repo: Repository, folder: Path) -> None:
    with contextlib.suppress(CharterError):
        _run(repo, "worktree", "remove", "--force", str(folder))
    with contextlib.suppress(CharterError):
        _run(repo, "worktree", "prune")


def commit_in(space: Workspace, message: str, paths: list[str]) -> str:
    prefix = space.root.relative_to(work_tree(space.repo))
    return commit_paths(space.repo, message, [(prefix / p).as_posix() for p in paths])


class PushRejected(CharterError):
    """The remote refused the push (the branch exists there, or a hook refused it): never overridden.

    Its words are git's (`failure`, `failure_hint`: the failed push's message and hint); promote catches it by type.
    """

    template = "{failure}"
    hint_template = "{failure_hint}"


def push_branch(repo: Repository, branch: str, remote: str = "origin") -> None:
    """Push a new branch; never forced. A rejection is reported, not overridden.

    `repo` is the person's repository, not a workspace: git reads a relative remote URL (`../origin.git`) from the
    folder it runs in, which for a workspace is a temporary folder elsewhere.
    """
    try:
        _run(repo, "push", "--quiet", "--set-upstream", remote, f"refs/heads/{branch}:refs/heads/{branch}")
    except CharterError as exc:
        if "rejected]" in exc.message:  # `! [rejected]` (the branch exists there) or `! [remote rejected]`
            raise PushRejected(failure=exc.message, failure_hint=exc.hint) from exc
        raise


def reset_workspace(space: Workspace, start: str) -> None:
    """Move the workspace's branch (Charter's own, in its own worktree) back to `start`, dropping its commit."""
    _run(space.repo, "reset", "--quiet", "--hard", start)


def discard_branch(repo: Repository, branch: str) -> None:
    """Remove the worktrees that have `branch` checked out, then the local branch (what a killed run left)."""
    listing = _run(repo, "worktree", "list", "--porcelain")
    for block in listing.split("\n\n"):
        lines = block.splitlines()
        if f"branch refs/heads/{branch}" in lines and lines and lines[0].startswith("worktree "):
            folder = Path(lines[0].removeprefix("worktree "))
            _remove_worktree(repo, folder)
            if folder.name == "tree" and folder.parent.name.startswith("charter-worktree-"):
                shutil.rmtree(folder.parent, ignore_errors=True)
    with contextlib.suppress(CharterError):
        _run(repo, "worktree", "prune")
    if any(h.name == branch for h in repo.heads):
        _run(repo, "branch", "-D", "--", branch)


def delete_remote_branch(repo: Repository, branch: str, remote: str = "origin") -> None:
    with contextlib.suppress(CharterError):
        _run(repo, "push", "--quiet", remote, "--delete", branch)


@contextlib.contextmanager
def snapshot(registry_root: Path, revision: str) -> Iterator[Path]:
    """The registry as it was at `revision`, checked out (detached) in a temporary worktree; yields its root."""
    repo = open_repository(registry_root)
    resolve_commit(registry_root, revision)  # a clear error for an unknown revision
    _, prefix = repository_top(registry_root)
    scratch = Path(tempfile.mkdtemp(prefix="charter-snapshot-"))
    folder = scratch / "tree"
    _run(repo, "worktree", "add", "--quiet", "--detach", str(folder), revision)
    try:
        yield folder / prefix
    finally:
        _remove_worktree(repo, folder)
        shutil.rmtree(scratch, ignore_errors=True)

"""A repository: found or created, where a registry sits in it, what a revision names, commits, the code's state.

The repository object is GitPython's (`Repository`), with the environment of `adapters.git.run` given to it; the
commands Charter issues itself run through `run_git`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from charter.adapters.git.run import GitFailed, environment_changes, run_git
from charter.errors import (
    CharterError,
    CommitFailed,
    FolderMissing,
    GitInitFailed,
    GitNotInstalled,
    IndexLocked,
    NotARevision,
    NotInGitRepository,
    UnknownRevision,
    storage_error,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    import git

    #: What callers hold and hand back to this package; only `adapters.git` looks inside.
    Repository: TypeAlias = git.Repo


def _gitpython(path: Path) -> Repository:
    """GitPython's repository around `path`, its git processes given Charter's environment."""
    import git

    repo = git.Repo(path, search_parent_directories=True)
    repo.git.update_environment(**environment_changes())  # None unsets a variable
    return repo


def open_repository(path: Path) -> Repository:
    import git

    try:
        return _gitpython(path)
    except git.InvalidGitRepositoryError as exc:
        raise NotInGitRepository(path=path) from exc
    except git.NoSuchPathError as exc:
        raise FolderMissing(path=path) from exc
    except git.GitCommandNotFound as exc:
        raise GitNotInstalled() from exc


def init_repository(path: Path) -> Repository:
    try:
        run_git(path, ["init", "--initial-branch=main"])
    except GitFailed as exc:
        raise GitInitFailed(path=path, stderr=exc.stderr) from exc
    return open_repository(path)


def work_tree(repo: Repository) -> Path:
    """The repository's top folder, where its commands run and from which paths are given to git."""
    return Path(repo.working_dir)


def git_directory(repo: Repository) -> Path:
    """The git directory every worktree of the repository shares (for Charter's lock and journals)."""
    return Path(repo.common_dir)


def locate_repository(path: Path) -> tuple[Path, Path] | None:
    """The git directory every worktree shares, and the top of the work tree around `path`; None outside git.

    A plain git process rather than GitPython: a command that only writes a file (`new`) takes the lock with it.
    """
    try:
        output = run_git(path, ["rev-parse", "--git-common-dir", "--show-toplevel"])
    except GitFailed:
        return None
    common, top = output.decode("utf-8", "surrogateescape").splitlines()[:2]
    return (path / common).resolve(), Path(top).resolve()


def user_config(repo: Repository, key: str) -> str | None:
    """`user.<key>` in the person's git configuration (`name`, `email`), or None where it is not set."""
    reader = repo.config_reader()
    return str(reader.get_value("user", key)) if reader.has_option("user", key) else None


_FALLBACK_IDENTITY = {"GIT_AUTHOR_NAME": "Charter", "GIT_AUTHOR_EMAIL": "charter@localhost",
                      "GIT_COMMITTER_NAME": "Charter", "GIT_COMMITTER_EMAIL": "charter@localhost"}


def commit_paths(repo: Repository, message: str, paths: list[str] | None = None) -> str:
    """Commit `paths` (repository-relative; every change when None) and return the commit id.

    Uses the person's git identity; where none is configured (a fresh CI machine) Charter signs as itself
    rather than failing half-way. Hooks are not run: Charter validated the change itself.
    """
    top = work_tree(repo)
    identity = None
    if user_config(repo, "name") is None or user_config(repo, "email") is None:
        identity = _FALLBACK_IDENTITY
    try:
        if paths is None:
            run_git(top, ["add", "--all"])
            run_git(top, ["commit", "--no-verify", "--quiet", "-m", message], env=identity)
        else:
            run_git(top, ["add", "--", *paths])
            run_git(top, ["commit", "--no-verify", "--quiet", "-m", message, "--", *paths], env=identity)
    except GitFailed as exc:
        if paths is not None:  # leave the index as it was: nothing of ours stays staged
            unstage(repo, paths)
        raise commit_failure(top, exc.stderr) from exc
    return str(repo.head.commit.hexsha)


def commit_failure(top: Path, said: str) -> CharterError:
    """Why a commit failed, in words a person can act on: a full disk, a read-only file system, a held index lock."""
    found = storage_error(top, said=said)
    if found is not None:
        return found
    lines = [line.strip() for line in said.splitlines() if line.strip()]
    first = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1] if lines else "")
    return (IndexLocked if "index.lock" in said else CommitFailed)(top=top, said=first)


def unstage(repo: Repository, paths: list[str]) -> None:
    """Take `paths` (repository-relative) out of the index again, where they are staged; never fails."""
    with contextlib.suppress(GitFailed):
        run_git(work_tree(repo), ["reset", "--quiet", "--", *paths])


def committed_at_head(repo: Repository, path: str) -> bool:
    """Whether the commit at HEAD holds `path` (repository-relative); False too where there is no commit yet."""
    try:
        return bool(run_git(work_tree(repo), ["ls-tree", "--name-only", "HEAD", "--", path]).strip())
    except GitFailed:
        return False


@dataclass(frozen=True)
class CodeState:
    """Where training code came from: its repository (origin URL, else its path), commit, and uncommitted edits."""

    repository: str
    commit: str
    dirty: bool


def describe_code(path: Path) -> CodeState | None:
    """The git state of the training code at `path`, or None where it is not in a git repository."""
    import git

    try:
        repo = _gitpython(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    try:
        commit = repo.head.commit.hexsha
    except ValueError:  # a repository without commits
        return None
    try:
        url = _without_credentials(next(iter(repo.remote("origin").urls)))
    except (ValueError, StopIteration, git.GitCommandError):
        url = str(Path(repo.working_tree_dir or path).resolve())
    return CodeState(url, commit, repo.is_dirty(untracked_files=False))


def _without_credentials(url: str) -> str:
    """A remote URL may carry a token (https://user:token@host/...); it must never be written anywhere."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url


def repository_prefix(root: Path) -> str:
    """Where `root` is inside its repository: '' at the top, else a path ending in '/' (e.g. 'ml/registry/')."""
    return run_git(root, ["rev-parse", "--show-prefix"]).decode("utf-8", "surrogateescape").rstrip("\n")


def repository_top(root: Path) -> tuple[Path, str]:
    """The repository's top folder and `root`'s place inside it ('' at the top, else e.g. 'ml/registry')."""
    prefix = repository_prefix(root).rstrip("/")
    top = root.resolve()
    for _ in range(prefix.count("/") + 1 if prefix else 0):
        top = top.parent
    return top, prefix


def resolve_commit(root: Path, revision: str) -> str | None:
    """The commit id `revision` names, or None in a repository without commits yet."""
    if revision.startswith("-"):
        raise NotARevision(revision=revision)
    try:
        output = run_git(root, ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"])
    except CharterError as exc:
        if "not inside a git repository" in exc.message:
            raise
        if revision == "HEAD":
            return None  # an unborn branch: nothing is committed yet
        raise UnknownRevision(revision=revision) from exc
    return output.decode().strip() or None

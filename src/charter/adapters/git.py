"""All git access: gitpython behind functions that speak the registry's terms and raise CharterError.

git's own variables (GIT_DIR, GIT_INDEX_FILE, ...) are dropped from every call, because a pre-commit hook runs with
them set for *its* repository and they would silently redirect ours.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from charter.errors import CharterError

if TYPE_CHECKING:
    import git

_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE")


def _clean_environment(repo: git.Repo) -> None:
    repo.git.update_environment(**dict.fromkeys(_GIT_ENV))  # None unsets a variable


def open_repository(path: Path) -> git.Repo:
    import git

    try:
        repo = git.Repo(path, search_parent_directories=True)
    except git.InvalidGitRepositoryError as exc:
        raise CharterError(f"{path} is not inside a git repository",
                           "run `git init` there, or create the registry with `charter init`") from exc
    except git.NoSuchPathError as exc:
        raise CharterError(f"{path}: no such directory") from exc
    except git.GitCommandNotFound as exc:
        raise CharterError("git is not installed or not on PATH", "install git") from exc
    _clean_environment(repo)
    return repo


@dataclass(frozen=True)
class Change:
    """A file that differs between a revision and the work tree, registry-relative."""

    status: str  # A, M or D
    path: str


class RevisionReader:
    """Reads a registry (which may be a sub-folder of its repository) as it was at one revision."""

    def __init__(self, root: Path, revision: str) -> None:
        import git

        self.repo = open_repository(root)
        top = Path(self.repo.working_tree_dir or root).resolve()
        self.prefix = root.resolve().relative_to(top).as_posix()
        if self.prefix == ".":
            self.prefix = ""
        if revision.startswith("-"):
            raise CharterError(f"{revision!r} is not a revision", "name a branch, tag or commit")
        try:
            self.commit = self.repo.commit(revision)
        except (git.BadName, ValueError, git.GitCommandError) as exc:
            raise CharterError(f"unknown revision {revision!r}",
                               "name an existing branch, tag or commit (fetch it first in CI)") from exc
        self.revision = revision

    def _repo_path(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def changes(self, folders: tuple[str, ...]) -> list[Change]:
        """Entry files added, modified or deleted in the work tree (staged or not) since the revision."""
        import git

        pathspecs = [self._repo_path(f) for f in folders]
        try:
            output = self.repo.git.diff("--name-status", "--no-renames", "-z", self.commit.hexsha,
                                        "--", *pathspecs)
        except git.GitCommandError as exc:
            raise CharterError(f"git diff against {self.revision!r} failed: {exc.stderr.strip()}") from exc
        parts = output.split("\0")
        changes: list[Change] = []
        for status, path in zip(parts[0::2], parts[1::2], strict=False):
            if not path:
                continue
            rel = path[len(self.prefix) + 1:] if self.prefix else path
            changes.append(Change(status[:1], rel))
        return changes

    def read(self, relpath: str) -> bytes | None:
        """The file's bytes at the revision, or None where it did not exist."""
        try:
            blob = self.commit.tree / self._repo_path(relpath)
        except KeyError:
            return None
        data: bytes = blob.data_stream.read()
        return data


_FALLBACK_IDENTITY = {"GIT_AUTHOR_NAME": "Charter", "GIT_AUTHOR_EMAIL": "charter@localhost",
                      "GIT_COMMITTER_NAME": "Charter", "GIT_COMMITTER_EMAIL": "charter@localhost"}


def init_repository(path: Path) -> git.Repo:
    import git

    try:
        repo = git.Repo.init(path, initial_branch="main")
    except git.GitCommandError as exc:
        raise CharterError(f"git init failed in {path}: {exc.stderr.strip()}") from exc
    _clean_environment(repo)
    return repo


def commit_paths(repo: git.Repo, message: str, paths: list[str] | None = None) -> str:
    """Commit `paths` (every change when None) and return the commit id.

    Uses the person's git identity; where none is configured (a fresh CI machine) Charter signs as itself
    rather than failing half-way. Hooks are not run: Charter validated the change itself.
    """
    import git

    reader = repo.config_reader()
    identity = {}
    if not reader.has_option("user", "name") or not reader.has_option("user", "email"):
        identity = _FALLBACK_IDENTITY
    try:
        if paths is None:
            repo.git.add("--all")
            repo.git.commit("--no-verify", "--quiet", "-m", message, env=identity or None)
        else:
            repo.git.add("--", *paths)
            repo.git.commit("--no-verify", "--quiet", "-m", message, "--", *paths, env=identity or None)
    except git.GitCommandError as exc:
        if paths is not None:  # leave the index as it was: nothing of ours stays staged
            with contextlib.suppress(git.GitCommandError):
                repo.git.reset("--quiet", "--", *paths)
        raise CharterError(f"git commit failed in {repo.working_tree_dir}: {exc.stderr.strip()}",
                           "another git process may hold the repository's lock; try again") from exc
    return str(repo.head.commit.hexsha)


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
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    _clean_environment(repo)
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


def staged_paths(repo: git.Repo) -> list[str]:
    return [line for line in repo.git.diff("--cached", "--name-only").splitlines() if line]

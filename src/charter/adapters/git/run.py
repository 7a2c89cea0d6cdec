"""The one way Charter starts a git process, and the one environment every git process gets (GitPython's too)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from charter.errors import CharterError, FolderMissing, GitNotInstalled, NotInGitRepository

T = TypeVar("T")

#: git's own variables: a pre-commit hook runs with them set for *its* repository, and they would silently redirect
#: ours, so every git process runs without them.
_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE")


def environment_changes() -> dict[str, str | None]:
    """What every git process gets changed in its environment (None removes a variable).

    git's own variables go (see `_GIT_ENV`). Configuration through git's GIT_CONFIG_* variables runs no program of
    the repository's: no hooks (post-checkout, reference-transaction, ...) and no fsmonitor; Charter validates
    changes itself, and `validate`/`gate` run on untrusted pull requests. Messages are English (the C locale, as
    GitPython sets too), because some are recognised by their words ("not a git repository", "[rejected]").
    """
    import os

    try:
        count = int(os.environ.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        count = 0
    settings = {"core.hooksPath": os.devnull, "core.fsmonitor": "false"}
    changes: dict[str, str | None] = {**dict.fromkeys(_GIT_ENV), "LANGUAGE": "C", "LC_ALL": "C",
                                      "GIT_CONFIG_COUNT": str(count + len(settings))}
    for i, (key, value) in enumerate(settings.items(), start=count):
        changes[f"GIT_CONFIG_KEY_{i}"], changes[f"GIT_CONFIG_VALUE_{i}"] = key, value
    return changes


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment with `environment_changes` (and `extra`) applied: a git process's."""
    import os

    env = dict(os.environ)
    for key, value in environment_changes().items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return {**env, **(extra or {})}


class GitFailed(CharterError):
    """A git command ended with an error; `stderr` keeps all git said, the message only its `last` line.

    Callers catch it by type and read `stderr` and `returncode`, so the family lives with the code that runs git.
    """

    template = "git {command} failed in {cwd}: {last}"

    def __init__(self, *, stderr: str = "", returncode: int = 0, **fields: object) -> None:
        super().__init__(stderr=stderr, returncode=returncode, **fields)
        self.stderr = stderr
        self.returncode = returncode


class GitFailedSilently(GitFailed):
    template = "git {command} failed in {cwd}: exit code {returncode}"


class GitOutsideRepository(GitFailed):
    template = NotInGitRepository.template
    hint_template = NotInGitRepository.hint_template


def run_git(cwd: Path, args: list[str], stdin: bytes | None = None, *, env: Mapping[str, str] | None = None,
            ok: tuple[int, ...] = (0,)) -> bytes:
    """git's standard output as bytes; an exit code outside `ok` becomes a `GitFailed` that names the command.

    `env` adds variables (e.g. a fallback identity) to the cleaned environment.
    """
    import subprocess

    if not cwd.is_dir():
        raise FolderMissing(path=cwd)
    try:
        result = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True,
                                env=environment(env), check=False)
    except FileNotFoundError as exc:
        raise GitNotInstalled() from exc
    if result.returncode not in ok:
        raise _failure(cwd, _command(args), result.returncode, result.stderr)
    return result.stdout


def _command(args: list[str]) -> str:
    """The git command among `args`, past leading `-c key=value` options."""
    i = 0
    while i < len(args) - 1 and args[i] == "-c":
        i += 2
    return args[i] if i < len(args) else "git"


def _failure(cwd: Path, command: str, returncode: int, stderr_bytes: bytes) -> GitFailed:
    """The error a failed git command becomes: its last line of complaint, or what to do outside a repository."""
    stderr = stderr_bytes.decode("utf-8", "replace").strip()
    if "not a git repository" in stderr:
        return GitOutsideRepository(path=cwd, stderr=stderr, returncode=returncode)
    if not stderr:
        return GitFailedSilently(command=command, cwd=cwd, stderr=stderr, returncode=returncode)
    return GitFailed(command=command, cwd=cwd, last=stderr.splitlines()[-1], stderr=stderr, returncode=returncode)


def run_git_parallel(cwd: Path, commands: list[list[str]]) -> list[bytes]:
    """Several independent git commands at once (each waits on its own I/O); outputs in the order given."""
    from concurrent.futures import ThreadPoolExecutor

    if len(commands) <= 1:
        return [run_git(cwd, args) for args in commands]
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda args: run_git(cwd, args), commands))


def in_background(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work` (git processes, mostly) in a thread now; the function returned waits for its result and
    raises what it raised. Independent questions to git then run at the same time, and while Python works."""
    import threading

    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the caller, who would have met it
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        if failure:
            raise failure[0]
        return outcome[0]
    return result

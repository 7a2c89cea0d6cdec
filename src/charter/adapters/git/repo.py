"""All git access: gitpython behind functions that speak the registry's terms and raise CharterError.

git's own variables (GIT_DIR, GIT_INDEX_FILE, ...) are dropped from every call, because a pre-commit hook runs with
them set for *its* repository and they would silently redirect ours.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from charter.errors import CharterError

if TYPE_CHECKING:
    import git

T = TypeVar("T")

_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE")


def _no_hooks() -> dict[str, str]:
    """Configuration (through git's GIT_CONFIG_* variables) under which git runs no program of the repository's:
    no hooks (post-checkout, reference-transaction, ...) and no fsmonitor. Charter validates changes itself, and
    `validate`/`gate` run on untrusted pull requests."""
    import os

    try:
        count = int(os.environ.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        count = 0
    settings = {"core.hooksPath": os.devnull, "core.fsmonitor": "false"}
    env = {"GIT_CONFIG_COUNT": str(count + len(settings))}
    for i, (key, value) in enumerate(settings.items(), start=count):
        env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
    return env


def _clean_environment(repo: git.Repo) -> None:
    repo.git.update_environment(**dict.fromkeys(_GIT_ENV), **_no_hooks())  # None unsets a variable


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
    """Reads a registry (which may be a sub-folder of its repository) as it was at one revision.

    Plain `git` processes, not gitpython: `validate --base` on a small change must not pay gitpython's import.
    """

    def __init__(self, root: Path, revision: str) -> None:
        if revision.startswith("-"):
            raise CharterError(f"{revision!r} is not a revision", "name a branch, tag or commit")
        self.root = root
        self.top, self.prefix = repository_top(root)
        try:
            commit = resolve_commit(root, revision)
        except CharterError:
            commit = None
        if commit is None:
            raise CharterError(f"unknown revision {revision!r}",
                               "name an existing branch, tag or commit (fetch it first in CI)")
        self.commit = commit
        self.revision = revision
        # what one run asks several times (the scope, the history and the compatibility checks): asked of git once
        self._diffs: dict[str | None, tuple[tuple[str, ...], list[Change]]] = {}
        self._blobs: dict[str, bytes | None] = {}
        self._trees: dict[tuple[str, ...], Callable[[], str]] = {}  # `git ls-tree` output

    @cached_property
    def repo(self) -> git.Repo:
        """The repository through gitpython, for the few callers that need more than reading (the forge's remote)."""
        return open_repository(self.root)

    def repo_path(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def _git(self, args: list[str], what: str) -> str:
        try:
            return run_git(self.top, args).decode("utf-8", "surrogateescape")
        except CharterError as exc:
            raise CharterError(f"git {what} against {self.revision!r} failed: {exc.message}") from exc

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
            raise CharterError(f"git cat-file against {self.revision!r} failed: {exc.message}") from exc
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


# Batched plumbing for history and audit: one git process per question, never one per commit or file. These run
# git directly (no gitpython): their output is bytes parsed here, and `charter history` has a one-second budget.

NULL_OID_CHAR = "0"
_LOG_FIELDS = 9  # commit, parents, author name/email/date, committer name/email/date, message
_LOG_FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x00"


def _plain_environment() -> dict[str, str]:
    import os

    return {**{key: value for key, value in os.environ.items() if key not in _GIT_ENV}, **_no_hooks()}


def run_git(cwd: Path, args: list[str], stdin: bytes | None = None) -> bytes:
    """git's standard output as bytes; a failure becomes a CharterError that names the command."""
    import subprocess

    if not cwd.is_dir():
        raise CharterError(f"{cwd}: no such directory")
    try:
        result = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True,
                                env=_plain_environment(), check=False)
    except FileNotFoundError as exc:
        raise CharterError("git is not installed or not on PATH", "install git") from exc
    if result.returncode != 0:
        raise _failure(cwd, args[0], result.returncode, result.stderr)
    return result.stdout


def _failure(cwd: Path, command: str, returncode: int, stderr_bytes: bytes) -> CharterError:
    """The error a failed git command becomes: its last line of complaint, or what to do outside a repository."""
    stderr = stderr_bytes.decode("utf-8", "replace").strip()
    if "not a git repository" in stderr:
        return CharterError(f"{cwd} is not inside a git repository",
                            "run `git init` there, or create the registry with `charter init`")
    last = stderr.splitlines()[-1] if stderr else f"exit code {returncode}"
    return CharterError(f"git {command} failed in {cwd}: {last}")


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


def files_containing(top: Path, needles: set[str], pathspecs: list[str]) -> set[str]:
    """Repository-relative paths of the tracked files that contain any of `needles` verbatim, as they are in the
    work tree: one `git grep`, which reads thousands of files faster than parsing a few hundred."""
    import subprocess

    if not needles:
        return set()
    patterns = [arg for needle in sorted(needles) for arg in ("-e", needle)]
    result = subprocess.run(["git", "grep", "-l", "-z", "-F", *patterns, "--", *pathspecs],
                            cwd=top, capture_output=True, env=_plain_environment(), check=False)
    if result.returncode not in (0, 1):  # 1: no file matched
        stderr = result.stderr.decode("utf-8", "replace").strip()
        raise CharterError(f"git grep failed in {top}: {stderr.splitlines()[-1] if stderr else result.returncode}")
    return {path for path in result.stdout.decode("utf-8", "surrogateescape").split("\0") if path}


def untracked_files(top: Path, pathspecs: list[str]) -> set[str]:
    """Repository-relative paths of files git does not track and does not ignore."""
    output = run_git(top, ["ls-files", "--others", "--exclude-standard", "-z", "--", *pathspecs])
    return {path for path in output.decode("utf-8", "surrogateescape").split("\0") if path}


def converted_files(top: Path, pathspecs: list[str]) -> set[str]:
    """Repository-relative paths of the tracked files (below `pathspecs`) that git may convert between the
    repository and the work tree beyond line endings: those with a `filter` (smudge/clean) or a
    `working-tree-encoding` attribute. `git ls-files` piped into `git check-attr --all`, which prints only the
    attributes a path has (nothing at all in a repository without any)."""
    import subprocess

    if not top.is_dir():
        raise CharterError(f"{top}: no such directory")
    env = _plain_environment()
    try:
        listing = subprocess.Popen(["git", "ls-files", "-z", "--", *pathspecs], cwd=top, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env)
        check = subprocess.Popen(["git", "check-attr", "--all", "-z", "--stdin"], cwd=top, stdin=listing.stdout,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except FileNotFoundError as exc:
        raise CharterError("git is not installed or not on PATH", "install git") from exc
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.close()  # check-attr holds the pipe now
    output, check_error = check.communicate()
    listing_error = listing.stderr.read()
    listing.stderr.close()
    for name, process, stderr in (("ls-files", listing, listing_error), ("check-attr", check, check_error)):
        if process.wait() != 0:
            raise _failure(top, name, process.returncode, stderr)
    fields = output.decode("utf-8", "surrogateescape").split("\0")
    return {path for path, attribute, value in zip(fields[0::3], fields[1::3], fields[2::3], strict=False)
            if attribute in ("filter", "working-tree-encoding") and value != "unset"}


def run_git_parallel(cwd: Path, commands: list[list[str]]) -> list[bytes]:
    """Several independent git commands at once (each waits on its own I/O); outputs in the order given."""
    from concurrent.futures import ThreadPoolExecutor

    if len(commands) <= 1:
        return [run_git(cwd, args) for args in commands]
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda args: run_git(cwd, args), commands))


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
        raise CharterError(f"{revision!r} is not a revision", "name a branch, tag or commit")
    try:
        output = run_git(root, ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"])
    except CharterError as exc:
        if "not inside a git repository" in exc.message:
            raise
        if revision == "HEAD":
            return None  # an unborn branch: nothing is committed yet
        raise CharterError(f"unknown revision {revision!r}", "name an existing branch, tag or commit") from exc
    return output.decode().strip() or None


def within(path: str, folders: tuple[str, ...]) -> bool:
    """Whether `literal_pathspec` of one of `folders` matches `path` (all relative to the same folder)."""
    return any(path == folder or path.startswith(f"{folder}/") for folder in folders)


def literal_pathspec(path: str) -> str:
    """A pathspec for a repository-relative `path` (wherever git runs), matched exactly: no glob characters. A
    folder matches everything below it."""
    return f":(top,literal){path}"


def is_null_oid(oid: str) -> bool:
    return not oid.strip(NULL_OID_CHAR)


@dataclass(frozen=True, slots=True)
class RawChange:
    """One file a commit changed, as `git log --raw` reports it (repository-relative path, full object ids).

    For a merge (combined format) there is one old blob per parent; for other commits exactly one. An absent
    side is the null id.
    """

    path: str
    status: str
    old_blobs: tuple[str, ...]
    new_blob: str
    new_mode: str


@dataclass(frozen=True, slots=True)
class LogEntry:
    commit: str
    parents: tuple[str, ...]
    author: str
    author_email: str
    author_date: str  # strict ISO 8601 with the author's offset
    committer: str
    committer_email: str
    committer_date: str
    message: str
    changes: tuple[RawChange, ...]

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()


def log_command(pathspecs: list[str], revision: str = "HEAD", *, merges: bool = True,
                extra: tuple[str, ...] = ()) -> list[str]:
    """`git log` arguments for commits touching `pathspecs`, newest first, each with its raw changes.

    Default history simplification: the commits that explain the content at `revision`; a side branch whose
    changes a merge discarded is not shown. `merges` adds the combined raw diff of merges (files that differ
    from every parent: conflict resolutions and edits made in the merge itself).
    """
    args = ["-c", "log.showSignature=false", "log", "--date-order", "--root", "--no-renames", "--no-abbrev",
            "--raw", "-z", "--no-color", "--no-ext-diff", f"--format={_LOG_FORMAT}", *extra]
    if merges:
        args.append("-c")
    return [*args, revision, "--", *pathspecs]


def parse_log(output: bytes) -> list[LogEntry]:
    """Parse the output of `log_command`: NUL-separated header fields, the message, then raw entries."""
    tokens = output.split(b"\0")
    entries: list[LogEntry] = []
    i = 0
    while i < len(tokens):
        if not tokens[i].startswith(b"\x1e"):
            i += 1
            continue
        fields = [tokens[i][1:], *tokens[i + 1:i + _LOG_FIELDS]]
        i += _LOG_FIELDS
        text = [f.decode("utf-8", "replace") for f in fields]
        changes: list[RawChange] = []
        while i < len(tokens):
            token = tokens[i].lstrip(b"\n")
            if token.startswith(b":") and i + 1 < len(tokens):
                changes.append(_raw_change(token, tokens[i + 1]))
                i += 2
            elif not token:
                i += 1
            else:
                break
        entries.append(LogEntry(text[0], tuple(text[1].split()), text[2], text[3], text[4], text[5], text[6],
                                text[7], text[8], tuple(changes)))
    return entries


def _raw_change(meta: bytes, path: bytes) -> RawChange:
    parents = len(meta) - len(meta.lstrip(b":"))
    fields = meta[parents:].decode("ascii", "replace").split(" ")
    modes, oids, status = fields[:parents + 1], fields[parents + 1:2 * parents + 2], fields[-1]
    return RawChange(path.decode("utf-8", "surrogateescape"), status, tuple(oids[:parents]), oids[parents],
                     modes[parents])


def parent_graph_command(revision: str = "HEAD") -> list[str]:
    return ["rev-list", "--parents", revision, "--"]


def parse_parent_graph(output: bytes) -> dict[str, tuple[str, ...]]:
    """Every commit reachable from the revision with its parents, first parent first."""
    graph: dict[str, tuple[str, ...]] = {}
    for line in output.decode("ascii", "replace").splitlines():
        ids = line.split()
        if ids:
            graph[ids[0]] = tuple(ids[1:])
    return graph


@dataclass(frozen=True, slots=True)
class GitObject:
    oid: str
    type: str
    data: bytes


def read_objects(cwd: Path, names: list[str]) -> list[GitObject | None]:
    """Objects by name (an id, or `commit:path`) through ONE `git cat-file --batch`; None where missing."""
    if not names:
        return []
    usable = [name for name in names if "\n" not in name]
    output = run_git(cwd, ["cat-file", "--batch"], stdin="".join(f"{n}\n" for n in usable).encode(
        "utf-8", "surrogateescape"))
    found: dict[str, GitObject | None] = {}
    position = 0
    for name in usable:
        end = output.index(b"\n", position)
        header = output[position:end].decode("utf-8", "surrogateescape").split(" ")
        position = end + 1
        if len(header) == 3 and header[2].isdigit() and header[1] in ("blob", "tree", "commit", "tag"):
            size = int(header[2])
            found[name] = GitObject(header[0], header[1], output[position:position + size])
            position += size + 1  # the content is followed by a newline
        else:
            found[name] = None  # "<name> missing" or "<name> ambiguous"
    return [found.get(name) for name in names]


def object_ids(cwd: Path, names: list[str]) -> list[str | None]:
    """The object id each name (`commit:path`) stands for, through ONE `git cat-file --batch-check`."""
    if not names:
        return []
    usable = [name for name in names if "\n" not in name]
    output = run_git(cwd, ["cat-file", "--batch-check"], stdin="".join(f"{n}\n" for n in usable).encode(
        "utf-8", "surrogateescape"))
    lines = output.decode("utf-8", "surrogateescape").split("\n")
    ids: dict[str, str | None] = {}
    for name, line in zip(usable, lines, strict=False):
        header = line.split(" ")
        ok = len(header) == 3 and header[2].isdigit() and header[1] in ("blob", "tree", "commit", "tag")
        ids[name] = header[0] if ok else None
    return [ids.get(name) for name in names]


@dataclass(frozen=True, slots=True)
class CommitInfo:
    author: str
    author_email: str
    author_date: str
    committer: str
    committer_email: str
    committer_date: str
    message: str


def parse_commit_object(data: bytes) -> CommitInfo:
    """A raw commit object (from `read_objects`): identities, ISO dates with their offsets, and the message."""
    head, _, body = data.partition(b"\n\n")
    people: dict[str, tuple[str, str, str]] = {}
    for line in head.decode("utf-8", "replace").split("\n"):
        key, _, value = line.partition(" ")
        if key in ("author", "committer"):
            people[key] = _identity(value)
    unknown = ("", "", "")
    author, committer = people.get("author", unknown), people.get("committer", unknown)
    return CommitInfo(*author, *committer, body.decode("utf-8", "replace"))


def _identity(value: str) -> tuple[str, str, str]:
    from datetime import datetime, timedelta, timezone

    name, _, rest = value.partition(" <")
    email, _, stamp = rest.partition("> ")
    seconds, _, offset = stamp.partition(" ")
    try:
        sign = -1 if offset.startswith("-") else 1
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])) * sign
        when = datetime.fromtimestamp(int(seconds), timezone(delta)).isoformat()
    except ValueError:
        when = ""
    return name, email, when

"""`git log`, the parent graph and `git cat-file` for history and audit: one git process per question, never one
per commit or file, its bytes parsed here (`charter history` has a one-second budget)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from charter.adapters.git.repo import repository_top
from charter.adapters.git.run import run_git

NULL_OID_CHAR = "0"
_LOG_FIELDS = 9  # commit, parents, author name/email/date, committer name/email/date, message
_LOG_FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x00"


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


def file_versions(registry_root: Path, relpath: str, limit: int = 200) -> Iterator[tuple[str, bytes]]:
    """The file's content at each commit that changed it, newest first (one `git log`, one `cat-file` process)."""
    top, prefix = repository_top(registry_root)
    path = f"{prefix}/{relpath}" if prefix else relpath
    commits = run_git(top, ["log", f"--max-count={limit}", "--format=%H", "--", path]).decode("ascii").split()
    for commit, found in zip(commits, read_objects(top, [f"{c}:{path}" for c in commits]), strict=True):
        if found is not None and found.type == "blob":  # None: deleted in that commit
            yield commit, found.data

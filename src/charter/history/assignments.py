"""What should run where, over time: every assignment change, from git, with who, when, which pull request, and the
evidence that was in the registry when the change was made. `charter history` and `charter audit` print it.

How git is asked (the budget is one second for 2,000 promotions, so nothing is done per commit or per file):

1. ONE `git log --raw` limited to `environments/` lists the commits that changed an environment file, each with the
   blob ids of the file before and after (and, for merges, the combined form: files that differ from every parent,
   i.e. edits made in the merge itself). Nothing is checked out and no commit is diffed in Python.
2. ONE `git rev-list --parents`, run concurrently, gives the commit graph. The merge that brought a change into the
   current branch is found by one walk over it: along the first-parent chain, oldest first, every commit newly
   reachable through a merge's other parents was brought in by that merge. Each commit is visited once, so the cost
   is one pass however many changes there are (a `git log --ancestry-path` per change would be a process each).
3. ONE `git cat-file --batch` reads every distinct environment blob and every merge commit that is needed.
4. Environment files are parsed per item of `spec.assignments`, cached by the item's text: a promotion rewrites one
   or two items, so 2,000 versions of a file cost about as much as a few full parses.

The evidence of a change (`audit`) costs one more `git log --raw` over `evaluations/` (every evaluation file that
ever named the model), one `git cat-file --batch-check` (which of them existed at the change's commit) and a parse
of each distinct evaluation blob.

A registry may be a sub-folder of its repository: paths are given to git with the registry's prefix and read back
without it.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from charter.adapters.git.repo import (
    CommitInfo,
    LogEntry,
    is_null_oid,
    literal_pathspec,
    log_command,
    object_ids,
    parent_graph_command,
    parse_commit_object,
    parse_log,
    parse_parent_graph,
    read_objects,
    repository_prefix,
    resolve_commit,
    run_git_parallel,
)
from charter.errors import CharterError
from charter.registry.documents import Document, parse_document, read_document
from charter.registry.kinds import KINDS, Kind, kind_for_prefix, locate_path
from charter.registry.references import REFERENCE_RE, Reference, parse_reference
from charter.registry.times import parse_date
from charter.registry.versions import version_key
from charter.registry.yamlio import decode_text, parse_yaml

# --------------------------------------------------------------------------------------------------------- values


class Assignment(NamedTuple):
    """One side of a change: a model version and how it receives traffic."""

    ref: str  # model:NAME@VERSION
    mode: str  # full | canary | shadow
    percent: int | float | None

    @property
    def version(self) -> str:
        return self.ref.split("@", 1)[1]

    def rollout(self) -> str:
        return f"{self.mode} {self.percent:g}%" if self.percent is not None else self.mode

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "version": self.version, "mode": self.mode, "percent": self.percent}


@dataclass(frozen=True)
class EvaluationSummary:
    """The headline of an Evaluation entry: what a reviewer (and `charter gate`) looks at first."""

    ref: str
    path: str
    model: str
    status: str
    method: str | None
    cohort: str | None
    date: str | None
    metrics: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "path": self.path, "model": self.model, "status": self.status,
                "method": self.method, "cohort": self.cohort, "date": self.date, "metrics": self.metrics}

    def describe(self) -> str:
        """`evaluation:x@1.0.0 retrospective, cohort:y@1.0.0, 2026-05-12: auroc 0.842, auprc 0.318`."""
        facts = ", ".join(f for f in (self.method, self.cohort, self.date) if f)
        metrics = ", ".join(f"{name} {value:.10g}" for name, value in self.metrics.items())
        return f"{self.ref} {facts}" + (f": {metrics}" if metrics else "")


@dataclass(frozen=True)
class AssignmentChange:
    """One assignment of one model family in one environment, changed by one commit.

    `old`/`new` are None where the model had no such assignment before/after (a first promotion, a removal). `date`
    is the author date of the commit; `merged_at` the date of the merge that brought it into the branch.
    """

    commit: str
    date: str
    author: str
    author_email: str
    committer: str
    committer_email: str
    committed_at: str
    environment: str
    path: str  # the environment file, registry-relative
    model: str  # the family name
    old: Assignment | None
    new: Assignment | None
    message: str
    pr: int | None = None
    merged_by: str | None = None
    merge_commit: str | None = None
    merged_at: str | None = None
    reason: str | None = None
    trailers: tuple[tuple[str, str], ...] = ()
    evidence: tuple[EvaluationSummary, ...] = ()

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()

    @property
    def landed_at(self) -> str:
        """When the change reached the branch: the merge's date, or the commit's own for a direct or squash commit."""
        return self.merged_at or self.committed_at

    @property
    def action(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        if self.old.ref == self.new.ref:
            return "rollout"  # same version, other mode or share
        newer = version_key(self.new.version) > version_key(self.old.version)
        return "upgraded" if newer else "rolled back"

    def to_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit, "date": self.date, "environment": self.environment, "path": self.path,
            "model": self.model, "action": self.action,
            "old": self.old.to_dict() if self.old else None, "new": self.new.to_dict() if self.new else None,
            "author": {"name": self.author, "email": self.author_email},
            "committer": {"name": self.committer, "email": self.committer_email, "date": self.committed_at},
            "pullRequest": self.pr, "mergedBy": self.merged_by, "mergeCommit": self.merge_commit,
            "mergedAt": self.merged_at, "landedAt": self.landed_at, "subject": self.subject,
            "reason": self.reason, "trailers": [{"key": k, "value": v} for k, v in self.trailers],
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class FileCommit:
    """A commit that added (A), modified (M) or deleted (D) one entry file."""

    commit: str
    date: str
    author: str
    author_email: str
    status: str
    subject: str
    pr: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"commit": self.commit, "date": self.date, "author": {"name": self.author, "email": self.author_email},
                "status": self.status, "subject": self.subject, "pullRequest": self.pr}


@dataclass(frozen=True)
class VersionHistory:
    """One entry file (a version, or an unversioned entry) and the commits that touched it, oldest first."""

    ref: str
    version: str | None
    path: str
    status: str  # the entry's status in the work tree; `deleted` when the file is gone
    commits: tuple[FileCommit, ...]

    @property
    def registered(self) -> FileCommit | None:
        """The first commit that added the file."""
        return next((c for c in self.commits if c.status == "A"), None)

    def to_dict(self) -> dict[str, Any]:
        first = self.registered
        return {"ref": self.ref, "version": self.version, "path": self.path, "status": self.status,
                "registeredAt": first.date if first else None, "registeredBy": first.author if first else None,
                "registeredIn": first.commit if first else None, "commits": [c.to_dict() for c in self.commits]}


@dataclass
class EntryHistory:
    """`charter history REF`: the entry's versions, evaluations (for models) and assignment changes."""

    ref: str
    kind: str
    versions: list[VersionHistory]
    evaluations: list[EvaluationSummary] = field(default_factory=list)
    changes: list[AssignmentChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "kind": self.kind, "versions": [v.to_dict() for v in self.versions],
                "evaluations": [e.to_dict() for e in self.evaluations],
                "assignmentChanges": [c.to_dict() for c in self.changes]}


# ------------------------------------------------------------------------------------------- commit messages

_PR_ON_SUBJECT = (
    re.compile(r"^Merge pull request #(\d+)\b"),  # GitHub, Bitbucket Server
    re.compile(r"^Merged PR (\d+):"),  # Azure DevOps
    re.compile(r"\(pull request #(\d+)\)"),  # Bitbucket Cloud
    re.compile(r"\(#(\d+)\)\s*$"),  # squash merges: "Title (#12)"
)
_GITLAB_MR = re.compile(r"^See merge request \S*!(\d+)\s*$", re.M)
_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")


def pull_request_number(message: str) -> int | None:
    """The pull/merge request a commit message names, in the forms forges write when they merge or squash."""
    subject = message.split("\n", 1)[0].strip()
    for pattern in _PR_ON_SUBJECT:
        match = pattern.search(subject)
        if match:
            return int(match.group(1))
    match = _GITLAB_MR.search(message)
    return int(match.group(1)) if match else None


def parse_trailers(message: str) -> tuple[tuple[str, str], ...]:
    """`Key: value` lines of the message's last paragraph (git's trailer block); continuation lines are unfolded.

    Any key is kept, in order (a key may repeat). A last paragraph with a line that is not a trailer has none, and
    neither has a message that is only a subject.
    """
    paragraphs = re.split(r"\n[ \t]*\n", message.strip())
    if len(paragraphs) < 2:
        return ()
    trailers: list[tuple[str, str]] = []
    for line in paragraphs[-1].split("\n"):
        if line[:1] in (" ", "\t") and trailers:
            key, value = trailers[-1]
            trailers[-1] = (key, f"{value} {line.strip()}".strip())
            continue
        match = _TRAILER.match(line)
        if not match:
            return ()
        trailers.append((match.group(1), match.group(2).strip()))
    return tuple(trailers)


def _trailer(trailers: tuple[tuple[str, str], ...], key: str) -> str | None:
    values = [v for k, v in trailers if k.lower() == key.lower()]
    return values[-1] if values else None


# ----------------------------------------------------------------------------------------- environment files


class Assigned(NamedTuple):
    assignment: Assignment
    reason: str | None
    family: str


# Each pattern starts with the newline before its line (the text gets one in front): the regex engine then jumps
# from newline to newline, where `^` with re.M would try every character.
_SPEC_LINE = re.compile(r"\nspec:[ ]*(?:#[^\n]*)?(?=\n|\Z)")
_TOP_LEVEL_LINE = re.compile(r"\n[^ #\n]")
_CONTENT_LINE = re.compile(r"\n( *)[^ #\n]")  # not blank, not only a comment


def split_assignment_items(text: str) -> tuple[str, list[str]] | None:
    """The file without its `spec.assignments` items, and each item's text; None where the layout is unusual.

    Only plain block layout is split (one top-level `spec:`, one `assignments:` key with nothing after it, items
    starting with `- ` at one indentation); anything else (flow style, duplicate keys, tabs, CR) returns None and is
    parsed whole. A split inside a multi-line quoted string or flow collection leaves an unterminated construct that
    does not parse on its own, so the caller falls back to the whole file then too. Regular expressions over the
    whole text, not a loop over lines: this runs once per version of every environment file.
    """
    if "\r" in text or "\t" in text:
        return None
    lined = "\n" + text  # a match at index i of `lined` is the line that starts at index i of `text`
    specs = list(_SPEC_LINE.finditer(lined))
    if len(specs) != 1:
        return None
    spec = specs[0]
    top = _TOP_LEVEL_LINE.search(lined, spec.end())
    block_end = top.start() if top else len(lined)
    first_key = _CONTENT_LINE.search(lined, spec.end(), block_end)
    if first_key is None:
        return None
    key_indent = len(first_key.group(1))
    keys = list(re.compile(rf"\n {{{key_indent}}}assignments:[ ]*(?:#[^\n]*)?(?=\n|\Z)").finditer(
        lined, spec.end(), block_end))
    if len(keys) != 1:
        return None  # none, or a duplicate key: the whole-file parse decides (and validation reports it)
    first = _CONTENT_LINE.search(lined, keys[0].end())
    if first is None or len(first.group(1)) < key_indent:
        return None
    indent = len(first.group(1))
    item = re.compile(rf"\n {{{indent}}}-(?= |\n|\Z)")
    if not item.match(lined, first.start()):
        return None
    after = re.compile(rf"\n(?: {{0,{indent - 1}}}[^ #\n]| {{{indent}}}(?!-(?: |\n|\Z))[^ #\n])")
    end_match = after.search(lined, first.start() + 1)
    end = end_match.start() if end_match else len(text)
    starts = [m.start() for m in item.finditer(lined, first.start(), end + 1)]
    chunks = [text[a:b] for a, b in zip(starts, [*starts[1:], end], strict=True)]
    return text[:starts[0]] + text[end:], chunks


class EnvironmentReader:
    """The assignments in an environment file's bytes, cached by blob id and by the text of each item."""

    def __init__(self) -> None:
        self._by_blob: dict[str, tuple[Assigned, ...] | None] = {}
        self._items: dict[str, Assigned | bool | None] = {}  # False: the item does not parse on its own
        self._skeletons: dict[str, bool] = {}

    def parse(self, data: bytes) -> tuple[Assigned, ...] | None:
        """One file's assignments; None where it does not parse: what it assigns is unknown, not nothing."""
        return self.read_all({"": data})[""]

    def read_all(self, blobs: dict[str, bytes]) -> dict[str, tuple[Assigned, ...] | None]:
        """Many files by blob id at once: the items not seen before are parsed together, one document per
        indentation (one parse of 2,000 items costs a fraction of 2,000 parses)."""
        texts: dict[str, str | None] = {}
        splits: dict[str, tuple[str, list[str]] | None] = {}
        for oid, data in blobs.items():
            if oid in self._by_blob and oid:
                continue
            texts[oid] = decode_text(data, "environment")[0]
            text = texts[oid]
            splits[oid] = split_assignment_items(text) if text is not None else None
        unseen: dict[int, dict[str, None]] = defaultdict(dict)  # by indentation, in order, without repeats
        for split in splits.values():
            for chunk in split[1] if split is not None else ():
                if chunk not in self._items:
                    unseen[len(chunk) - len(chunk.lstrip(" "))][chunk] = None
        for chunks in unseen.values():
            self._parse_items(list(chunks))
        for oid, text in texts.items():
            split = splits[oid]
            fast = self._from_items(*split) if split is not None else None
            self._by_blob[oid] = fast if fast is not None or text is None else self._parse_whole(text)
        return {oid: self._by_blob[oid] for oid in blobs}

    def _parse_items(self, chunks: list[str]) -> None:
        """Items of one indentation as one YAML sequence; where that does not give one value per item (a broken
        item, or anchors and aliases that could reach across items), each is parsed on its own."""
        together = [c for c in chunks if "&" not in c and "*" not in c]
        if together:
            parsed = parse_yaml("".join(c if c.endswith("\n") else f"{c}\n" for c in together), "environment")
            if not parsed.findings and isinstance(parsed.data, list) and len(parsed.data) == len(together):
                for chunk, value in zip(together, parsed.data, strict=True):
                    self._items[chunk] = _assigned(value)
                together = []
        for chunk in [*together, *(c for c in chunks if "&" in c or "*" in c)]:
            parsed = parse_yaml(chunk, "environment")
            ok = not parsed.findings and isinstance(parsed.data, list) and len(parsed.data) == 1
            self._items[chunk] = _assigned(parsed.data[0]) if ok else False

    def _from_items(self, skeleton: str, chunks: list[str]) -> tuple[Assigned, ...] | None:
        if skeleton not in self._skeletons:
            parsed = parse_yaml(skeleton, "environment")
            spec = parsed.data.get("spec") if isinstance(parsed.data, dict) else None
            self._skeletons[skeleton] = (not parsed.findings and isinstance(spec, dict)
                                         and "assignments" in spec and spec["assignments"] is None)
        if not self._skeletons[skeleton]:
            return None
        result: list[Assigned] = []
        for chunk in chunks:
            if chunk not in self._items:
                self._parse_items([chunk])
            item = self._items[chunk]
            if item is False:
                return None
            if isinstance(item, Assigned):
                result.append(item)
        return tuple(result)

    @staticmethod
    def _parse_whole(text: str) -> tuple[Assigned, ...] | None:
        parsed = parse_yaml(text, "environment").data
        spec = parsed.get("spec") if isinstance(parsed, dict) else None
        if not isinstance(spec, dict):
            return None
        items = spec.get("assignments")
        if not isinstance(items, list):
            return () if items is None else None
        return tuple(a for a in map(_assigned, items) if a is not None)


def _assigned(item: Any) -> Assigned | None:
    """One `spec.assignments[]` item, read leniently: an item without a model version reference is skipped."""
    if not isinstance(item, dict):
        return None
    model = item.get("model")
    match = REFERENCE_RE.match(model) if isinstance(model, str) else None
    if match is None or match.group(1) != "model" or match.group(3) is None:
        return None
    mode = item.get("mode")
    percent = item.get("percent")
    if not isinstance(percent, int | float) or isinstance(percent, bool):
        percent = None
    reason = item.get("reason")
    return Assigned(Assignment(str(model), mode if isinstance(mode, str) else "?", percent),
                    reason if isinstance(reason, str) else None, str(match.group(2)))


def pair_assignments(before: list[Assignment], after: list[Assignment]
                     ) -> list[tuple[Assignment | None, Assignment | None]]:
    """What changed between two lists of one family's assignments, as (old, new) pairs.

    Unchanged assignments drop out. A removed and an added assignment of the same version are one change (its mode
    or share changed); then of the same mode (a version replaced another); the rest are additions and removals.
    """
    removed = list(before)
    added: list[Assignment] = []
    for assignment in after:
        if assignment in removed:
            removed.remove(assignment)
        else:
            added.append(assignment)
    pairs: list[tuple[Assignment | None, Assignment | None]] = []
    for field_index in (0, 1):  # the same version (ref), then the same mode
        for new in list(added):
            old = next((r for r in removed if r[field_index] == new[field_index]), None)
            if old is not None:
                pairs.append((old, new))
                removed.remove(old)
                added.remove(new)
    pairs.extend((None, new) for new in added)
    pairs.extend((old, None) for old in removed)
    order = {a: i for i, a in enumerate(after)}
    return sorted(pairs, key=lambda p: order.get(p[1], len(order)) if p[1] is not None else len(order))


# ------------------------------------------------------------------------------------------------- git access


@dataclass
class _Git:
    """Everything read from git in one go: the logs asked for, the landing merge of each commit, the blobs."""

    root: Path
    prefix: str
    head: str
    logs: list[list[LogEntry]]
    mainline: dict[str, int]  # the first-parent chain from the head, each commit with its position (oldest 0)
    landed_by: dict[str, str]  # commit not on the first-parent chain → the merge on it that brought the commit in
    merges: dict[str, CommitInfo] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)

    def relative(self, path: str) -> str | None:
        """A repository path as a registry path; None outside the registry."""
        if not path.startswith(self.prefix):
            return None
        return path[len(self.prefix):]

    def landing(self, entry: LogEntry) -> tuple[int | None, str | None, str | None, str | None]:
        """(pull request, merged by, merge commit, merged at) of the commit.

        A commit on the first-parent chain landed by itself: a squash or rebase merge names its pull request in the
        subject (its committer applied it), a merge made on the branch is its own merge. Any other commit landed
        with the merge that first reached it; the merger is that merge's author (a forge's web merge commits as
        itself, e.g. "GitHub", but records the person who pressed the button as author).
        """
        if entry.commit in self.mainline:
            pr = pull_request_number(entry.message)
            if len(entry.parents) > 1:
                return pr, entry.author, entry.commit, entry.committer_date
            return pr, entry.committer if pr is not None else None, None, None
        merge = self.landed_by.get(entry.commit)
        info = self.merges.get(merge) if merge else None
        if merge is None or info is None:  # beyond a shallow clone's horizon
            return pull_request_number(entry.message), None, None, None
        pr = pull_request_number(info.message)
        return (pr if pr is not None else pull_request_number(entry.message)), info.author, merge, \
            info.committer_date

    def landing_position(self, commit: str) -> int:
        """Where on the first-parent chain the commit landed: the order in which changes took effect."""
        landed = commit if commit in self.mainline else self.landed_by.get(commit)
        return self.mainline.get(landed, -1) if landed is not None else -1


def _landing_merges(graph: dict[str, tuple[str, ...]], head: str) -> tuple[dict[str, int], dict[str, str]]:
    """The first-parent chain from `head`, and for every other commit the chain's merge that brought it in."""
    chain: list[str] = []
    commit: str | None = head
    while commit is not None and commit in graph:
        chain.append(commit)
        parents = graph[commit]
        commit = parents[0] if parents else None
    seen: set[str] = set()
    landed_by: dict[str, str] = {}
    for merge in reversed(chain):  # oldest first: everything older is already seen when a merge is walked
        seen.add(merge)
        stack = [p for p in graph[merge][1:] if p not in seen]
        while stack:
            commit = stack.pop()
            if commit in seen:
                continue
            seen.add(commit)
            landed_by[commit] = merge
            stack.extend(p for p in graph.get(commit, ()) if p not in seen)
    return {commit: i for i, commit in enumerate(reversed(chain))}, landed_by


def _read_git(root: Path, revision: str, logs: list[list[str]], *, blob_paths: tuple[str, ...] = ()
              ) -> _Git | None:
    """Run the logs (pathspecs per log, registry-relative) and the graph concurrently, then one cat-file for the
    blobs of files below `blob_paths` and for the merges that landed the logged commits. None without commits."""
    head = resolve_commit(root, revision)
    if head is None:
        return None
    prefix = repository_prefix(root)
    commands = [log_command([literal_pathspec(f"{prefix}{p}") for p in paths], head) for paths in logs]
    outputs = run_git_parallel(root, [*commands, parent_graph_command(head)])
    mainline, landed_by = _landing_merges(parse_parent_graph(outputs[-1]), head)
    git = _Git(root, prefix, head, [parse_log(o) for o in outputs[:-1]], mainline, landed_by)
    merges = sorted({landed_by[e.commit] for log in git.logs for e in log if e.commit in landed_by})
    blobs: set[str] = set()
    wanted = tuple(f"{prefix}{p}" for p in blob_paths)
    for log in git.logs:
        for entry in log:
            for change in entry.changes:
                if change.path.startswith(wanted):
                    blobs.update(b for b in (*change.old_blobs, change.new_blob) if not is_null_oid(b))
    names = [*merges, *sorted(blobs)]
    for name, obj in zip(names, read_objects(root, names), strict=True):
        if obj is None:
            continue
        if obj.type == "commit":
            git.merges[name] = parse_commit_object(obj.data)
        else:
            git.blobs[name] = obj.data
    return git


# ---------------------------------------------------------------------------------------------- assignments


def _environment_pathspecs(environment: str | None) -> list[str]:
    if environment is None:
        return ["environments"]
    return [f"environments/{environment}.yaml", f"environments/{environment}.yml"]


def assignment_history(root: Path, *, family: str | None = None, environment: str | None = None,
                       evidence: bool = False, revision: str = "HEAD") -> list[AssignmentChange]:
    """Every assignment change reachable from `revision`, in the order the changes reached the branch (a ledger's).

    That is the order of their landing commits on the first-parent chain (a merged pull request lands with its
    merge), then git's order within one landing.

    `family` and `environment` narrow the result; `evidence` adds, to each change that assigns a version, the
    Evaluation entries of that version present at the change's commit (what `charter gate` saw).
    """
    logs = [_environment_pathspecs(environment)]
    if evidence:
        logs.append(["evaluations"])
    git = _read_git(root, revision, logs, blob_paths=("environments/", "evaluations/"))
    if git is None:
        return []
    changes = _changes(git, git.logs[0], family, environment)
    if evidence:
        changes = _with_evidence(git, git.logs[1], changes)
    return changes


class _State(NamedTuple):
    """An environment file's assignments by family, and the reason written on each."""

    by_family: dict[str, list[Assignment]]
    reasons: dict[Assignment, str | None]


def _changes(git: _Git, log: list[LogEntry], family: str | None, environment: str | None
             ) -> list[AssignmentChange]:
    reader = EnvironmentReader()
    states: dict[str, _State | None] = {}
    empty = _State({}, {})

    env_blobs = {oid: git.blobs[oid] for entry in log for raw in entry.changes
                 for oid in (*raw.old_blobs, raw.new_blob) if oid in git.blobs}
    parsed = reader.read_all(env_blobs)

    def state(oid: str) -> _State | None:
        if is_null_oid(oid):
            return empty
        if oid not in states:
            items = parsed.get(oid)
            if items is None:
                states[oid] = None
            else:
                by_family: dict[str, list[Assignment]] = defaultdict(list)
                for item in items:
                    by_family[item.family].append(item.assignment)
                states[oid] = _State(dict(by_family), {i.assignment: i.reason for i in items})
        return states[oid]

    changes: list[AssignmentChange] = []
    for entry in reversed(log):  # git lists newest first
        landing: tuple[int | None, str | None, str | None, str | None] | None = None
        trailers: tuple[tuple[str, str], ...] = ()
        for raw in sorted(entry.changes, key=lambda c: c.path):
            relpath = git.relative(raw.path)
            location = locate_path(relpath) if relpath is not None else None
            if relpath is None or location is None or location.kind is not KINDS["Environment"]:
                continue
            if environment is not None and location.name != environment:
                continue
            after = state(raw.new_blob)
            befores = [state(oid) for oid in raw.old_blobs] or [empty]
            if after is None or any(b is None for b in befores):
                continue  # one side does not parse: what it assigned is unknown, so nothing is claimed
            sides = [after, *(b for b in befores if b is not None)]
            # A family whose list is the same as on the first side has no pairs (see pair_assignments): skip it
            # before pairing, so an environment of hundreds of families costs per change, not per family.
            first = sides[1].by_family
            names = [family] if family is not None else sorted(
                n for n in {*after.by_family, *first} if after.by_family.get(n, []) != first.get(n, []))
            for name in names:
                new_list = after.by_family.get(name, [])
                old_lists = [b.by_family.get(name, []) for b in sides[1:]]
                if len(old_lists) > 1 and any(Counter(o) == Counter(new_list) for o in old_lists):
                    continue  # a merge that took this family from one side: that side's commits are the changes
                for old, new in pair_assignments(old_lists[0], new_list):
                    if landing is None:
                        landing, trailers = git.landing(entry), parse_trailers(entry.message)
                    pr, merged_by, merge_commit, merged_at = landing
                    reason = _trailer(trailers, "Reason") or (after.reasons.get(new) if new is not None else None)
                    changes.append(AssignmentChange(
                        commit=entry.commit, date=entry.author_date, author=entry.author,
                        author_email=entry.author_email, committer=entry.committer,
                        committer_email=entry.committer_email, committed_at=entry.committer_date,
                        environment=location.name, path=relpath, model=name, old=old, new=new,
                        message=entry.message, pr=pr, merged_by=merged_by, merge_commit=merge_commit,
                        merged_at=merged_at, reason=reason, trailers=trailers))
    return sorted(changes, key=lambda c: git.landing_position(c.commit))  # stable: git's order within a landing


# ------------------------------------------------------------------------------------------------- evidence

_FAMILY_TOKEN = re.compile(rb"model:([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)@")


def summarize_evaluation(doc: Document) -> EvaluationSummary | None:
    if doc.kind is not KINDS["Evaluation"] or not isinstance(doc.spec, dict):
        return None
    spec = doc.spec
    metrics: dict[str, float] = {}
    if isinstance(spec.get("metrics"), dict):
        for name, metric in spec["metrics"].items():
            value = metric.get("value") if isinstance(metric, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                metrics[str(name)] = value
    ref = str(doc.ref) if doc.ref is not None else doc.path

    def text(key: str) -> str | None:
        value = spec.get(key)
        return value if isinstance(value, str) else None

    return EvaluationSummary(ref, doc.path, text("model") or "", doc.status, text("method"), text("cohort"),
                             text("date"), metrics)


def _with_evidence(git: _Git, log: list[LogEntry], changes: list[AssignmentChange]) -> list[AssignmentChange]:
    """Each change that assigns a version gets the evaluations of that version that existed at its commit.

    Candidates are the evaluation files that at some time named the model (from the log over evaluations/, so a
    file deleted since still counts); whether and how each existed at the commit is asked of git in one batch.
    """
    paths_of_blob: dict[str, set[str]] = defaultdict(set)
    for entry in log:
        for raw in entry.changes:
            relpath = git.relative(raw.path)
            if relpath is None:
                continue
            for oid in (*raw.old_blobs, raw.new_blob):
                if not is_null_oid(oid):
                    paths_of_blob[oid].add(relpath)
    candidates: dict[str, set[str]] = defaultdict(set)
    for oid, paths in paths_of_blob.items():
        for token in set(_FAMILY_TOKEN.findall(git.blobs.get(oid, b""))):
            candidates[token.decode()].update(paths)
    lookups = sorted({(c.commit, path) for c in changes if c.new is not None for path in candidates[c.model]})
    found = dict(zip(lookups, object_ids(git.root, [f"{commit}:{git.prefix}{path}" for commit, path in lookups]),
                     strict=True))
    missing = sorted({oid for oid in found.values() if oid is not None and oid not in git.blobs})
    for oid, obj in zip(missing, read_objects(git.root, missing), strict=True):
        if obj is not None:
            git.blobs[oid] = obj.data
    summaries: dict[tuple[str, str], EvaluationSummary | None] = {}

    def summary(oid: str, path: str) -> EvaluationSummary | None:
        if (oid, path) not in summaries:
            doc, _ = parse_document(git.blobs.get(oid, b""), path)
            summaries[(oid, path)] = summarize_evaluation(doc) if doc is not None else None
        return summaries[(oid, path)]

    result: list[AssignmentChange] = []
    for change in changes:
        if change.new is None:
            result.append(change)
            continue
        evidence = []
        for path in sorted(candidates[change.model]):
            blob = found.get((change.commit, path))
            found_summary = summary(blob, path) if blob is not None else None
            if found_summary is not None and found_summary.model == change.new.ref:
                evidence.append(found_summary)
        result.append(replace(change, evidence=tuple(evidence)))
    return result


# -------------------------------------------------------------------------------------------------- audit


def parse_since(text: str) -> date:
    """`--since`: a calendar date, YYYY-MM-DD."""
    try:
        return parse_date(text.strip())
    except ValueError as exc:
        raise CharterError(f"--since {text!r} is not a date: {exc}", "write the date as YYYY-MM-DD, e.g. 2026-01-31"
                           ) from exc


def landed_on(change: AssignmentChange) -> date:
    """The UTC date on which a change reached the branch."""
    return datetime.fromisoformat(change.landed_at).astimezone(UTC).date()


def audit(root: Path, *, environment: str | None = None, since: date | None = None, revision: str = "HEAD"
          ) -> list[AssignmentChange]:
    """Every assignment change with its evidence, oldest first; `since` keeps those that landed on or after it."""
    changes = assignment_history(root, environment=environment, evidence=True, revision=revision)
    if since is not None:
        changes = [c for c in changes if landed_on(c) >= since]
    return changes


# ----------------------------------------------------------------------------------------------- history REF


def entry_history(root: Path, text: str, *, revision: str = "HEAD") -> EntryHistory:
    """History of a model family (`model:NAME` or `NAME`), a model version, or any other entry.

    A model: its versions (work-tree status, the commits that added and changed each file), its evaluations and
    its assignment changes; a model version narrows all three to that version. Another versioned entry: every
    version of its name and the commits of each file. An environment: its file's commits and its assignment changes.
    """
    reference = parse_reference(text if ":" in text else f"model:{text}")
    kind = reference.kind or kind_for_prefix(reference.prefix, True)
    if kind is None:  # a version on an unversioned kind, e.g. environment:production@1.0.0
        raise CharterError(f"{reference} names a version, but {reference.prefix} entries have none",
                           f"write {reference.prefix}:{reference.name}")
    if reference.prefix == "model":
        return _model_history(root, reference, revision)
    folder = kind.relative_path(reference.name, "-").rsplit("/", 1)[0] if kind.versioned \
        else kind.relative_path(reference.name, None)
    environment = reference.name if kind is KINDS["Environment"] else None
    logs = [[folder]] + ([_environment_pathspecs(environment)] if environment else [])
    git = _read_git(root, revision, logs, blob_paths=("environments/",) if environment else ())
    versions = _file_histories(root, git, git.logs[0] if git else [], kind, reference.name, folder)
    changes = _changes(git, git.logs[1], None, environment) if git is not None and environment else []
    if not versions and not changes:
        raise CharterError(f"{reference} has no history in {root}", "list entries with `charter list`")
    return EntryHistory(str(reference), kind.name, versions, [], changes)


def _model_history(root: Path, reference: Reference, revision: str) -> EntryHistory:
    folder = f"models/{reference.name}/versions"
    git = _read_git(root, revision, [_environment_pathspecs(None), [folder]], blob_paths=("environments/",))
    changes = _changes(git, git.logs[0], reference.name, None) if git is not None else []
    versions = _file_histories(root, git, git.logs[1] if git else [], KINDS["ModelVersion"], reference.name,
                               folder)
    evaluations = model_evaluations(root, reference.name)
    if reference.version is not None:
        ref = str(reference)
        changes = [c for c in changes if ref in (c.old.ref if c.old else None, c.new.ref if c.new else None)]
        versions = [v for v in versions if v.version == reference.version]
        evaluations = [e for e in evaluations if e.model == ref]
    if not versions and not changes and not (root / f"models/{reference.name}/model.yaml").is_file():
        raise CharterError(f"{reference} has no history in {root}", "list models with `charter list model`")
    return EntryHistory(str(reference), "ModelVersion" if reference.version else "Model", versions, evaluations,
                        changes)


def _file_histories(root: Path, git: _Git | None, log: list[LogEntry], kind: Kind, name: str, folder: str
                    ) -> list[VersionHistory]:
    """Each entry file below `folder` (in the work tree or in history) with its commits, by version."""
    commits: dict[str, list[FileCommit]] = defaultdict(list)
    for entry in reversed(log):
        pr = git.landing(entry)[0] if git is not None else None
        for raw in entry.changes:
            relpath = git.relative(raw.path) if git is not None else None
            if relpath is not None:
                commits[relpath].append(FileCommit(entry.commit, entry.author_date, entry.author,
                                                   entry.author_email, raw.status[:1], entry.subject, pr))
    paths = set(commits)
    top = root / folder
    if top.is_file():
        paths.add(folder)
    elif top.is_dir():
        paths.update(f"{folder}/{p.name}" for p in top.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    histories: list[VersionHistory] = []
    for relpath in paths:
        location = locate_path(relpath)
        if location is None or location.kind is not kind or location.name != name:
            continue
        doc = read_document(root, relpath)[0] if (root / relpath).is_file() else None
        status = doc.status if doc is not None else ("deleted" if commits.get(relpath) else "unreadable")
        ref = str(Reference(kind.prefix, name, location.version))
        histories.append(VersionHistory(ref, location.version, relpath, status, tuple(commits.get(relpath, ()))))
    return sorted(histories, key=lambda v: version_key(v.version or ""))


def model_evaluations(root: Path, family: str) -> list[EvaluationSummary]:
    """The work tree's Evaluation entries of any version of `family`, by version then date.

    Every evaluation file is read as bytes, but only those that mention `model:FAMILY@` are parsed.
    """
    needle = f"model:{family}@".encode()
    found: list[EvaluationSummary] = []
    top = root / "evaluations"
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for filename in filenames:
            path = Path(dirpath) / filename
            relpath = path.relative_to(root).as_posix()
            location = locate_path(relpath)
            if location is None or location.kind is not KINDS["Evaluation"]:
                continue
            try:
                raw = path.read_bytes()
            except OSError:
                continue
            if needle not in raw:
                continue
            doc, _ = parse_document(raw, relpath)
            summary = summarize_evaluation(doc) if doc is not None else None
            if summary is not None and summary.model.startswith(needle.decode()):
                found.append(summary)
    return sorted(found, key=lambda e: (version_key(e.model.split("@", 1)[1]), e.date or "", e.ref))

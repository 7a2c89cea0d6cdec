"""How git is asked for the history of assignments, and which merge landed each commit on the branch.

The budget is one second for 2,000 promotions, so nothing is done per commit or per file:

1. ONE `git log --raw` limited to `environments/` lists the commits that changed an environment file, each with the
   blob ids of the file before and after (and, for merges, the combined form: files that differ from every parent,
   i.e. edits made in the merge itself). Nothing is checked out and no commit is diffed in Python.
2. ONE `git rev-list --parents`, run concurrently, gives the commit graph. The merge that brought a change into the
   current branch is found by one walk over it: along the first-parent chain, oldest first, every commit newly
   reachable through a merge's other parents was brought in by that merge. Each commit is visited once, so the cost
   is one pass however many changes there are (a `git log --ancestry-path` per change would be a process each).
3. ONE `git cat-file --batch` reads every distinct environment blob and every merge commit that is needed.

A registry may be a sub-folder of its repository: paths are given to git with the registry's prefix and read back
without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from charter.adapters.git.log import (
    CommitInfo,
    LogEntry,
    is_null_oid,
    log_command,
    parent_graph_command,
    parse_commit_object,
    parse_log,
    parse_parent_graph,
    read_objects,
)
from charter.adapters.git.repo import repository_prefix, resolve_commit
from charter.adapters.git.revision import literal_pathspec
from charter.adapters.git.run import run_git_parallel
from charter.history.commits import pull_request_of_message


@dataclass
class GitHistory:
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
            pr = pull_request_of_message(entry.message)
            if len(entry.parents) > 1:
                return pr, entry.author, entry.commit, entry.committer_date
            return pr, entry.committer if pr is not None else None, None, None
        merge = self.landed_by.get(entry.commit)
        info = self.merges.get(merge) if merge else None
        if merge is None or info is None:  # beyond a shallow clone's horizon
            return pull_request_of_message(entry.message), None, None, None
        pr = pull_request_of_message(info.message)
        return (pr if pr is not None else pull_request_of_message(entry.message)), info.author, merge, \
            info.committer_date

    def landing_position(self, commit: str) -> int:
        """Where on the first-parent chain the commit landed: the order in which changes took effect."""
        landed = commit if commit in self.mainline else self.landed_by.get(commit)
        return self.mainline.get(landed, -1) if landed is not None else -1


def landing_merges(graph: dict[str, tuple[str, ...]], head: str) -> tuple[dict[str, int], dict[str, str]]:
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


def read_git_history(root: Path, revision: str, logs: list[list[str]], *, blob_paths: tuple[str, ...] = ()
              ) -> GitHistory | None:
    """Run the logs (pathspecs per log, registry-relative) and the graph concurrently, then one cat-file for the
    blobs of files below `blob_paths` and for the merges that landed the logged commits. None without commits."""
    head = resolve_commit(root, revision)
    if head is None:
        return None
    prefix = repository_prefix(root)
    commands = [log_command([literal_pathspec(f"{prefix}{p}") for p in paths], head) for paths in logs]
    outputs = run_git_parallel(root, [*commands, parent_graph_command(head)])
    mainline, landed_by = landing_merges(parse_parent_graph(outputs[-1]), head)
    git = GitHistory(root, prefix, head, [parse_log(o) for o in outputs[:-1]], mainline, landed_by)
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

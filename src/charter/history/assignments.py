"""What should run where, over time: every assignment change, from git, with who, when, which pull request, and the
evidence that was in the registry when the change was made. `charter history` and `charter audit` print it.

git is read once (`charter.history.landing`), environment files are parsed per item
(`charter.history.environment_items`); this module pairs each file's versions into changes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from charter.adapters.git.log import LogEntry, is_null_oid
from charter.history.commits import parse_trailers, trailer_value
from charter.history.environment_items import Assignment, EnvironmentReader
from charter.history.evidence import EvaluationSummary, evaluations_at
from charter.history.landing import GitHistory, read_git_history
from charter.registry.kinds import KINDS, locate_path
from charter.registry.versions import version_key


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


def environment_pathspecs(environment: str | None) -> list[str]:
    """What git's log is limited to: every environment file, or one environment's (either suffix)."""
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
    logs = [environment_pathspecs(environment)]
    if evidence:
        logs.append(["evaluations"])
    git = read_git_history(root, revision, logs, blob_paths=("environments/", "evaluations/"))
    if git is None:
        return []
    changes = changes_in_log(git, git.logs[0], family, environment)
    if evidence:
        assigned = [(c.commit, c.model, c.new.ref) for c in changes if c.new is not None]
        found = evaluations_at(git, git.logs[1], assigned)
        changes = [replace(c, evidence=found[(c.commit, c.model, c.new.ref)]) if c.new is not None else c
                   for c in changes]
    return changes


class _State(NamedTuple):
    """An environment file's assignments by family, and the reason written on each."""

    by_family: dict[str, list[Assignment]]
    reasons: dict[Assignment, str | None]


def changes_in_log(git: GitHistory, log: list[LogEntry], family: str | None, environment: str | None
                   ) -> list[AssignmentChange]:
    """The assignment changes the commits of `log` (over environment files) made, in the order they landed."""
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
                    reason = trailer_value(trailers, "Reason") or (after.reasons.get(new) if new is not None else None)
                    changes.append(AssignmentChange(
                        commit=entry.commit, date=entry.author_date, author=entry.author,
                        author_email=entry.author_email, committer=entry.committer,
                        committer_email=entry.committer_email, committed_at=entry.committer_date,
                        environment=location.name, path=relpath, model=name, old=old, new=new,
                        message=entry.message, pr=pr, merged_by=merged_by, merge_commit=merge_commit,
                        merged_at=merged_at, reason=reason, trailers=trailers))
    return sorted(changes, key=lambda c: git.landing_position(c.commit))  # stable: git's order within a landing

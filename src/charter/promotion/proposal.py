"""Assignments proposed together, for review: one commit on a branch, opened as a pull request like a promotion.

`charter import mlflow` proposes the starting state it found (MLflow's aliases) this way. Unlike `promote`, no
policy is checked here: the proposal records what already runs, and `charter gate` on the pull request says which
of those assignments the policy would not have let through, for the reviewers to see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.errors import (
    DetachedHead,
    EditInvalid,
    EnvironmentNotEditable,
    NoEnvironmentFile,
    PromotionPushedMeanwhile,
    PromotionUnderWay,
    UncommittedChanges,
)
from charter.promotion.promote import (
    PromotionRequest,
    edit_environment,
    editable_environment,
    open_pull_request,
    starting_point,
)
from charter.registry.findings import has_errors
from charter.registry.kinds import KINDS
from charter.registry.yamlio import NotEditable
from charter.store.transaction import Journal, repository_lock, write_text_atomic

if TYPE_CHECKING:
    from charter.adapters.forge.base import ForgeClient


@dataclass
class Proposal:
    title: str
    #: (environment, model version reference, reason), in the order they are applied.
    assignments: list[tuple[str, str, str]]
    branch: str
    summary: str
    push: bool = True


@dataclass
class ProposalResult:
    title: str
    body: str
    branch: str
    base_branch: str
    commit: str
    pushed: bool = False
    pull_request_url: str | None = None
    pull_request_number: int | None = None
    compare_url: str | None = None
    forge_note: str | None = None
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "branch": self.branch, "base": self.base_branch, "commit": self.commit,
                "pushed": self.pushed, "pullRequest": {"url": self.pull_request_url,
                                                       "number": self.pull_request_number},
                "compareUrl": self.compare_url, "forgeNote": self.forge_note, "files": self.files}


def check_can_propose(root: Path) -> str:
    """The branch a proposal would start from; refused now if the work tree is not clean or no branch is checked
    out, so a command that writes before proposing (`import mlflow`) finds out before its first commit."""
    from charter.adapters.git import worktree
    from charter.adapters.git.repo import open_repository

    repo = open_repository(root)
    if not worktree.is_clean(repo):
        raise UncommittedChanges()
    base_branch = worktree.current_branch(repo)
    if base_branch is None:
        raise DetachedHead()
    return base_branch


def propose_assignments(root: Path, proposal: Proposal, *, forge: ForgeClient | None = None,
                        forge_note: str | None = None) -> ProposalResult:
    """Edit every environment file named, validate, commit on `proposal.branch`, push, open the pull request."""
    from charter.adapters.git import worktree
    from charter.adapters.git.repo import git_directory, open_repository

    repo = open_repository(root)
    with repository_lock(git_directory(repo), "propose"):
        base_branch = check_can_propose(root)
        if worktree.has_remote(repo):
            worktree.fetch(repo)
        if worktree.branch_exists(repo, proposal.branch):
            raise PromotionUnderWay(branch=proposal.branch)
        journal = Journal(git_directory(repo), "promote")  # a killed proposal is undone as a killed promotion is
        journal.write({"command": "promote", "branch": proposal.branch, "pushed": False})
        try:
            with worktree.workspace(root, proposal.branch, starting_point(repo, base_branch)) as space:
                result = _build(space, proposal, base_branch)
                if not (proposal.push and worktree.has_remote(space.repo)):
                    return result
                journal.write({"command": "promote", "branch": proposal.branch, "pushed": True})
                try:
                    worktree.push_branch(repo, proposal.branch)
                except worktree.PushRejected as exc:
                    raise PromotionPushedMeanwhile(branch=proposal.branch) from exc
                result.pushed = True
                try:
                    open_pull_request(result, forge, worktree.remote_url(repo), forge_note)
                except BaseException:
                    worktree.delete_remote_branch(repo, proposal.branch)
                    raise
                return result
        finally:
            journal.end()


def _build(space: Any, proposal: Proposal, base_branch: str) -> ProposalResult:
    from charter.adapters.git import worktree
    from charter.store.loader import load_registry
    from charter.validation.runner import validate_registry

    known = load_registry(space.root).config.environments
    when = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    paths: list[str] = []
    for environment, ref, reason in proposal.assignments:
        env_path = KINDS["Environment"].relative_path(environment, None)
        if not (space.root / env_path).is_file():
            raise NoEnvironmentFile(environment=environment, path=env_path, known=", ".join(known))
        text = editable_environment(space.root, env_path)
        try:
            edited = edit_environment(text.text, PromotionRequest(ref, environment, reason=reason), when)
        except NotEditable as exc:
            line, column = exc.place
            raise EnvironmentNotEditable(path=env_path, line=line, column=column, problem=str(exc)) from None
        write_text_atomic(space.root / env_path, text.restore(edited))
        if env_path not in paths:
            paths.append(env_path)
    report = validate_registry(space.root, paths, cwd=space.root)
    if has_errors(report.findings):
        raise EditInvalid(report.findings, path=", ".join(paths))
    lines = [f"- {environment}: {ref} ({reason})" for environment, ref, reason in proposal.assignments]
    message = "\n".join([proposal.title, "", *lines])
    commit = worktree.commit_in(space, message, paths)
    body = f"{proposal.summary}\n\nRun `charter gate` on this branch to see what the policy says of each assignment."
    return ProposalResult(proposal.title, body, proposal.branch, base_branch, commit, files=paths)

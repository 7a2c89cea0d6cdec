"""`promote` and `rollback`: a policy-checked change of an environment file, on its own branch, as a pull request.

The change is built in a temporary worktree at the newest base (the person's checkout is never touched), checked
against the policy on that very state, committed with a structured message, pushed, and opened as a pull request
whose body carries the evidence. Any failure removes the branch again: nothing is half-done.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from charter.errors import (
    AlreadyAssigned,
    BaseDiverged,
    BaseKeptMoving,
    CanaryNeedsPercent,
    CharterError,
    DetachedHead,
    EditInvalid,
    EnvironmentInvalid,
    EnvironmentNotEditable,
    InvalidEnvironmentName,
    NoEnvironmentFile,
    NotAModelVersion,
    PercentWithoutCanary,
    PolicyRefused,
    PromotionPushedMeanwhile,
    PromotionUnderWay,
    UncommittedChanges,
    UnknownRolloutMode,
)
from charter.promotion.evidence_policy import Verifier
from charter.promotion.policy import Promotion, Verdict, check_promotion
from charter.promotion.pr_body import render_body, title
from charter.registry.documents import Document, parse_document, read_raw
from charter.registry.environments import assigned_version, current_assignment
from charter.registry.findings import has_errors
from charter.registry.kinds import KINDS, NAME_RE
from charter.registry.references import parse_reference
from charter.registry.yamlio import (
    EditableText,
    NotEditable,
    add_mapping_keys,
    append_to_sequence,
    parse_yaml,
    remove_from_sequence,
    replace_scalars,
)
from charter.store.transaction import Journal, repository_lock, write_text_atomic
from charter.validation.evidence import evidence_verifier

if TYPE_CHECKING:
    from charter.adapters.forge.base import ForgeClient
    from charter.adapters.git.repo import Repository
    from charter.adapters.git.worktree import Workspace

ROLLOUT_MODES = ("full", "canary", "shadow")


@dataclass
class PromotionRequest:
    ref: str
    environment: str
    mode: str = "full"
    percent: float | None = None
    reason: str | None = None
    allow_breaking: bool = False
    rollback: bool = False
    push: bool = True
    today: date = field(default_factory=date.today)


@dataclass
class PromotionResult:
    verdict: Verdict
    title: str
    body: str
    branch: str
    base_branch: str
    commit: str
    pushed: bool
    pull_request_url: str | None = None
    pull_request_number: int | None = None
    compare_url: str | None = None
    forge_note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "branch": self.branch, "base": self.base_branch, "commit": self.commit,
                "pushed": self.pushed, "pullRequest": {"url": self.pull_request_url,
                                                       "number": self.pull_request_number},
                "compareUrl": self.compare_url, "forgeNote": self.forge_note, "verdict": self.verdict.to_dict(),
                "body": self.body}


def edit_environment(text: str, request: PromotionRequest, when: str) -> str:
    """The environment file with only the lines of this promotion changed (comments and order kept)."""
    data = parse_yaml(text, "environment").data
    items = data.get("spec", {}).get("assignments") if isinstance(data, dict) else None
    items = items if isinstance(items, list) else []
    model = request.ref.split(":", 1)[1].split("@", 1)[0]
    path = ("spec", "assignments")

    def same_slot(item: Any) -> bool:
        return isinstance(item, dict) and str(item.get("model", "")).startswith(f"model:{model}@") \
            and item.get("mode", "full") == request.mode

    slot = next((i for i, item in enumerate(items) if same_slot(item)), None)
    fields: dict[str, Any] = {"model": request.ref, "mode": request.mode}
    if request.percent is not None:
        fields["percent"] = request.percent
    fields["promotedAt"] = when
    if request.reason:
        fields["reason"] = request.reason
    if request.allow_breaking:
        fields["allowBreaking"] = True
    if slot is None:
        text = append_to_sequence(text, path, fields)
    else:
        existing = items[slot]
        text = replace_scalars(text, {(*path, slot, k): v for k, v in fields.items() if k in existing
                                      and isinstance(existing[k], str | int | float | bool)}, multiline=True)
        new_keys = {k: v for k, v in fields.items() if k not in existing}
        if new_keys:
            text = add_mapping_keys(text, (*path, slot), new_keys)
    if request.mode == "full":  # a canary or shadow of the version it now fully replaces has graduated
        data = parse_yaml(text, "environment").data
        items = data["spec"]["assignments"]
        for i in reversed(range(len(items))):
            if isinstance(items[i], dict) and items[i].get("model") == request.ref \
                    and items[i].get("mode") in ("canary", "shadow"):
                text = remove_from_sequence(text, path, i)
    return text


def commit_message(verdict: Verdict, reason: str | None) -> str:
    p = verdict.promotion
    trailers = [f"Charter-Promotion: {p.candidate}", f"Model: {p.model}",
                f"From-Version: {p.current.split('@', 1)[1] if p.current else 'none'}",
                f"To-Version: {p.candidate.split('@', 1)[1]}", f"Environment: {p.environment}",
                f"Mode: {p.mode}" + (f" {p.percent:g}%" if p.percent is not None else "")]
    if reason:
        trailers.append(f"Reason: {' '.join(reason.split())}")
    if p.allow_breaking:
        trailers.append("Allow-Breaking: true")
    return f"{title(verdict)}\n\n" + "\n".join(trailers)


def branch_name(request: PromotionRequest) -> str:
    model, version = request.ref.split(":", 1)[1].split("@", 1)
    verb = "rollback" if request.rollback else "promote"
    suffix = "" if request.mode == "full" else f"-{request.mode}"
    return f"charter/{verb}-{model}-{version}-to-{request.environment}{suffix}"


def contract_differ() -> Callable[[Document, Document], list[Any]] | None:
    try:
        from charter.history.diff import diff_entries
    except ImportError:
        return None
    return lambda old, new: list(diff_entries("Contract", old.data, new.data))


def _validate(request: PromotionRequest) -> None:
    if request.mode not in ROLLOUT_MODES:
        raise UnknownRolloutMode(mode=request.mode, known=", ".join(ROLLOUT_MODES))
    if request.mode == "canary" and (request.percent is None or not 0 < request.percent < 100):
        raise CanaryNeedsPercent()
    if request.mode != "canary" and request.percent is not None:
        raise PercentWithoutCanary()
    try:
        ref = parse_reference(request.ref)
    except CharterError:
        ref = None
    if ref is None or ref.kind is not KINDS["ModelVersion"]:
        raise NotAModelVersion(ref=request.ref)
    if not NAME_RE.match(request.environment):  # it becomes a path and a branch name
        raise InvalidEnvironmentName(environment=request.environment)


#: How many times a promotion is rebuilt when origin's base branch moves while it is being built.
REBUILD_ATTEMPTS = 3


def promote(root: Path, request: PromotionRequest, *, forge: ForgeClient | None = None,
            forge_note: str | None = None) -> PromotionResult:
    """Check, branch, edit, commit, push, open the pull request; returns what was done.

    One register or promote at a time changes a repository (the repository lock). A promotion killed part-way
    (its journal is still there) is undone first: its worktree and branch go, and so does a branch it pushed without
    a pull request, so running the command again finishes the job.
    """
    from charter.adapters.git.repo import git_directory, open_repository, work_tree
    from charter.store.recovery import undo_interrupted

    if ":" not in request.ref:
        request.ref = f"model:{request.ref}"
    _validate(request)
    repo = open_repository(root)
    git_dir = git_directory(repo)
    with repository_lock(git_dir, "promote"):
        undo_interrupted(git_dir, work_tree(repo).resolve())  # a killed register, record or new in this checkout
        journal = Journal(git_dir, "promote")
        undo_interrupted_promotion(repo, journal, forge)
        return _promote(root, request, repo, journal, forge, forge_note)


def undo_interrupted_promotion(repo: Repository, journal: Journal, forge: ForgeClient | None = None) -> bool:
    """Remove what a killed promotion left; True if there was one. A pushed branch with an open pull request stays:
    that promotion got as far as it needed to."""
    from charter.adapters.git import worktree

    record = journal.read()
    if record is None:
        return False
    branch = record.get("branch")
    if isinstance(branch, str) and branch.startswith("charter/"):
        worktree.discard_branch(repo, branch)
        if record.get("pushed"):
            try:
                open_pull = forge is not None and forge.pull_request_for_branch(branch) is not None
            except CharterError:
                open_pull = True  # cannot tell: leave the pushed branch to a person
            if not open_pull:
                worktree.delete_remote_branch(repo, branch)
    journal.end()
    return True


def _promote(root: Path, request: PromotionRequest, repo: Repository, journal: Journal, forge: ForgeClient | None,
             forge_note: str | None) -> PromotionResult:
    from charter.adapters.git import worktree

    if not worktree.is_clean(repo):
        raise UncommittedChanges()
    base_branch = worktree.current_branch(repo)
    if base_branch is None:
        raise DetachedHead()
    worktree.fetch(repo)
    start = starting_point(repo, base_branch)
    branch = branch_name(request)
    if worktree.branch_exists(repo, branch):
        raise PromotionUnderWay(branch=branch)
    journal.write({"command": "promote", "branch": branch, "pushed": False})
    try:
        with worktree.workspace(root, branch, start) as space:
            pushing = request.push and worktree.has_remote(space.repo)
            for _ in range(REBUILD_ATTEMPTS):
                result = _build(space, request, branch, base_branch, evidence_verifier(root))
                if not pushing:
                    return result
                # origin's base may have moved while this was built: then rebuild on it, so that the policy and
                # the validation see what the pull request will be merged into (a rebase by rebuilding, never forced)
                worktree.fetch(repo)
                newest = starting_point(repo, base_branch)
                if newest == start:
                    break
                start = newest
                worktree.reset_workspace(space, start)
            else:
                raise BaseKeptMoving(branch=base_branch, attempts=REBUILD_ATTEMPTS)
            journal.write({"command": "promote", "branch": branch, "pushed": True})
            try:  # from the person's repository: a relative remote URL (../origin.git) is relative to its tree
                worktree.push_branch(repo, branch)
            except worktree.PushRejected as exc:
                raise PromotionPushedMeanwhile(branch=branch) from exc
            result.pushed = True
            try:
                open_pull_request(result, forge, worktree.remote_url(repo), forge_note)
            except BaseException:
                worktree.delete_remote_branch(repo, branch)
                raise
            return result
    finally:
        journal.end()


def _build(space: Workspace, request: PromotionRequest, branch: str, base_branch: str,
           verify: Verifier) -> PromotionResult:
    """Check the policy on the workspace's state, edit the environment file, validate, commit."""
    from charter.adapters.git import worktree
    from charter.store.loader import load_registry
    from charter.validation.runner import validate_registry

    env_path = KINDS["Environment"].relative_path(request.environment, None)
    loaded = load_registry(space.root)
    if not os.path.lexists(space.root / env_path):
        known = ", ".join(loaded.config.environments)
        raise NoEnvironmentFile(environment=request.environment, path=env_path, known=known)
    environment = editable_environment(space.root, env_path)
    model = request.ref.split(":", 1)[1].split("@", 1)[0]
    current = current_assignment(loaded.index, request.environment, model)
    if current == request.ref and request.mode == "full":
        raise AlreadyAssigned(ref=request.ref, environment=request.environment)
    promotion = Promotion(request.ref, request.environment, request.mode, request.percent, current,
                          request.allow_breaking, request.rollback)
    verdict = check_promotion(loaded.index, loaded.config, promotion, request.today,
                              contract_diff=contract_differ(), verify=verify)
    if not verdict.passed:
        failed = "; ".join(f"{c.name}: {c.detail}" for c in verdict.failures)
        raise PolicyRefused(verdict, title=title(verdict), environment=verdict.promotion.environment, failed=failed)
    when = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    try:
        edited_text = edit_environment(environment.text, request, when)
    except NotEditable as exc:
        line, column = exc.place
        raise EnvironmentNotEditable(path=env_path, line=line, column=column, problem=str(exc)) from None
    write_text_atomic(space.root / env_path, environment.restore(edited_text))
    report = validate_registry(space.root, [env_path], cwd=space.root)
    if has_errors(report.findings):
        raise EditInvalid(report.findings, path=env_path)
    edited = load_registry(space.root).index
    body = render_body(verdict, edited, request.reason)
    commit = worktree.commit_in(space, commit_message(verdict, request.reason), [env_path])
    return PromotionResult(verdict, title(verdict), body, branch, base_branch, commit, pushed=False)


def editable_environment(root: Path, env_path: str) -> EditableText:
    """The environment file's text as the line edits need it, or the findings that say why it cannot be edited
    (not UTF-8, not YAML, a refused construct, not what the schema says): each at its file, line and column."""
    from charter.validation.schema_check import check_schema

    raw, findings = read_raw(root, env_path)
    document, parsed = parse_document(raw, env_path) if raw is not None else (None, [])
    findings += parsed + (check_schema(document) if document is not None else [])
    if raw is None or document is None or has_errors(findings):
        raise EnvironmentInvalid(findings, path=env_path)
    return EditableText.of(raw.decode("utf-8"))  # parsed, so UTF-8; the BOM, if any, stays for `restore`


def starting_point(repo: Repository, base_branch: str) -> str:
    """The newest base: the local branch, or origin's when it has moved on (then the policy sees origin's state)."""
    from charter.adapters.git import worktree
    from charter.adapters.git.repo import resolve_commit, work_tree

    upstream = worktree.tracking_commit(repo, base_branch)
    head = resolve_commit(work_tree(repo), "HEAD") or "HEAD"
    if upstream is None or upstream == head or worktree.is_ancestor(repo, upstream, head):
        return head
    if worktree.is_ancestor(repo, head, upstream):
        return upstream
    raise BaseDiverged(branch=base_branch)


class PullRequestDraft(Protocol):
    """What opening a pull request reads (branch, base, title, body) and fills in (its URL, or the manual route)."""

    branch: str
    base_branch: str
    title: str
    body: str
    commit: str
    pushed: bool
    pull_request_url: str | None
    pull_request_number: int | None
    compare_url: str | None
    forge_note: str | None


def open_pull_request(result: PullRequestDraft, forge: ForgeClient | None, origin_url: str | None,
                      note: str | None) -> None:
    if forge is None:
        result.compare_url = _compare_link(origin_url, result.base_branch, result.branch)
        result.forge_note = f"{note or 'no forge configured'}: open the pull request with the body below"
        return
    existing = forge.pull_request_for_branch(result.branch)
    pull = existing or forge.open_pull_request(head=result.branch, base=result.base_branch, title=result.title,
                                               body=result.body)
    result.pull_request_url, result.pull_request_number = pull.url, pull.number


def _compare_link(origin_url: str | None, base: str, head: str) -> str | None:
    """A browser link to open the pull request by hand, for GitHub- and GitLab-style remotes."""
    from charter.adapters.forge.base import parse_remote
    from charter.adapters.forge.choose import compare_link

    remote = parse_remote(origin_url) if origin_url else None
    if remote is None or "." not in remote.host:
        return None
    forge_type = "gitlab" if "gitlab" in remote.host else "github"
    return compare_link(forge_type, f"https://{remote.host}", remote.path, base, head)


def previous_assignment(root: Path, environment: str, model: str) -> str | None:
    """The version of `model` fully assigned in `environment` before the current one, from git history."""
    from charter.adapters.git.log import file_versions

    env_path = KINDS["Environment"].relative_path(environment, None)
    current: str | None = None
    for _, raw in file_versions(root, env_path):
        doc, _ = parse_document(raw, env_path)
        if doc is None:
            continue
        assigned = assigned_version(doc.spec, model)
        if current is None:
            current = assigned
        elif assigned is not None and assigned != current:
            return assigned
    return None

"""`gate`: every assignment change between a base and HEAD, re-checked against the policy (the CI check).

Made by `promote` or by hand, a change of what should run must carry its evidence; branch protection that
requires this check makes an unevidenced promotion impossible to merge. Approvals come from the forge's review
data where a forge is configured; where none is, the gate checks only that CODEOWNERS makes the forge require the
approvers' review, and says so. A configured forge whose reviews cannot be read (no token, an error, no pull
request for the job) leaves the approvals unknown, which fails the gate unless the caller accepts CODEOWNERS
coverage alone (`allow_unknown_approvals`): an unreadable forge must not quietly weaken the check.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.errors import CharterError
from charter.promotion.check import Check
from charter.promotion.policy import Promotion, Verdict, check_promotion
from charter.promotion.promote import contract_differ
from charter.registry.codeowners import CODEOWNERS_FILE, codeowners_covers
from charter.registry.config import RegistryConfig
from charter.registry.environments import assignments
from charter.registry.files import regular_text
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS

if TYPE_CHECKING:
    from charter.adapters.forge.base import ForgeClient

Slot = tuple[str, str]  # (model family, mode)


ALLOW_UNKNOWN_OPTION = "--allow-unknown-approvals"


@dataclass
class GateReport:
    """The verdicts, and how approvals were checked: "forge" (reviews counted), "codeowners" (coverage only) or
    "unknown" (a configured forge could not give the reviews: `unreadable` says why)."""

    base: str
    verdicts: list[Verdict] = field(default_factory=list)
    approvals_checked: str | None = None
    approvals_unreadable: str | None = None

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "passed": self.passed,
                "approvals": {"checked": self.approvals_checked, "unreadable": self.approvals_unreadable},
                "promotions": [v.to_dict() for v in self.verdicts]}


def _slots(index: RegistryIndex, environment: str) -> dict[Slot, dict[str, Any]]:
    found: dict[Slot, dict[str, Any]] = {}
    for item in assignments(index, environment):
        ref = item.get("model")
        if isinstance(ref, str) and ref.startswith("model:"):
            found[(ref[6:].split("@", 1)[0], str(item.get("mode", "full")))] = item
    return found


def promotions_between(base: RegistryIndex, head: RegistryIndex, config: RegistryConfig) -> list[Promotion]:
    """Assignments that are new or changed at HEAD (a removed assignment needs no evidence)."""
    found: list[Promotion] = []
    for environment in config.environments:
        before, after = _slots(base, environment), _slots(head, environment)
        for slot, item in sorted(after.items()):
            old = before.get(slot)
            if old is not None and old.get("model") == item.get("model") and old.get("percent") == item.get("percent"):
                continue
            percent = item.get("percent")
            current = before.get((slot[0], "full"), {}).get("model")
            found.append(Promotion(str(item["model"]), environment, slot[1],
                                   float(percent) if isinstance(percent, int | float) else None,
                                   current if isinstance(current, str) else None,
                                   bool(item.get("allowBreaking"))))
    return found


def _settle_approvals(verdict: Verdict, config: RegistryConfig, approvals: list[str] | None,
                      codeowners: str | None, prefix: str, unreadable: str | None, allow_unknown: bool) -> None:
    """Replace the policy's pending approval check with what the forge's reviews (or CODEOWNERS) say."""
    rules = config.policy.get(verdict.promotion.environment) or {}
    approvers = [a for a in rules.get("approvers") or [] if isinstance(a, str)]
    needed = rules.get("minApprovals") or (1 if approvers else 0)
    if not approvers and not needed:
        return
    checks = [c for c in verdict.checks if c.name != "approved"]
    path = KINDS["Environment"].relative_path(verdict.promotion.environment, None)
    if approvals is not None:
        listed_users = {a.lstrip("@").lower() for a in approvers if "/" not in a}
        teams = any("/" in a for a in approvers)
        counted = sorted({a for a in approvals if teams or not approvers or a.lower() in listed_users})
        checks.append(Check("approved", len(counted) >= needed,
                            f"approved by {len(counted)} reviewer{'' if len(counted) == 1 else 's'} (forge)"
                            + (f": {', '.join(counted)}" if counted else "")
                            + f"; {len(counted)} of {needed} required approval(s)"
                            + (" (team membership is enforced by CODEOWNERS)" if teams else "")))
    elif unreadable is not None and not allow_unknown:
        checks.append(Check("approved", False,
                            f"approvals unknown: the reviews could not be read ({unreadable}); fix that, or pass "
                            f"{ALLOW_UNKNOWN_OPTION} to accept CODEOWNERS coverage alone"))
    else:
        covered = codeowners is not None and codeowners_covers(codeowners, path, approvers, prefix)
        unread = f" (reviews unreadable: {unreadable})" if unreadable is not None else ""
        checks.append(Check("code-owner review", covered,
                            f"CODEOWNERS cover the change (approvals not checked): they name {', '.join(approvers)} "
                            f"on {path}, and branch protection requiring code-owner review enforces it{unread}"
                            if covered else
                            f"approvals not checked, and no CODEOWNERS rule names {', '.join(approvers)} for {path}"
                            f"{unread}: run `charter codeowners` and require code-owner review"))
    verdict.checks = checks


def _reviews(forge: ForgeClient | None, unavailable: str | None, env: Mapping[str, str]) -> tuple[
        list[str] | None, str | None]:
    """The approvals of the job's pull request, or None and why they could not be read (None: no forge)."""
    from charter.adapters.forge.ci import pull_request_of_ci_event

    if forge is None:
        return None, unavailable
    try:
        number = pull_request_of_ci_event(env)
        if number is None:
            return None, ("no pull request for this job: GITHUB_EVENT_PATH has no pull_request and "
                          "CI_MERGE_REQUEST_IID is not set")
        return forge.approvals(number), None
    except CharterError as error:
        return None, error.message


def run_gate(root: Path, base: str, today: date | None = None, env: Mapping[str, str] | None = None,
             forge: ForgeClient | None = None, *, forge_unavailable: str | None = None,
             allow_unknown_approvals: bool = False) -> GateReport:
    """Re-check every assignment change since `base`; `forge` (None: none usable) with `forge_unavailable`
    (why a configured one cannot be used) is what `base_forge` returns."""
    from charter.adapters.git.repo import repository_top
    from charter.adapters.git.worktree import snapshot
    from charter.store.loader import load_registry

    env = os.environ if env is None else env
    head = load_registry(root)
    report = GateReport(base)
    with snapshot(root, base) as base_root:
        base_registry = load_registry(base_root)
        base_index = base_registry.index
    # The rules are the base's: a pull request must not lower the approvals it is judged by (it changes them for
    # the pull requests after it, once merged); where the base has no registry.yaml yet, HEAD's apply.
    rules = base_registry.config if base_registry.config.document is not None else head.config
    promotions = promotions_between(base_index, head.index, head.config)
    if not promotions:
        return report
    approvals, unreadable = _reviews(forge, forge_unavailable, env)
    report.approvals_unreadable = unreadable
    report.approvals_checked = "forge" if approvals is not None else \
        "unknown" if unreadable is not None and not allow_unknown_approvals else "codeowners"
    top, prefix = repository_top(root)
    codeowners_path = top / CODEOWNERS_FILE
    codeowners = regular_text(codeowners_path)
    from charter.validation.artifacts import remote_config_trusted
    from charter.validation.evidence import evidence_verifier

    # the rows are fetched in this checkout; its DVC remote only if .dvc/config is the base's (a pull request must
    # not send the CI's credentials elsewhere)
    verify = evidence_verifier(root, trust_remote_config=remote_config_trusted(root, base))
    for promotion in promotions:
        verdict = check_promotion(head.index, rules, promotion, today or date.today(),
                                  base_index=base_index, contract_diff=contract_differ(), verify=verify)
        _settle_approvals(verdict, rules, approvals, codeowners, prefix, unreadable, allow_unknown_approvals)
        report.verdicts.append(verdict)
    return report


def base_forge(root: Path, base: str, env: Mapping[str, str] | None = None) -> tuple[ForgeClient | None, str | None]:
    """The forge client that registry.yaml at `base` configures, and when there is none, why one that is configured
    cannot be used here (None: no forge configured).

    Never HEAD's: a pull request could point `spec.forge.apiUrl` at its own server (which would receive the token)
    or `repository` at another repository (whose reviews it controls).
    """
    from charter.adapters.forge.base import ForgeUnavailable
    from charter.adapters.forge.choose import forge_for
    from charter.adapters.git.revision import RevisionReader
    from charter.adapters.git.worktree import remote_url
    from charter.registry.fields import value_at
    from charter.registry.kinds import REGISTRY_FILE
    from charter.registry.yamlio import parse_yaml

    reader = RevisionReader(root, base)
    raw = reader.read(REGISTRY_FILE)
    configured = value_at(parse_yaml(raw.decode("utf-8", "replace"), REGISTRY_FILE).data, ("spec", "forge")) \
        if raw is not None else None
    try:
        return forge_for(configured if isinstance(configured, dict) else None, remote_url(reader.repo),
                         os.environ if env is None else env), None
    except ForgeUnavailable as unavailable:
        return None, unavailable.message

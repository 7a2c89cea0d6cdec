"""`gate`: every assignment change between a base and HEAD, re-checked against the policy (the CI check).

Made by `promote` or by hand, a change of what should run must carry its evidence; branch protection that
requires this check makes an unevidenced promotion impossible to merge. Approvals come from the forge's review
data when a token allows reading it, otherwise from CODEOWNERS (which the forge enforces).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.errors import CharterError
from charter.promotion.policy import Check, Promotion, Verdict, check_promotion
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


@dataclass
class GateReport:
    base: str
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "passed": self.passed, "promotions": [v.to_dict() for v in self.verdicts]}


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
                      codeowners: str | None, prefix: str) -> None:
    rules = config.policy.get(verdict.promotion.environment) or {}
    approvers = [a for a in rules.get("approvers") or [] if isinstance(a, str)]
    needed = rules.get("minApprovals") or (1 if approvers else 0)
    if not approvers and not needed:
        return
    checks = [c for c in verdict.checks if c.name != "approved"]
    if approvals is not None:
        listed_users = {a.lstrip("@").lower() for a in approvers if "/" not in a}
        teams = any("/" in a for a in approvers)
        counted = sorted({a for a in approvals if teams or not approvers or a.lower() in listed_users})
        checks.append(Check("approved", len(counted) >= needed,
                            f"{len(counted)} of {needed} required approval(s)"
                            + (f": {', '.join(counted)}" if counted else "")
                            + (" (team membership is enforced by CODEOWNERS)" if teams else "")))
    else:
        path = KINDS["Environment"].relative_path(verdict.promotion.environment, None)
        covered = codeowners is not None and codeowners_covers(codeowners, path, approvers, prefix)
        checks.append(Check("approved", covered,
                            f"CODEOWNERS requires {', '.join(approvers)} on {path}; the forge enforces it with "
                            "branch protection (no review data readable here)" if covered else
                            f"no readable review data and no CODEOWNERS rule naming {', '.join(approvers)} for "
                            f"{path}: run `charter codeowners` and require code-owner review"))
    verdict.checks = checks


def run_gate(root: Path, base: str, today: date | None = None, env: Mapping[str, str] | None = None,
             forge: ForgeClient | None = None) -> GateReport:
    from charter.adapters.forge.ci import pull_request_of_ci_event
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
    number = pull_request_of_ci_event(env)
    approvals: list[str] | None = None
    if forge is not None and number is not None:
        try:
            approvals = forge.approvals(number)
        except CharterError:  # the token cannot read reviews: CODEOWNERS (enforced by the forge) decides
            approvals = None
    top, prefix = repository_top(root)
    codeowners_path = top / CODEOWNERS_FILE
    codeowners = regular_text(codeowners_path)
    for promotion in promotions:
        verdict = check_promotion(head.index, rules, promotion, today or date.today(),
                                  base_index=base_index, contract_diff=contract_differ())
        _settle_approvals(verdict, rules, approvals, codeowners, prefix)
        report.verdicts.append(verdict)
    return report


def base_forge(root: Path, base: str, env: Mapping[str, str] | None = None) -> ForgeClient | None:
    """The forge client that registry.yaml at `base` configures, or None (no forge, or none usable here).

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
                         os.environ if env is None else env)
    except ForgeUnavailable:
        return None

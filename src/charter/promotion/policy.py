"""Promotion policy: what evidence a version needs to enter an environment, checked against the registry.

`registry.yaml` declares per environment what a promotion needs (see docs/policy.md). Each requirement becomes a
`Check` that passed or failed with a sentence saying why; approvals are `pending` here because only the forge (or
CODEOWNERS with branch protection) can settle them. `promote` refuses a failing verdict; `gate` re-checks in CI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from charter.evaluation.comparability import Comparability, comparability
from charter.evaluation.compare import alerts_per_day, operating_row
from charter.promotion.check import Check
from charter.promotion.evidence_policy import Verifier, evidence_checks
from charter.registry.config import RegistryConfig
from charter.registry.documents import Document
from charter.registry.environments import assignments
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.times import parse_day


@dataclass(frozen=True)
class Promotion:
    """A change of what should run: `candidate` into `environment`, replacing `current` (None: first there)."""

    candidate: str
    environment: str
    mode: str = "full"
    percent: float | None = None
    current: str | None = None
    allow_breaking: bool = False
    rollback: bool = False

    @property
    def model(self) -> str:
        return self.candidate.split(":", 1)[1].split("@", 1)[0]


@dataclass
class Verdict:
    promotion: Promotion
    checks: list[Check] = field(default_factory=list)
    evaluation: Document | None = None
    #: The evaluation of the version assigned now that the candidate's is compared with: always a comparable one
    #: (None when there is none, or nothing is assigned).
    baseline_evaluation: Document | None = None
    #: The verdict on that pair, or on the closest pair when none is comparable (what the refusal names); None when
    #: there is nothing to compare (no evaluation, nothing assigned now, or no evaluation of what is assigned).
    comparability: Comparability | None = None
    contract_changes: list[Any] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks if not c.pending)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed and not c.pending]

    def to_dict(self) -> dict[str, Any]:
        p = self.promotion
        return {
            "candidate": p.candidate, "environment": p.environment, "mode": p.mode, "percent": p.percent,
            "current": p.current, "allowBreaking": p.allow_breaking, "rollback": p.rollback, "passed": self.passed,
            "evaluation": str(self.evaluation.ref) if self.evaluation else None,
            "baselineEvaluation": str(self.baseline_evaluation.ref) if self.baseline_evaluation else None,
            "comparability": self.comparability.to_dict() if self.comparability else None,
            "checks": [c.to_dict() for c in self.checks],
        }


def _metric(evaluation: Document, name: str) -> float | None:
    value = value_at(evaluation.spec, ("metrics", name))
    value = value.get("value") if isinstance(value, dict) else value
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _alerts_at_operating_threshold(evaluation: Document, index: RegistryIndex) -> float | None:
    """Alerts per day at the evaluation's operating threshold, from its counts and period (unrounded)."""
    row = operating_row(evaluation)
    return alerts_per_day(evaluation, row, index) if row is not None else None


def _cohort_matches(evaluation: Document, wanted: list[str]) -> bool:
    cohort = value_at(evaluation.spec, ("cohort",))
    if not wanted:
        return True
    if not isinstance(cohort, str):
        return False
    name = cohort.split(":", 1)[1].split("@", 1)[0]
    return any(w in (cohort, name) for w in wanted)


class PolicyCheck:
    """Evaluates one promotion against one environment's rules; each `_check_*` method is one requirement."""

    def __init__(self, index: RegistryIndex, config: RegistryConfig, promotion: Promotion, today: date,
                 *, base_index: RegistryIndex | None = None,
                 contract_diff: Callable[[Document, Document], list[Any]] | None = None,
                 verify: Verifier | None = None) -> None:
        self.index = index
        self.base = base_index or index  # the state before the promotion (previous environment, current version)
        self.config = config
        self.promotion = promotion
        self.rules: dict[str, Any] = config.policy.get(promotion.environment) or {}
        self.today = today
        self.contract_diff = contract_diff
        self.verify = verify
        self.verdict = Verdict(promotion)

    def run(self) -> Verdict:
        candidate = self.index.get(self.promotion.candidate)
        self._add("version exists and is released", candidate is not None and candidate.status == "active",
                  f"{self.promotion.candidate} is {candidate.status if candidate else 'missing'}"
                  + ("" if candidate is not None and candidate.status == "active" else ": only active versions "
                     "can be promoted"))
        if candidate is None:
            return self.verdict
        self._check_environment()
        self._check_previous_environment()
        evaluation = self._check_evaluation()
        if evaluation is not None:
            self._check_plausible(evaluation)
            self._select_baseline(evaluation)
            self._check_metric_floors(evaluation)
            self._check_alert_volume(evaluation)
            self._check_invariants(evaluation)
            self.verdict.checks += evidence_checks(self.rules, evaluation, self.promotion.current, self.verify)
        self._check_contract(candidate)
        self._check_approvals()
        return self.verdict

    def _add(self, name: str, passed: bool, detail: str, *, pending: bool = False) -> None:
        self.verdict.checks.append(Check(name, passed, detail, pending))

    def _check_environment(self) -> None:
        env = self.promotion.environment
        declared = env in self.config.environments
        self._add("environment is declared", declared,
                  f"{env} is declared in registry.yaml" if declared else
                  f"{env} is not an environment of this registry ({', '.join(self.config.environments)})")

    def _check_previous_environment(self) -> None:
        if not self.rules.get("requirePreviousEnvironment") or self.promotion.rollback:
            return
        order = self.config.environments
        position = order.index(self.promotion.environment) if self.promotion.environment in order else 0
        if position == 0:
            self._add("promoted from the previous environment", True, "the first environment has no predecessor")
            return
        previous = order[position - 1]
        assigned = any(a.get("model") == self.promotion.candidate for a in assignments(self.base, previous))
        self._add("promoted from the previous environment", assigned,
                  f"{self.promotion.candidate} is assigned in {previous}" if assigned else
                  f"{self.promotion.candidate} is not assigned in {previous}: promote it there first")

    def _check_evaluation(self) -> Document | None:
        wanted = self.rules.get("evaluation")
        found = self.index.evaluations_of(self.promotion.candidate)
        if not isinstance(wanted, dict):
            self.verdict.evaluation = found[0] if found else None
            return self.verdict.evaluation
        cohorts = [c for c in wanted.get("cohorts") or [] if isinstance(c, str)]
        methods = [m for m in wanted.get("methods") or [] if isinstance(m, str)]
        max_age = wanted.get("maxAgeDays")
        usable = [e for e in found if _cohort_matches(e, cohorts)
                  and (not methods or value_at(e.spec, ("method",)) in methods)]
        fresh = [e for e in usable if self.promotion.rollback or not isinstance(max_age, int)
                 or _within(self._age(e), max_age)]
        where = f" on {' or '.join(cohorts)}" if cohorts else ""
        how = f" ({'/'.join(methods)})" if methods else ""
        if fresh:
            self.verdict.evaluation = fresh[0]
            age = self._age(fresh[0])
            self._add("evaluated", True, f"{fresh[0].ref} on {value_at(fresh[0].spec, ('cohort',))} "
                      f"({value_at(fresh[0].spec, ('method',))}), {age} days old")
        elif usable:
            self._add("evaluated", False, f"the newest evaluation{where}{how}, {usable[0].ref}, is "
                      f"{self._age(usable[0])} days old; the policy accepts at most {max_age}: evaluate again")
        else:
            self._add("evaluated", False, f"no evaluation of {self.promotion.candidate}{where}{how}: "
                      "record one (an Evaluation entry whose spec.model is this version)")
        return self.verdict.evaluation

    def _baseline_evaluations(self) -> list[Document]:
        current = self.promotion.current
        return self.index.evaluations_of(current) if current is not None else []

    def _select_baseline(self, evaluation: Document) -> None:
        """The evaluation of the version assigned now to compare with: the newest comparable one. When none is, the
        verdict keeps the closest pair (fewest differences, newest first) so that what differs can be named."""
        closest: Comparability | None = None
        for baseline in self._baseline_evaluations():
            verdict = comparability(baseline, evaluation, self.index)
            if verdict.comparable:
                self.verdict.baseline_evaluation, self.verdict.comparability = baseline, verdict
                return
            if closest is None or len(verdict.differences) < len(closest.differences):
                closest = verdict
        self.verdict.comparability = closest

    def _age(self, evaluation: Document) -> int | None:
        day = parse_day(str(value_at(evaluation.spec, ("date",))))
        return (self.today - day).days if day is not None else None

    def _check_plausible(self, evaluation: Document) -> None:
        """The floors below read the evaluation's figures: ones that cannot be true (a PPV of 1.7, a sensitivity its
        own counts do not give, subgroups larger than the cohort) fail the promotion, whatever they pass."""
        from charter.validation.evidence_plausibility import implausible

        found = implausible(evaluation, self.index)
        self._add("evidence is plausible", not found,
                  f"{evaluation.ref}: {found[0].message} (line {found[0].line}"
                  f"{f', and {len(found) - 1} more' if len(found) > 1 else ''}): run charter validate {evaluation.path}"
                  if found else f"the figures of {evaluation.ref} hold together")

    def _check_metric_floors(self, evaluation: Document) -> None:
        floors = self.rules.get("metricFloors")
        for name, floor in (floors.items() if isinstance(floors, dict) else []):
            value = _metric(evaluation, name)
            self._add(f"{name} ≥ {floor}", value is not None and value >= floor,
                      f"{name} = {value} in {evaluation.ref}" if value is not None else
                      f"{evaluation.ref} reports no {name}")

    def _check_alert_volume(self, evaluation: Document) -> None:
        limit = self.rules.get("maxAlertVolumeIncrease")
        current = self.promotion.current
        if not isinstance(limit, int | float) or current is None:
            return
        name = f"alert volume increase ≤ {limit:.0%}"
        paired = value_at(evaluation.spec, ("comparison",))
        change = value_at(paired, ("atOperatingThreshold", "alertsPerDay")) if isinstance(paired, dict) else None
        new = _alerts_at_operating_threshold(evaluation, self.index)
        if isinstance(paired, dict) and paired.get("baseline") == current and isinstance(change, dict) \
                and isinstance(change.get("delta"), int | float) and new is not None:
            # both versions scored the same rows: the baseline's alerts per day are known exactly, no other
            # evaluation (and no question of comparability) is needed
            old = new - float(change["delta"])
            increase = (new - old) / old if old else (0.0 if new == 0 else float("inf"))
            low, high = change.get("ciLower"), change.get("ciUpper")
            interval = f", 95% CI of the difference {low:+.3g} to {high:+.3g}" \
                if isinstance(low, int | float) and isinstance(high, int | float) else ""
            self._add(name, increase <= limit, f"{old:.4g} → {new:.4g} alerts/day ({increase:+.2%}) against {current}, "
                      f"both scored on the same {paired.get('rows'):,} rows ({evaluation.ref}{interval})")
            return
        baseline, verdict = self.verdict.baseline_evaluation, self.verdict.comparability
        if baseline is None:
            self._add(name, False, f"{current} has no evaluation: the increase cannot be measured" if verdict is None
                      else f"no evaluation of {current} is comparable with {evaluation.ref} ({verdict.a.ref} differs "
                      f"in {verdict.summary}): the increase cannot be measured")
            return
        before = _alerts_at_operating_threshold(baseline, self.index)
        if new is None or before is None:
            self._add(name, False, "alerts per day at the operating threshold are missing from "
                      f"{evaluation.ref if new is None else baseline.ref}: the increase cannot be measured")
            return
        increase = (new - before) / before if before else (0.0 if new == 0 else float("inf"))
        self._add(name, increase <= limit, f"{before:.4g} → {new:.4g} alerts/day ({increase:+.2%}) against {current} "
                  f"({baseline.ref})")

    def _check_invariants(self, evaluation: Document) -> None:
        if not self.rules.get("requireInvariants"):
            return
        from charter.evaluation.invariants import declared_invariants

        invariants = value_at(evaluation.spec, ("invariants",))
        checks = [i for i in invariants if isinstance(i, dict)] if isinstance(invariants, list) else []
        failed = [str(i.get("name")) for i in checks if not _invariant_holds(i)]
        contract, declared = declared_invariants(self.index, value_at(evaluation.spec, ("model",)))
        missing = sorted(set(declared) - {str(i.get("name")) for i in checks})
        self._add("invariant checks pass", bool(checks) and not failed and not missing,
                  "no invariant checks in the evaluation" if not checks else
                  f"failed: {', '.join(failed)}" if failed else
                  f"declared by {contract} but not run: {', '.join(missing)}" if missing else
                  f"{len(checks)} checks, all passed")

    def _check_contract(self, candidate: Document) -> None:
        if not self.rules.get("requireCompatibleContract") or self.promotion.current is None:
            return
        current = self.index.get(self.promotion.current) or self.base.get(self.promotion.current)
        new_ref, old_ref = value_at(candidate.spec, ("contract",)), \
            value_at(current.spec, ("contract",)) if current is not None else None
        if new_ref == old_ref or not isinstance(new_ref, str) or not isinstance(old_ref, str):
            self._add("contract compatible", True, f"same contract as {self.promotion.current} ({new_ref})")
            return
        new_doc, old_doc = self.index.get(new_ref), self.index.get(old_ref)
        if new_doc is None or old_doc is None or self.contract_diff is None:
            self._add("contract compatible", False, f"cannot compare {old_ref} with {new_ref}")
            return
        breaking = [c for c in self.contract_diff(old_doc, new_doc) if getattr(c, "severity", "") == "breaking"]
        self.verdict.contract_changes = breaking
        if not breaking:
            self._add("contract compatible", True, f"{old_ref} → {new_ref}: no breaking change")
        elif self.promotion.allow_breaking:
            self._add("contract compatible", True,
                      f"{old_ref} → {new_ref}: {len(breaking)} breaking change(s), accepted with allowBreaking")
        else:
            self._add("contract compatible", False,
                      f"{old_ref} → {new_ref}: {len(breaking)} breaking change(s); callers must change first, "
                      "or promote with --allow-breaking after review")

    def _check_approvals(self) -> None:
        approvers = [a for a in self.rules.get("approvers") or [] if isinstance(a, str)]
        needed = self.rules.get("minApprovals") or (1 if approvers else 0)
        if approvers or needed:
            self._add("approved", False, f"needs {needed} approval(s) from {', '.join(approvers) or 'anyone'}",
                      pending=True)


def _within(age: int | None, max_age: int) -> bool:
    """An evaluation whose date cannot be read is never recent enough."""
    return age is not None and age <= max_age


def _invariant_holds(invariant: dict[str, Any]) -> bool:
    result, expected = invariant.get("result"), invariant.get("expected")
    if invariant.get("passed") is False:
        return False
    if isinstance(result, int | float) and isinstance(expected, dict):
        low, high = expected.get("min"), expected.get("max")
        return (low is None or result >= low) and (high is None or result <= high)
    return invariant.get("passed") is True


def check_promotion(index: RegistryIndex, config: RegistryConfig, promotion: Promotion, today: date,
                    *, base_index: RegistryIndex | None = None,
                    contract_diff: Callable[[Document, Document], list[Any]] | None = None,
                    verify: Verifier | None = None) -> Verdict:
    return PolicyCheck(index, config, promotion, today, base_index=base_index, contract_diff=contract_diff,
                       verify=verify).run()

"""How much a difference matters: an ordered table of rules (`RULES`) gives each change exactly one class.

The first rule whose kind, path pattern, operation and condition match decides: breaking, warning or info. The table
is data, not code, so a reviewer reads the policy in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

Op = Literal["added", "removed", "changed"]
ChangeClass = Literal["breaking", "warning", "info"]
#: The classes, most serious first: the order of every summary and report.
CLASSES: tuple[ChangeClass, ...] = ("breaking", "warning", "info")
#: Free-text fields that document rather than define; changing them is information.
DOC_FIELDS = frozenset({"description", "notes", "note"})

Condition = Callable[[Any, Any], bool]
_ALL_OPS: frozenset[Op] = frozenset({"added", "removed", "changed"})


def _always(old: Any, new: Any) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    """`kind` ("*" for every kind), a path `pattern`, the operations it covers, a condition on (old, new).

    Patterns are dotted paths: `*` is any one mapping key, `[]` any list item (and any member of a list of plain
    values), `**` any number of segments: `spec.input.fields[].range.min`, `spec.codeSets.**`, `**.description`.
    """

    kind: str
    pattern: str
    ops: frozenset[Op]
    severity: ChangeClass
    reason: str
    when: Condition = _always

    def matches(self, kind: str, steps: tuple[str, ...], op: Op, old: Any, new: Any) -> bool:
        return (self.kind in ("*", kind) and op in self.ops and _glob(_tokens(self.pattern), steps)
                and self.when(old, new))


def _rule(kind: str, pattern: str, ops: str, severity: ChangeClass, reason: str,
          when: Condition = _always) -> Rule:
    chosen = _ALL_OPS if ops == "any" else frozenset(o for o in _ALL_OPS if o in ops.split())
    return Rule(kind, pattern, chosen, severity, reason, when)


@cache
def _tokens(pattern: str) -> tuple[str, ...]:
    return tuple(t for t in re.split(r"\.|(\[\])", pattern) if t)


def _glob(pattern: tuple[str, ...], steps: tuple[str, ...]) -> bool:
    if not pattern:
        return not steps
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_glob(rest, steps[i:]) for i in range(len(steps) + 1))
    if not steps:
        return False
    if head == "*":
        return steps[0] != "[]" and _glob(rest, steps[1:])
    return head == steps[0] and _glob(rest, steps[1:])


def as_number(value: Any) -> float | None:
    """A number as a float; None for anything else (`true` is not 1)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _raised(old: Any, new: Any) -> bool:
    a, b = as_number(old), as_number(new)
    return a is not None and b is not None and b > a


def _lowered(old: Any, new: Any) -> bool:
    a, b = as_number(old), as_number(new)
    return a is not None and b is not None and b < a


def _made_required(old: Any, new: Any) -> bool:
    return new is True and old is not True


def _is_required(old: Any, new: Any) -> bool:
    return isinstance(new, dict) and new.get("required") is True


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_DURATION_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def duration_seconds(text: Any) -> float | None:
    """An ISO 8601 duration in seconds (a year as 365 days, a month as 30), or None if it is not one."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    return sum(float(part) * unit for part, unit in zip(match.groups(), _DURATION_SECONDS, strict=True) if part)


def _shortened(old: Any, new: Any) -> bool:
    a, b = duration_seconds(old), duration_seconds(new)
    return a is not None and b is not None and b < a


BREAKING: ChangeClass = "breaking"
WARNING: ChangeClass = "warning"
INFO: ChangeClass = "info"
_CONTRACT_FIELD = "spec.input.fields[]"

#: The classification table: the first rule that matches a change decides its class. Kind rules come first,
#: then the rules for every kind: documentation and metadata are information, additions are information, any
#: other removal or change is a warning.
RULES: tuple[Rule, ...] = (
    *(_rule("*", f"**.{name}", "any", INFO, "documentation") for name in sorted(DOC_FIELDS)),
    # Contract: what callers send, what they get back, how fast, and what happens when scoring fails.
    _rule("Contract", _CONTRACT_FIELD, "removed", BREAKING, "input field removed"),
    _rule("Contract", _CONTRACT_FIELD, "added", BREAKING, "required input field added", _is_required),
    _rule("Contract", _CONTRACT_FIELD, "added", INFO, "optional input field added"),
    _rule("Contract", f"{_CONTRACT_FIELD}.type", "any", BREAKING, "type changed"),
    _rule("Contract", f"{_CONTRACT_FIELD}.unit", "changed removed", BREAKING, "unit changed"),
    _rule("Contract", f"{_CONTRACT_FIELD}.unit", "added", WARNING, "unit now stated"),
    _rule("Contract", f"{_CONTRACT_FIELD}.required", "any", BREAKING, "made required", _made_required),
    _rule("Contract", f"{_CONTRACT_FIELD}.required", "any", INFO, "made optional"),
    _rule("Contract", f"{_CONTRACT_FIELD}.range", "added", BREAKING, "range added"),
    _rule("Contract", f"{_CONTRACT_FIELD}.range.min", "added", BREAKING, "range tightened (lower bound added)"),
    _rule("Contract", f"{_CONTRACT_FIELD}.range.max", "added", BREAKING, "range tightened (upper bound added)"),
    _rule("Contract", f"{_CONTRACT_FIELD}.range.min", "changed", BREAKING, "range tightened (min raised)", _raised),
    _rule("Contract", f"{_CONTRACT_FIELD}.range.max", "changed", BREAKING, "range tightened (max lowered)", _lowered),
    _rule("Contract", f"{_CONTRACT_FIELD}.range.**", "changed removed", INFO, "range widened", _always),
    _rule("Contract", f"{_CONTRACT_FIELD}.allowed[]", "removed", BREAKING, "allowed value removed"),
    _rule("Contract", f"{_CONTRACT_FIELD}.allowed[]", "added", INFO, "allowed value added"),
    _rule("Contract", f"{_CONTRACT_FIELD}.allowed", "added", BREAKING, "values restricted to a list"),
    _rule("Contract", f"{_CONTRACT_FIELD}.allowed", "removed", INFO, "values no longer restricted"),
    _rule("Contract", f"{_CONTRACT_FIELD}.freshness", "added", BREAKING, "freshness limit added"),
    _rule("Contract", f"{_CONTRACT_FIELD}.freshness.maxAge", "changed", BREAKING,
          "freshness tightened (maxAge shortened)", _shortened),
    _rule("Contract", f"{_CONTRACT_FIELD}.freshness.maxAge", "changed", INFO, "freshness loosened (maxAge longer)"),
    _rule("Contract", f"{_CONTRACT_FIELD}.freshness", "removed", INFO, "freshness limit removed"),
    _rule("Contract", f"{_CONTRACT_FIELD}.missing.**", "any", WARNING, "missing-value behaviour changed"),
    _rule("Contract", "spec.latency.*", "changed", BREAKING, "latency tightened", _lowered),
    _rule("Contract", "spec.latency.*", "changed", WARNING, "latency loosened"),
    _rule("Contract", "spec.output.type", "any", BREAKING, "output type changed"),
    _rule("Contract", "spec.output.range.**", "any", BREAKING, "output range changed"),
    _rule("Contract", "spec.output.interpretation", "any", BREAKING, "output interpretation changed"),
    _rule("Contract", "spec.output.thresholds.**", "any", BREAKING, "output thresholds changed"),
    _rule("Contract", "spec.output.classes.**", "any", BREAKING, "output classes changed"),
    _rule("Contract", "spec.fallback", "removed", BREAKING, "fallback removed"),
    _rule("Contract", "spec.fallback.behaviour", "any", BREAKING, "fallback behaviour changed"),
    _rule("Contract", "spec.fallback.value", "any", BREAKING, "fallback value changed"),
    # EventDefinition: any change to what fires the event changes what the label means.
    _rule("EventDefinition", "spec.logic", "any", BREAKING, "event logic changed"),
    _rule("EventDefinition", "spec.codeSets.**", "any", BREAKING, "code set changed"),
    _rule("EventDefinition", "spec.timeAnchor", "any", BREAKING, "time anchor changed"),
    _rule("EventDefinition", "spec.windows.**", "any", BREAKING, "window changed"),
    _rule("EventDefinition", "spec.inclusion.**", "any", BREAKING, "inclusion criteria changed"),
    _rule("EventDefinition", "spec.exclusion.**", "any", BREAKING, "exclusion criteria changed"),
    _rule("EventDefinition", "spec.implementation.hash", "any", BREAKING, "implementation changed (content hash)"),
    # Cohort: any change to who is in it changes what the population means.
    _rule("Cohort", "spec.inclusion.**", "any", BREAKING, "inclusion criteria changed"),
    _rule("Cohort", "spec.exclusion.**", "any", BREAKING, "exclusion criteria changed"),
    _rule("Cohort", "spec.period.**", "any", BREAKING, "period changed"),
    _rule("Cohort", "spec.sites.**", "any", BREAKING, "sites changed"),
    _rule("Cohort", "spec.dataSource.**", "any", BREAKING, "data source changed"),
    _rule("Cohort", "spec.labelEvent", "any", BREAKING, "label event changed"),
    # ModelVersion: metrics move (with their delta); another artifact is another model.
    _rule("ModelVersion", "spec.metrics.*", "changed", INFO, "metric changed"),
    _rule("ModelVersion", "spec.metrics.*", "added", INFO, "metric added"),
    _rule("ModelVersion", "spec.metrics.*", "removed", INFO, "metric removed"),
    _rule("ModelVersion", "spec.artifact.hash", "any", BREAKING, "artifact changed (hash)"),
    _rule("ModelVersion", "spec.provenance.**", "any", INFO, "training provenance"),
    # Evaluation: the evidence moved.
    _rule("Evaluation", "spec.metrics.**", "changed", WARNING, "metric changed"),
    _rule("Evaluation", "spec.thresholds.**", "changed", WARNING, "threshold row changed"),
    _rule("Evaluation", "spec.operatingThreshold", "changed", WARNING, "operating threshold changed"),
    _rule("Evaluation", "spec.subgroups[].metrics.*", "changed", WARNING, "subgroup metric changed"),
    # Environment: assignments are promotions (also listed as such by `diff_revisions`).
    _rule("Environment", "spec.assignments[]", "added", INFO, "model version assigned"),
    _rule("Environment", "spec.assignments[]", "removed", WARNING, "model version unassigned"),
    _rule("Environment", "spec.assignments[].mode", "any", WARNING, "rollout mode changed"),
    _rule("Environment", "spec.assignments[].percent", "any", WARNING, "canary share changed"),
    # Every kind.
    _rule("*", "metadata.**", "any", INFO, "metadata changed"),
    _rule("*", "**", "added", INFO, "added"),
    _rule("*", "**", "removed", WARNING, "removed"),
    _rule("*", "**", "changed", WARNING, "changed"),
)


def classify(kind_name: str, steps: tuple[str, ...], op: Op, old: Any, new: Any,
             rules: tuple[Rule, ...] = RULES) -> tuple[ChangeClass, str]:
    """The class and reason of the first rule that matches."""
    for rule in rules:
        if rule.matches(kind_name, steps, op, old, new):
            return rule.severity, rule.reason
    return "warning", "changed"  # pragma: no cover - the last rules match everything

"""Monitoring against expectation: a report's counts held against the evaluation the version was promoted on.

A health or outcome record may carry denominators: units scored and alerts over its period (`health.unitsScored`,
`health.alerts`), outcomes as labels arrive (`outcomes.labelled`, `events`, `alertsLabelled`, `truePositives`),
and the same per subgroup (`spec.subgroups`). From them come four observed figures, each with its 95% interval:

- alerts per day: alerts / the period's days, with Garwood's exact Poisson interval on the alert count;
- alert rate: alerts / units scored, Wilson interval;
- PPV: true positives / labelled alerts, Wilson interval;
- sensitivity: true positives / events, Wilson interval (not when only alerts were labelled: then every labelled
  event is an alert by construction).

The expectation is the evaluation of the record's model version that promotion reads: its newest evaluation with an
operating threshold in its threshold table, preferring those on the cohorts and by the methods the environment's
policy names; the figures are that row's (with its intervals, written or computed from its counts), and for a
subgroup the evaluation subgroup of the same attribute and value (point values only).

A figure is **outside expectation** when its observed 95% interval does not contain the evaluated value. For a
proportion that is the two-sided score test of "the production proportion is the evaluated one" at alpha 0.05 (the
Wilson interval is that test inverted); for alerts per day, the exact two-sided Poisson test of "alerts arrive at
the evaluated rate" (Garwood's interval inverted, each tail at 0.025). The evaluated value is taken as known: its own
interval is shown beside it, not used in the decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from charter.evaluation.confusion import wilson
from charter.evaluation.poisson import poisson_interval
from charter.registry.config import RegistryConfig
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS
from charter.registry.times import parse_instant

#: The figures held against expectation, in the order they are shown.
FIGURES = ("alertsPerDay", "alertRate", "ppv", "sensitivity")
#: Count fields of a record's health, its outcomes, and each of its subgroups.
HEALTH_COUNTS = ("unitsScored", "alerts")
OUTCOME_COUNTS = ("labelled", "events", "alertsLabelled", "truePositives")
COUNTS = HEALTH_COUNTS + OUTCOME_COUNTS
_DIGITS = 6


#: Larger counts are not counts of anything monitored (and no longer fit a float): they are left out.
MAX_COUNT = 10**15


def count_of(value: Any) -> int | None:
    """A count, or None for anything else (the schema reports it)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)


def period_days(spec: Any) -> float | None:
    """Length of a record's period in days; None without a readable period of positive length."""
    start, end = value_at(spec, ("period", "start")), value_at(spec, ("period", "end"))
    first = parse_instant(start) if isinstance(start, str) else None
    last = parse_instant(end) if isinstance(end, str) else None
    if first is None or last is None or last <= first:
        return None
    return (last - first).total_seconds() / 86400


def record_counts(spec: Any) -> dict[str, int]:
    """The overall counts a record carries (health and outcomes together), by field name."""
    found: dict[str, int] = {}
    for section, names in (("health", HEALTH_COUNTS), ("outcomes", OUTCOME_COUNTS)):
        for name in names:
            count = count_of(value_at(spec, (section, name)))
            if count is not None:
                found[name] = count
    return found


def subgroup_label(item: dict[str, Any]) -> str:
    name = item.get("name")
    return name if isinstance(name, str) and name else f"{item.get('attribute')}={_text(item.get('value'))}"


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def subgroup_key(item: dict[str, Any]) -> tuple[str, str]:
    """A subgroup's attribute and value as text: how a record's subgroup finds the evaluation's."""
    return str(item.get("attribute")), _text(item.get("value"))


def record_subgroups(spec: Any) -> list[tuple[str, str, str, dict[str, int]]]:
    """(label, attribute, value as text, counts) of each subgroup a record reports."""
    items = value_at(spec, ("subgroups",))
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("attribute"), str) and "value" in item:
            counts = {name: c for name in COUNTS if (c := count_of(item.get(name))) is not None}
            found.append((subgroup_label(item), *subgroup_key(item), counts))
    return found


@dataclass(frozen=True, slots=True)
class Observed:
    """A figure seen in production: numerator / denominator (days for alerts per day) with its 95% interval."""

    value: float
    lower: float
    upper: float
    numerator: int
    denominator: float
    of: str  # what the denominator counts: days, unitsScored, alertsLabelled or events


def observe(counts: dict[str, int], days: float | None) -> dict[str, Observed]:
    """The figures these counts give, each with its interval; a figure whose counts are missing is left out."""
    found: dict[str, Observed] = {}
    alerts, units = counts.get("alerts"), counts.get("unitsScored")
    if alerts is not None and days:
        low, high = poisson_interval(alerts)
        found["alertsPerDay"] = Observed(alerts / days, low / days, high / days, alerts, days, "days")
    tp = counts.get("truePositives")
    proportions = (("alertRate", alerts, units, "unitsScored"), ("ppv", tp, counts.get("alertsLabelled"),
                   "alertsLabelled"), ("sensitivity", tp, counts.get("events"), "events"))
    only_alerts_labelled = counts.get("labelled") is not None and counts.get("labelled") == counts.get(
        "alertsLabelled")
    for figure, numerator, denominator, of in proportions:
        if numerator is None or not denominator or numerator > denominator:
            continue
        if figure == "sensitivity" and only_alerts_labelled:
            continue  # events were found only among alerts: sensitivity is 1 by construction, not an estimate
        bounds = wilson(numerator, denominator)
        assert bounds is not None
        found[figure] = Observed(numerator / denominator, bounds[0], bounds[1], numerator, denominator, of)
    return found


@dataclass(frozen=True, slots=True)
class Evaluated:
    """What the evaluation says of a figure: its value and, where the evaluation gives or implies it, its interval."""

    value: float
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    """One monitored figure (overall or in a subgroup) against its evaluated value."""

    figure: str
    subgroup: str | None
    observed: Observed
    evaluated: Evaluated | None  # None: the evaluation has no value for this figure (or this subgroup)

    @property
    def outside(self) -> bool:
        """The observed interval leaves out the evaluated value (see the module's docstring for the test)."""
        if self.evaluated is None:
            return False
        return not self.observed.lower <= self.evaluated.value <= self.observed.upper

    def to_dict(self) -> dict[str, Any]:
        o, e = self.observed, self.evaluated
        return {"figure": self.figure, "subgroup": self.subgroup, "observed": _rounded(o.value),
                "ciLower": _rounded(o.lower), "ciUpper": _rounded(o.upper), "numerator": o.numerator,
                "denominator": _rounded(o.denominator), "of": o.of,
                "evaluated": _rounded(e.value) if e is not None else None,
                "evaluatedCiLower": _rounded(e.lower) if e is not None else None,
                "evaluatedCiUpper": _rounded(e.upper) if e is not None else None, "outside": self.outside}


@dataclass(frozen=True, slots=True)
class Expectation:
    """A record's monitored figures against the evaluation its model version was promoted on."""

    record: str
    model: str
    evaluation: str | None  # None: the version has no evaluation with an operating threshold
    threshold: float | None
    period_days: float | None
    comparisons: tuple[Comparison, ...]

    @property
    def outside(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.outside)

    def to_dict(self) -> dict[str, Any]:
        return {"record": self.record, "model": self.model, "evaluation": self.evaluation,
                "threshold": self.threshold, "periodDays": _rounded(self.period_days),
                "withinExpectation": not self.outside, "figures": [c.to_dict() for c in self.comparisons]}


def _operating_row(evaluation: Document) -> dict[str, Any] | None:
    operating = _number(value_at(evaluation.spec, ("operatingThreshold",)))
    rows = value_at(evaluation.spec, ("thresholds",))
    if operating is None or not isinstance(rows, list):
        return None
    return next((r for r in rows if isinstance(r, dict) and _number(r.get("threshold")) == operating), None)


def _cohort_named(evaluation: Document, wanted: list[str]) -> bool:
    cohort = value_at(evaluation.spec, ("cohort",))
    if not isinstance(cohort, str):
        return False
    return any(w in (cohort, cohort.removeprefix("cohort:").split("@", 1)[0]) for w in wanted)


def promotion_evaluation(index: RegistryIndex, config: RegistryConfig, environment: str,
                         model: str) -> Document | None:
    """The evaluation promotion reads for `model` (a version reference) in `environment`: the newest one with an
    operating threshold in its table, on the policy's cohorts and by its methods when one of those exists."""
    return _chosen(index.evaluations_of(model), config, environment)


def _chosen(evaluations: list[Document], config: RegistryConfig, environment: str) -> Document | None:
    """`promotion_evaluation` among `evaluations` (one version's, newest first)."""
    usable = [e for e in evaluations if _operating_row(e) is not None]
    rules = config.policy.get(environment)
    wanted = rules.get("evaluation") if isinstance(rules, dict) else None
    if isinstance(wanted, dict):
        cohorts = [c for c in wanted.get("cohorts") or [] if isinstance(c, str)]
        methods = [m for m in wanted.get("methods") or [] if isinstance(m, str)]
        preferred = [e for e in usable if (not cohorts or _cohort_named(e, cohorts))
                     and (not methods or value_at(e.spec, ("method",)) in methods)]
        if preferred:
            return preferred[0]
    return usable[0] if usable else None


def _interval(row: dict[str, Any], name: str) -> tuple[float, float] | None:
    written = value_at(row, ("intervals", name))
    if isinstance(written, dict):
        lower, upper = _number(written.get("lower")), _number(written.get("upper"))
        if lower is not None and upper is not None:
            return lower, upper
    return None


def evaluated_figures(evaluation: Document) -> tuple[float | None, dict[str, Evaluated],
                                                     dict[tuple[str, str], dict[str, Evaluated]]]:
    """The operating threshold, the figures of its row, and each subgroup's figures by (attribute, value)."""
    row = _operating_row(evaluation) or {}
    threshold = _number(row.get("threshold"))
    tp, fp, tn, fn = (count_of(row.get(k)) for k in ("tp", "fp", "tn", "fn"))
    computed: dict[str, tuple[float, float] | None] = {}
    if tp is not None and fp is not None:
        computed["ppv"] = wilson(tp, tp + fp)
        if tn is not None and fn is not None:
            computed["alertRate"] = wilson(tp + fp, tp + fp + tn + fn)
    if tp is not None and fn is not None:
        computed["sensitivity"] = wilson(tp, tp + fn)
    days = _number(value_at(evaluation.spec, ("periodDays",)))
    if tp is not None and fp is not None and days and days > 0:
        low, high = poisson_interval(tp + fp)
        computed["alertsPerDay"] = (low / days, high / days)
    overall: dict[str, Evaluated] = {}
    for figure in FIGURES:
        value = _number(row.get(figure))
        if value is not None:
            bounds = _interval(row, figure) or computed.get(figure)
            overall[figure] = Evaluated(value, *bounds) if bounds else Evaluated(value)
    subgroups: dict[tuple[str, str], dict[str, Evaluated]] = {}
    items = value_at(evaluation.spec, ("subgroups",))
    for item in items if isinstance(items, list) else []:
        metrics = item.get("metrics") if isinstance(item, dict) else None
        if isinstance(metrics, dict) and isinstance(item.get("attribute"), str) and "value" in item:
            subgroups[subgroup_key(item)] = {
                f: Evaluated(v) for f in FIGURES if (v := _number(metrics.get(f))) is not None}
    return threshold, overall, subgroups


class Expectations:
    """Expectations of records, with each (environment, version)'s evaluation looked up once."""

    def __init__(self, index: RegistryIndex, config: RegistryConfig) -> None:
        self.index = index
        self.config = config
        self._by_model: dict[str, list[Document]] | None = None  # every version's evaluations, read once
        self._chosen: dict[tuple[str, str], Document | None] = {}

    def evaluation(self, environment: str, model: str) -> Document | None:
        key = (environment, model)
        if key not in self._chosen:
            if self._by_model is None:
                self._by_model = {}
                for doc in self.index.entries(KINDS["Evaluation"]):
                    ref = value_at(doc.spec, ("model",))
                    if isinstance(ref, str) and doc.status != "retired":
                        self._by_model.setdefault(ref, []).append(doc)
                for found in self._by_model.values():  # newest first, as RegistryIndex.evaluations_of
                    found.sort(key=lambda d: str(value_at(d.spec, ("date",)) or ""), reverse=True)
            self._chosen[key] = _chosen(self._by_model.get(model, []), self.config, environment)
        return self._chosen[key]

    def of(self, record: Document) -> Expectation | None:
        """The record's figures against expectation; None when it carries no counts to hold against anything."""
        spec = record.spec
        model, environment = value_at(spec, ("model",)), value_at(spec, ("environment",))
        if not isinstance(model, str) or not isinstance(environment, str):
            return None
        days = period_days(spec)
        observed = observe(record_counts(spec), days)
        groups = [(label, attribute, value, observe(counts, days))
                  for label, attribute, value, counts in record_subgroups(spec)]
        if not observed and not any(figures for *_, figures in groups):
            return None
        evaluation = self.evaluation(environment, model)
        threshold, overall, by_subgroup = evaluated_figures(evaluation) if evaluation is not None else (None, {}, {})
        comparisons = [Comparison(f, None, observed[f], overall.get(f)) for f in FIGURES if f in observed]
        for label, attribute, value, figures in groups:
            expected = by_subgroup.get((attribute, value), {})
            comparisons += [Comparison(f, label, figures[f], expected.get(f)) for f in FIGURES if f in figures]
        return Expectation(str(record.ref), model, str(evaluation.ref) if evaluation is not None else None,
                           threshold, days, tuple(comparisons))

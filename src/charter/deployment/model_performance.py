"""Performance history: one model's figures across versions and time, from evaluations and monitoring records.

Evaluations give each version's offline estimates (with confidence intervals) and the alert volume expected at
the operating threshold; health and outcome records give what was seen in an environment afterwards. Both land
in one flat, dated list so a report can plot a metric over time and a reviewer can set expectation against
observation (`alertsPerDay` appears in both).

A record that carries counts (`deployment.expectation`) gives its figures with their intervals and counts, and
`alertRate`, `ppv` and `sensitivity` besides; asked with `expectations`, each such figure also carries what the
version's evaluation expected and whether it lies outside expectation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from charter.deployment.expectation import (
    FIGURES,
    Comparison,
    Expectations,
    Observed,
    observe,
    period_days,
    record_counts,
    record_subgroups,
)
from charter.errors import UnknownMetric, UnknownMetricDidYouMean
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS
from charter.registry.times import parse_instant
from charter.registry.versions import version_key

#: Health fields of a DeploymentRecord that are figures (its keys are the metric names used here).
HEALTH_METRICS = ("latencyP50Ms", "latencyP99Ms", "errorRate", "scoreDrift", "alertsPerDay", "requestCount")
#: Outcome fields that are figures; `measures` adds one metric per measure name.
OUTCOME_METRICS = ("actionRate", "alertBurden")


@dataclass(frozen=True, slots=True)
class PerformancePoint:
    """One figure of one model version at one time: an evaluation's estimate or a record's observation."""

    version: str
    source: str  # "evaluation" or "record"
    date: str  # ISO date (evaluations) or date-time (records), as written in the entry
    metric: str
    value: float
    ci_lower: float | None
    ci_upper: float | None
    environment: str | None
    cohort: str | None
    entry: str  # the evaluation's or record's reference
    subgroup: str | None = None  # a record's subgroup (`sex=female`); None for the whole population
    counts: Observed | None = None  # the numerator and denominator a record's figure comes from
    expected: Comparison | None = None  # the figure against its evaluated value, when asked for

    def to_dict(self) -> dict[str, Any]:
        counts, expected = self.counts, self.expected
        evaluated = expected.evaluated if expected is not None else None
        return {"version": self.version, "source": self.source, "date": self.date, "metric": self.metric,
                "value": self.value, "ciLower": self.ci_lower, "ciUpper": self.ci_upper,
                "environment": self.environment, "cohort": self.cohort, "entry": self.entry,
                "subgroup": self.subgroup,
                "counts": None if counts is None else {"numerator": counts.numerator,
                                                       "denominator": round(counts.denominator, 6), "of": counts.of},
                "expectation": None if expected is None else {
                    "evaluated": evaluated.value if evaluated is not None else None,
                    "ciLower": evaluated.lower if evaluated is not None else None,
                    "ciUpper": evaluated.upper if evaluated is not None else None, "outside": expected.outside}}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _model_version(ref: Any, model: str) -> str | None:
    """The version part of `model:NAME@VERSION` when NAME is `model`."""
    if not isinstance(ref, str):
        return None
    prefix = f"model:{model}@"
    return ref[len(prefix):] if ref.startswith(prefix) else None


def _from_evaluation(doc: Document, model: str) -> list[PerformancePoint]:
    spec = doc.spec
    version = _model_version(value_at(spec, ("model",)), model)
    when = value_at(spec, ("date",))
    if version is None or not isinstance(when, str):
        return []
    cohort = value_at(spec, ("cohort",))
    cohort = cohort if isinstance(cohort, str) else None
    entry = str(doc.ref)
    points = []
    metrics = value_at(spec, ("metrics",))
    for name, estimate in (metrics if isinstance(metrics, dict) else {}).items():
        value = _number(estimate.get("value")) if isinstance(estimate, dict) else None
        if value is None:
            continue
        lower, upper = _number(estimate.get("ciLower")), _number(estimate.get("ciUpper"))
        points.append(PerformancePoint(version, "evaluation", when, str(name), value, lower, upper, None,
                                       cohort, entry))
    operating = _number(value_at(spec, ("operatingThreshold",)))
    rows = value_at(spec, ("thresholds",))
    for row in rows if isinstance(rows, list) and operating is not None else []:
        if isinstance(row, dict) and _number(row.get("threshold")) == operating:
            alerts = _number(row.get("alertsPerDay"))
            if alerts is not None:
                points.append(PerformancePoint(version, "evaluation", when, "alertsPerDay", alerts, None, None,
                                               None, cohort, entry))
            break
    return points


def _from_record(doc: Document, model: str, expectations: Expectations | None,
                 subgroups: bool) -> list[PerformancePoint]:
    spec = doc.spec
    version = _model_version(value_at(spec, ("model",)), model)
    when = value_at(spec, ("at",))
    environment = value_at(spec, ("environment",))
    if version is None or not isinstance(when, str):
        return []
    environment = environment if isinstance(environment, str) else None
    days = period_days(spec)
    observed = observe(record_counts(spec), days)
    figures: dict[str, Any] = {}
    health = value_at(spec, ("health",))
    if isinstance(health, dict):
        figures.update({k: health.get(k) for k in HEALTH_METRICS})
    outcomes = value_at(spec, ("outcomes",))
    if isinstance(outcomes, dict):
        figures.update({k: outcomes.get(k) for k in OUTCOME_METRICS})
        measures = outcomes.get("measures")
        figures.update(measures if isinstance(measures, dict) else {})
    entry = str(doc.ref)
    expectation = expectations.of(doc) if expectations is not None else None
    compared = {(c.figure, c.subgroup): c for c in expectation.comparisons} if expectation is not None else {}
    points = []
    for name, raw in figures.items():
        value = _number(raw)
        if value is not None:
            seen = observed.pop(name, None) if name == "alertsPerDay" else None  # the written figure, its count's CI
            points.append(PerformancePoint(version, "record", when, str(name), value,
                                           seen.lower if seen else None, seen.upper if seen else None, environment,
                                           None, entry, None, seen, compared.get((name, None)) if seen else None))
    groups = [(label, observe(counts, days)) for label, _, _, counts in record_subgroups(spec)] if subgroups else []
    for label, found in [(None, observed), *groups]:
        for name in FIGURES:
            seen = found.get(name)
            if seen is not None:
                points.append(PerformancePoint(version, "record", when, name, seen.value, seen.lower, seen.upper,
                                               environment, None, entry, label, seen, compared.get((name, label))))
    return points


def _sort_key(point: PerformancePoint) -> tuple[datetime, Any, str, str]:
    instant = parse_instant(point.date) or datetime.min.replace(tzinfo=UTC)
    return instant, version_key(point.version), point.metric, point.entry


def performance_history(index: RegistryIndex, model: str, *, expectations: Expectations | None = None,
                        subgroups: bool = False) -> list[PerformancePoint]:
    """Every figure recorded for any version of `model` (a family name, with or without `model:`), by date.

    With `expectations`, a record's figures that come from counts carry their comparison with the evaluation;
    with `subgroups`, the figures of each subgroup a record reports are points too (with `subgroup` set).
    """
    name = model.removeprefix("model:").split("@", 1)[0]
    points: list[PerformancePoint] = []
    evaluation, record = KINDS["Evaluation"], KINDS["DeploymentRecord"]
    for version in index.versions(KINDS["ModelVersion"], name):
        # the reverse index names exactly the entries about this version: no scan of the whole registry
        for link in index.dependents(str(version.ref)):
            if link.field != ("spec", "model"):
                continue
            if link.source.kind is evaluation:
                points.extend(_from_evaluation(link.source, name))
            elif link.source.kind is record:
                points.extend(_from_record(link.source, name, expectations, subgroups))
    return sorted(points, key=_sort_key)


def of_metrics(points: list[PerformancePoint], wanted: list[str], model: str) -> list[PerformancePoint]:
    """The points of the metrics asked for, named in any case (`alertsperday` is `alertsPerDay`).

    A metric none of the model's points has is a usage error with the closest names present, not an empty history
    that reads as "no records".
    """
    import difflib

    present = {p.metric.casefold(): p.metric for p in points}
    for name in wanted:
        if present and name.casefold() not in present:
            close = difflib.get_close_matches(name.casefold(), list(present), n=3, cutoff=0.6)
            if close:
                raise UnknownMetricDidYouMean(metric=name, model=model, close=", ".join(present[c] for c in close))
            raise UnknownMetric(metric=name, model=model, known=", ".join(sorted(present.values())))
    asked = {name.casefold() for name in wanted}
    return [p for p in points if p.metric.casefold() in asked]

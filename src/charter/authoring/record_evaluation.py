"""`evaluate record`: an evaluation's results file becomes an Evaluation entry, validated and committed, or nothing.

The rates are computed here from confusion counts, never copied, so the threshold table, the subgroup table and the
overall sensitivity/PPV/specificity agree with each other and carry Wilson intervals. Expected ranges of invariant
checks come from the model's contract when the results leave them out, so a check cannot be loosened on the way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

from charter.errors import (
    DaysNotPositive,
    EvaluationExists,
    EvaluationLeftovers,
    InvalidEvaluationName,
    NoLabelEvent,
    NoPeriodLength,
    NotRecorded,
    NotSemver,
    PinnedEntryNotFound,
    PinnedVersionNotFound,
    ResultsError,
    UnknownMethod,
    UnpinnedReference,
    WrongReferenceKind,
)
from charter.evaluation.confusion import estimate, threshold_row
from charter.evaluation.invariants import declared_invariants, in_range
from charter.evaluation.results_file import EvaluationResults, SubgroupCounts, read_results
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.findings import has_errors
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS, NAME_RE
from charter.registry.references import Reference, parse_reference
from charter.registry.schemas import schema_comment
from charter.registry.times import parse_day
from charter.registry.versions import is_semver, next_version
from charter.registry.yamlio import dump_yaml
from charter.store.transaction import write_text_atomic

METHODS = ("retrospective", "shadow", "canary")
#: Rates computed at the operating threshold and reported as overall metrics (unless the results give them).
OPERATING_METRICS = ("sensitivity", "ppv", "specificity")
#: The method as the end of a default evaluation name (the example registry's naming rule asks for these).
SHORT_METHOD = {"retrospective": "retro"}
_VERSIONED_KIND = {"model": "ModelVersion", "cohort": "Cohort", "event": "EventDefinition"}


@dataclass
class EvaluationRequest:
    """What to record. `model`, `cohort` and `results` are needed; the rest has defaults or comes from the model."""

    model: str
    cohort: str
    results: Path
    event: str | None = None
    method: str = "retrospective"
    baseline: str | None = None
    days: float | None = None
    operating_threshold: float | None = None
    evaluator: str | None = None
    name: str | None = None
    version: str | None = None
    notes: str | None = None
    commit: bool = True


def pinned_entry(index: RegistryIndex, text: str, prefix: str, option: str) -> Document:
    """The entry a pinned reference names; a bare `name@version` gets the expected kind prefix."""
    ref = parse_reference(text if ":" in text else f"{prefix}:{text}")
    if ref.prefix != prefix:
        raise WrongReferenceKind(option=option, text=text, prefix=ref.prefix, expected=prefix)
    kind = KINDS[_VERSIONED_KIND[prefix]]
    if ref.version is None:
        raise UnpinnedReference(option=option, text=text, prefix=prefix, name=ref.name)
    doc = index.get(ref)
    if doc is None:
        versions = [d.version or "" for d in index.versions(kind, ref.name)]
        if versions:
            raise PinnedVersionNotFound(option=option, ref=ref, name=ref.name, versions=", ".join(versions))
        raise PinnedEntryNotFound(option=option, ref=ref, kind=kind.name.lower())
    return doc


def _default_name(model: Document, method: str) -> str:
    version = re.sub(r"[^a-z0-9]+", "-", (model.version or "").lower()).strip("-")
    return f"{model.name}-{version}-{SHORT_METHOD.get(method, method)}"


def choose_identity(index: RegistryIndex, name: str | None, version: str | None, model: Document,
                    method: str) -> tuple[str, str]:
    """The evaluation's name (given, or MODEL-VERSION-METHOD) and version (given, or the next free one)."""
    kind = KINDS["Evaluation"]
    name = name or _default_name(model, method)
    if not NAME_RE.match(name):
        raise InvalidEvaluationName(name=name)
    existing = [d.version or "" for d in index.versions(kind, name)]
    if version is not None:
        if not is_semver(version):
            raise NotSemver(version=version, example="1.0.0")
        if version in existing:
            raise EvaluationExists(name=name, version=version)
        return name, version
    return name, next_version(existing, "1.0.0")


def _threshold_range(index: RegistryIndex, model: Document) -> tuple[float, float]:
    """Thresholds must lie in the output range the contract declares; probabilities in [0, 1]."""
    contract = index.get(str(value_at(model.spec, ("contract",))))
    output = value_at(contract.spec, ("output",)) if contract is not None else None
    if isinstance(output, dict) and output.get("type") != "probability":
        low, high = value_at(output, ("range", "min")), value_at(output, ("range", "max"))
        return (float(low) if isinstance(low, int | float) else float("-inf"),
                float(high) if isinstance(high, int | float) else float("inf"))
    return 0.0, 1.0


def _check_counts(results: EvaluationResults) -> None:
    """Counts that cannot come from one scoring of one cohort are refused before any rate is computed."""
    if not results.thresholds:
        return
    first = results.thresholds[0]
    for row in results.thresholds:
        if row.counts.total != first.counts.total or row.counts.positives != first.counts.positives:
            raise ResultsError(row.where, "counts.cohort", threshold=row.threshold, total=row.counts.total,
                               positives=row.counts.positives, first=first.threshold, first_total=first.counts.total,
                               first_positives=first.counts.positives)
        if row.counts.positives == 0 or row.counts.positives == row.counts.total:
            raise ResultsError(row.where, "counts.no_events" if row.counts.positives == 0 else "counts.only_events",
                               positives=row.counts.positives, total=row.counts.total)
        if row.counts.alerts == 0:
            raise ResultsError(row.where, "counts.no_alerts", threshold=row.threshold)
    ordered = sorted(results.thresholds, key=lambda r: r.threshold)
    for low, high in pairwise(ordered):
        if high.counts.alerts > low.counts.alerts or high.counts.tp > low.counts.tp:
            raise ResultsError(high.where, "counts.rising", high=high.threshold, high_alerts=high.counts.alerts,
                               low=low.threshold, low_alerts=low.counts.alerts)


def _days(request: EvaluationRequest, results: EvaluationResults, cohort: Document) -> float:
    if request.days is not None:
        if request.days <= 0:
            raise DaysNotPositive(days=request.days)
        return request.days
    if results.days is not None:
        return results.days
    start, end = (parse_day(str(value_at(cohort.spec, ("period", side)))) for side in ("start", "end"))
    if start is None or end is None:
        raise NoPeriodLength(source=results.source, cohort=cohort.ref)
    return float((end - start).days + 1)


def _operating(request: EvaluationRequest, results: EvaluationResults) -> float | None:
    operating = request.operating_threshold if request.operating_threshold is not None \
        else results.operating_threshold
    if operating is not None and results.thresholds and operating not in {r.threshold for r in results.thresholds}:
        raise ResultsError(str(results.source), "operating.no_row", operating=operating,
                           known=", ".join(f"{r.threshold:g}" for r in results.thresholds))
    return operating


def _subgroups(results: EvaluationResults, operating: float | None) -> list[SubgroupCounts]:
    if not results.subgroup_rows:
        return results.subgroups
    by_name: dict[str, list[tuple[SubgroupCounts, float]]] = {}
    for group, threshold in results.subgroup_rows:
        by_name.setdefault(group.name, []).append((group, threshold))
    picked = []
    for name, rows in by_name.items():
        at = [g for g, t in rows if t == operating]
        if at:
            picked.append(at[0])
        elif len(rows) == 1 and operating is None:
            picked.append(rows[0][0])
        else:
            raise ResultsError(rows[0][0].where, "subgroup.no_operating_row" if operating is not None
                               else "subgroup.no_operating_row.none", name=name, operating=operating)
    return picked


def _subgroup_entry(group: SubgroupCounts) -> dict[str, Any]:
    counts = group.counts
    if counts.total == 0:
        raise ResultsError(group.where, "subgroup.no_units", name=group.name)
    metrics: dict[str, float] = {}
    for name, value in counts.rates().items():
        if value is not None and name != "npv":
            metrics[name] = round(value, 6)
    metrics.update(group.metrics)
    return {"name": group.name, "attribute": group.attribute, "value": group.value, "n": counts.total,
            "prevalence": round(counts.positives / counts.total, 6), "metrics": metrics}


def _invariants(results: EvaluationResults, declared: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    checks = []
    for item in results.invariants:
        contract = declared.get(item["name"], {})
        expected = item.get("expected") or contract.get("expected")
        given_input = item.get("input") or contract.get("input")
        if expected is None or given_input is None:
            raise ResultsError(item["_where"], "invariant.no_expected" if expected is None else "invariant.no_input",
                               name=item["name"])
        result = item["result"]
        check: dict[str, Any] = {"name": item["name"]}
        if item.get("description") or contract.get("description"):
            check["description"] = item.get("description") or contract.get("description")
        check.update({"input": given_input, "expected": expected, "result": result,
                      "passed": in_range(result, expected)})
        checks.append(check)
    return checks


def build_evaluation(index: RegistryIndex, request: EvaluationRequest, today: date,
                     evaluator: str) -> tuple[str, dict[str, Any]]:
    """The Evaluation document for the request, and the registry path it belongs at."""
    if request.method not in METHODS:
        raise UnknownMethod(method=request.method, known=", ".join(METHODS))
    model = pinned_entry(index, request.model, "model", "model")
    cohort = pinned_entry(index, request.cohort, "cohort", "--cohort")
    event_ref = request.event or value_at(model.spec, ("labelEvent",))
    if not isinstance(event_ref, str):
        raise NoLabelEvent(model=model.ref)
    event = pinned_entry(index, event_ref, "event", "--event")
    baseline = pinned_entry(index, request.baseline, "model", "--baseline") if request.baseline else None
    results = read_results(request.results, today=today, threshold_range=_threshold_range(index, model))
    _check_counts(results)
    operating = _operating(request, results)
    name, version = choose_identity(index, request.name, request.version, model, request.method)

    spec: dict[str, Any] = {"model": str(model.ref), "cohort": str(cohort.ref), "event": str(event.ref)}
    if results.data_snapshot:
        spec["dataSnapshot"] = results.data_snapshot
    spec["method"] = request.method
    metrics = dict(results.metrics)
    rows = sorted(results.thresholds, key=lambda r: r.threshold)
    if rows:
        days = _days(request, results, cohort)
        metrics.setdefault("prevalence", {"value": round(rows[0].counts.positives / rows[0].counts.total, 6)})
        at_operating = next((r.counts for r in rows if r.threshold == operating), None)
        if at_operating is not None:
            for metric in OPERATING_METRICS:
                value = estimate(at_operating, metric)
                if value is not None:
                    metrics.setdefault(metric, value)
    spec["metrics"] = metrics
    if rows:
        spec["thresholds"] = [threshold_row(r.threshold, r.counts, days) for r in rows]
        spec["periodDays"] = int(days) if days.is_integer() else days
    if operating is not None:
        spec["operatingThreshold"] = operating
    subgroups = [_subgroup_entry(g) for g in _subgroups(results, operating)]
    if subgroups:
        spec["subgroups"] = subgroups
    if results.calibration is not None:
        spec["calibration"] = results.calibration
    invariants = _invariants(results, declared_invariants(index, model.ref)[1])
    if invariants:
        spec["invariants"] = invariants
    if baseline is not None:
        spec["baseline"] = str(baseline.ref)
    spec["evidence"] = {"source": "counts"}  # pre-aggregated: rates recomputed from counts, nothing to verify
    spec["evaluator"] = request.evaluator or evaluator
    spec["date"] = results.date or today.isoformat()
    notes = request.notes or results.notes
    if notes:
        spec["notes"] = notes
    relpath = KINDS["Evaluation"].relative_path(name, version)
    document = {
        "apiVersion": "charter/v1",
        "kind": "Evaluation",
        "metadata": {
            "name": name, "version": version, "owner": model.owner,
            "description": f"{request.method.capitalize()} evaluation of {model.ref} on {cohort.ref}.",
            "status": "active",
            "annotations": {"charter.dev/recorded-by": "charter evaluate record",
                            "charter.dev/results-file": request.results.name},
        },
        "spec": spec,
    }
    return relpath, document


def record_evaluation(root: Path, request: EvaluationRequest, today: date | None = None) -> Reference:
    """Write the evaluation (validated, atomically) and commit it; on any failure the work tree is as it was.

    The version is chosen under the repository lock (`authoring.change`), so evaluations of one model recorded at
    once each get their own version.
    """
    from charter.adapters.git.repo import user_config
    from charter.authoring.change import change
    from charter.authoring.codeowners import keep_codeowners_in_step
    from charter.store.loader import load_registry
    from charter.validation.runner import validate_registry

    with change(root, "evaluate record") as current:
        index = load_registry(root).index
        evaluator = user_config(current.repo, "email") or ""
        relpath, document = build_evaluation(index, request, today or date.today(),
                                             evaluator or "charter evaluate record")
        kind = KINDS["Evaluation"]
        if (root / relpath).exists():
            raise EvaluationLeftovers(path=relpath)
        ref = Reference("evaluation", document["metadata"]["name"], document["metadata"]["version"])
        current.begin(relpath, entry=relpath)
        write_text_atomic(root / relpath, f"{schema_comment(kind, relpath)}\n{dump_yaml(document)}")
        report = validate_registry(root, [relpath], cwd=root)
        if has_errors(report.findings):
            raise NotRecorded(report.findings, ref=ref)
        codeowners = keep_codeowners_in_step(current, relpath, document["metadata"].get("owner"))
        if request.commit:
            current.commit(_commit_message(ref, document["spec"]), [relpath], [codeowners] if codeowners else [])
    return ref


def _commit_message(ref: Reference, spec: dict[str, Any]) -> str:
    lines = [f"Record {ref}", "", f"{spec['method']} evaluation of {spec['model']} on {spec['cohort']}"]
    operating = spec.get("operatingThreshold")
    row = next((r for r in spec.get("thresholds", []) if r["threshold"] == operating), None)
    if row is not None:
        lines.append(f"at {operating:g}: {row['alertsPerDay']:g} alerts/day, sensitivity {row['sensitivity']:.3f}, "
                     f"PPV {row['ppv']:.3f}")
    return "\n".join(lines)

"""`evaluate record`: an evaluation's results file becomes an Evaluation entry, validated and committed, or nothing.

The rates are computed here from confusion counts, never copied, so the threshold table, the subgroup table and the
overall sensitivity/PPV/specificity agree with each other and carry Wilson intervals; a rate the results file gives
as well is replaced by the computed one, with a warning where it disagrees (CH819). Expected ranges of invariant
checks come from the model's contract when the results leave them out, so a check cannot be loosened on the way.

The entry is validated before it is committed; a finding on it is said at the line of the results file its value
came from (`Sources`), since the entry itself is not kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

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
from charter.evaluation.confusion import agrees, canonical_threshold, estimate, threshold_row
from charter.evaluation.invariants import declared_invariants, in_range
from charter.evaluation.results_file import EvaluationResults, SubgroupCounts, ThresholdCounts, read_results
from charter.registry.documents import Document
from charter.registry.fields import JsonPath, Positions, dotted, value_at
from charter.registry.findings import Finding, finding, has_errors, said_at
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS, NAME_RE
from charter.registry.references import Reference, parse_reference
from charter.registry.schemas import schema_comment
from charter.registry.times import parse_day
from charter.registry.versions import is_semver, next_version
from charter.registry.yamlio import dump_yaml
from charter.store.transaction import write_text_atomic

METHODS = ("retrospective", "shadow", "canary")
#: Rates computed at the operating threshold and always reported as overall metrics.
OPERATING_METRICS = ("sensitivity", "ppv", "specificity")
#: Every rate the counts give: written in place of a given metric (overall or a subgroup's) of the same name.
COUNTED_RATES = ("alertRate", "sensitivity", "ppv", "specificity", "npv")
#: The rates a subgroup's entry always has.
SUBGROUP_RATES = ("alertRate", "sensitivity", "ppv", "specificity")
#: The method as the end of a default evaluation name (the example registry's naming rule asks for these).
SHORT_METHOD = {"retrospective": "retro"}
_VERSIONED_KIND = {"model": "ModelVersion", "cohort": "Cohort", "event": "EventDefinition"}


@dataclass(kw_only=True)
class RecordingRequest:
    """What every evaluation to record names, whatever its figures come from: the version and cohort (needed), the
    event definition (default: the version's labelEvent), how it ran, and who recorded it under which name."""

    model: str
    cohort: str
    event: str | None = None
    method: str = "retrospective"
    baseline: str | None = None
    operating_threshold: float | None = None
    evaluator: str | None = None
    name: str | None = None
    version: str | None = None
    notes: str | None = None
    commit: bool = True


@dataclass(kw_only=True)
class EvaluationRequest(RecordingRequest):
    """An evaluation from a results file of counts; `days` is the scored period, when the file does not say."""

    results: Path
    days: float | None = None


class Subjects(NamedTuple):
    """The entries an evaluation is about, each pinned: the version, the cohort, the event, the baseline if any."""

    model: Document
    cohort: Document
    event: Document
    baseline: Document | None


def resolve_subjects(index: RegistryIndex, request: RecordingRequest) -> Subjects:
    """The entries the request names, each an error at its option when it is not a pinned, existing entry."""
    if request.method not in METHODS:
        raise UnknownMethod(method=request.method, known=", ".join(METHODS))
    model = pinned_entry(index, request.model, "model", "model")
    cohort = pinned_entry(index, request.cohort, "cohort", "--cohort")
    event_ref = request.event or value_at(model.spec, ("labelEvent",))
    if not isinstance(event_ref, str):
        raise NoLabelEvent(model=model.ref)
    event = pinned_entry(index, event_ref, "event", "--event")
    baseline = pinned_entry(index, request.baseline, "model", "--baseline") if request.baseline else None
    return Subjects(model, cohort, event, baseline)


class Sources:
    """Where the fields of a built entry came from in the results file: an entry path (and everything under it)
    to the results path it was read from. Fields that came from elsewhere (the command line, the model, the
    cohort) have none."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions
        self.paths: dict[JsonPath, JsonPath] = {}

    def add(self, entry: JsonPath, results: JsonPath) -> None:
        self.paths[entry] = results

    def place(self, entry: JsonPath) -> tuple[int, int] | None:
        """The line and column of the results file that `entry` came from, or None."""
        for cut in range(len(entry), 0, -1):
            source = self.paths.get(entry[:cut])
            if source is not None:
                return self.positions.locate((*source, *entry[cut:]))
        return None


@dataclass
class BuiltEvaluation:
    """An Evaluation document, the registry path it belongs at, where its values came from, and the warnings
    about the results file that building it gave (CH819)."""

    relpath: str
    document: dict[str, Any]
    sources: Sources
    warnings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class RecordedEvaluation:
    ref: Reference
    #: Warnings about the results file (CH819); the entry's own are `validate`'s.
    warnings: list[Finding]


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
    # a row with no alerts is fine (a threshold above every score): its PPV is undefined and left out
    ordered = sorted(results.thresholds, key=lambda r: r.threshold)
    for low, high in pairwise(ordered):
        if high.counts.alerts > low.counts.alerts:
            raise ResultsError(high.where, "counts.rising", high=high.threshold, high_alerts=high.counts.alerts,
                               low=low.threshold, low_alerts=low.counts.alerts)
        if high.counts.tp > low.counts.tp:
            raise ResultsError(high.where, "counts.rising.tp", high=high.threshold, high_tp=high.counts.tp,
                               low=low.threshold, low_tp=low.counts.tp)


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
    """The operating threshold (--operating-threshold, else the file's) as the canonical form its row has."""
    operating = canonical_threshold(request.operating_threshold) if request.operating_threshold is not None \
        else results.operating_threshold
    if operating is not None and results.thresholds and operating not in {r.threshold for r in results.thresholds}:
        raise ResultsError(str(results.source), "operating.no_row", operating=operating,
                           known=", ".join(f"{r.threshold:g}" for r in results.thresholds))
    return operating


def _subgroups(results: EvaluationResults, operating: float | None) -> list[SubgroupCounts]:
    """The subgroups' counts at the operating threshold: a CSV's row at it; a JSON/YAML subgroup must be at it
    (counts at the file's operatingThreshold are not at another one --operating-threshold names)."""
    if not results.subgroup_rows:
        for group in results.subgroups:
            if operating is not None and group.threshold is not None and group.threshold != operating:
                raise ResultsError(group.threshold_where,
                                   "subgroups.threshold" if group.explicit else "subgroup.file_operating",
                                   name=group.name, threshold=group.threshold, operating=operating)
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


def _subgroup_entry(group: SubgroupCounts, results: EvaluationResults, warnings: list[Finding]) -> dict[str, Any]:
    """A subgroup's entry: its rates from its counts (a given rate of the same name is replaced, CH819), then its
    other given metrics."""
    counts = group.counts
    if counts.total == 0:
        raise ResultsError(group.where, "subgroup.no_units", name=group.name)
    rates = counts.rates()
    metrics: dict[str, float] = {name: round(value, 6) for name in SUBGROUP_RATES
                                 for value in [rates[name]] if value is not None}
    for name, given in group.metrics.items():
        if name not in COUNTED_RATES:
            metrics[name] = given
            continue
        computed = rates[name]
        place = results.positions.locate((*group.at, "metrics", name, "value"))
        if computed is None:
            warnings.append(finding("CH819.subgroup_undefined", str(results.source), place, subgroup=group.name,
                                    name=name, given=given))
        elif not agrees(given, computed, min_decimals=2):
            warnings.append(finding("CH819.subgroup", str(results.source), place, subgroup=group.name, name=name,
                                    given=given, computed=computed))
        if computed is not None:
            metrics[name] = round(computed, 6)
    return {"name": group.name, "attribute": group.attribute, "value": group.value, "n": counts.total,
            "prevalence": round(counts.positives / counts.total, 6), "metrics": metrics}


def _counted_metrics(results: EvaluationResults, rows: list[ThresholdCounts], operating: ThresholdCounts | None,
                     sources: Sources, warnings: list[Finding]) -> dict[str, dict[str, Any]]:
    """The overall metrics: the given ones, with the prevalence and the operating threshold's rates computed from
    the counts in place of any given value (a given one that disagrees is a warning, CH819)."""
    metrics = dict(results.metrics)
    source = str(results.source)

    def given_place(name: str) -> tuple[int, int]:
        return results.positions.locate(("metrics", name, "value"))

    first = rows[0]
    prevalence = first.counts.positives / first.counts.total
    given = metrics.get("prevalence")
    if given is not None and not agrees(float(given["value"]), prevalence, min_decimals=2):
        warnings.append(finding("CH819.prevalence", source, given_place("prevalence"), given=given["value"],
                                computed=prevalence))
    metrics["prevalence"] = {"value": round(prevalence, 6)}
    sources.add(("spec", "metrics", "prevalence"), first.at)
    if operating is None:
        return metrics
    rates: dict[str, float | None] = operating.counts.rates()
    for name in COUNTED_RATES:
        given = metrics.get(name)
        value = estimate(operating.counts, name)
        if given is not None:
            computed = rates[name]
            if computed is None:
                warnings.append(finding("CH819.undefined", source, given_place(name), name=name,
                                        given=given["value"], threshold=operating.threshold))
                del metrics[name]
            elif not agrees(float(given["value"]), computed, min_decimals=2):
                warnings.append(finding("CH819", source, given_place(name), name=name, given=given["value"],
                                        threshold=operating.threshold, computed=computed))
        if value is not None and (given is not None or name in OPERATING_METRICS):
            metrics[name] = value
            sources.add(("spec", "metrics", name), operating.at)
    return metrics


def _operating_row(rows: list[ThresholdCounts], operating: float | None) -> ThresholdCounts | None:
    return next((r for r in rows if r.threshold == operating), None)


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
                     evaluator: str) -> BuiltEvaluation:
    """The Evaluation document for the request, the registry path it belongs at, and where its values came from."""
    model, cohort, event, baseline = resolve_subjects(index, request)
    results = read_results(request.results, today=today, threshold_range=_threshold_range(index, model))
    _check_counts(results)
    operating = _operating(request, results)
    name, version = choose_identity(index, request.name, request.version, model, request.method)
    sources = Sources(results.positions)
    warnings: list[Finding] = []

    spec: dict[str, Any] = {"model": str(model.ref), "cohort": str(cohort.ref), "event": str(event.ref)}
    if results.data_snapshot:
        spec["dataSnapshot"] = results.data_snapshot
        sources.add(("spec", "dataSnapshot"), ("dataSnapshot",))
    spec["method"] = request.method
    for metric in results.metrics:
        sources.add(("spec", "metrics", metric), ("metrics", metric))
    rows = sorted(results.thresholds, key=lambda r: r.threshold)
    spec["metrics"] = _counted_metrics(results, rows, _operating_row(rows, operating), sources, warnings) \
        if rows else dict(results.metrics)
    if rows:
        days = _days(request, results, cohort)
        spec["thresholds"] = [threshold_row(r.threshold, r.counts, days) for r in rows]
        for i, row in enumerate(rows):
            sources.add(("spec", "thresholds", i), row.at)
        spec["periodDays"] = int(days) if days.is_integer() else days
        if request.days is None and results.days is not None:
            sources.add(("spec", "periodDays"), ("days",) if ("days",) in results.positions.values else ("period",))
    if operating is not None:
        spec["operatingThreshold"] = operating
        if request.operating_threshold is None:
            sources.add(("spec", "operatingThreshold"), ("operatingThreshold",))
    groups = _subgroups(results, operating)
    subgroups = [_subgroup_entry(g, results, warnings) for g in groups]
    if subgroups:
        spec["subgroups"] = subgroups
        for i, group in enumerate(groups):
            sources.add(("spec", "subgroups", i), group.at)
    if results.calibration is not None:
        spec["calibration"] = results.calibration
        sources.add(("spec", "calibration"), ("calibration",))
    invariants = _invariants(results, declared_invariants(index, model.ref)[1])
    if invariants:
        spec["invariants"] = invariants
        for i in range(len(invariants)):
            sources.add(("spec", "invariants", i), ("invariants", i))
    if baseline is not None:
        spec["baseline"] = str(baseline.ref)
    spec["evidence"] = {"source": "counts"}  # pre-aggregated: rates recomputed from counts, nothing to verify
    spec["evaluator"] = request.evaluator or evaluator
    spec["date"] = results.date or today.isoformat()
    if results.date:
        sources.add(("spec", "date"), ("date",))
    notes = request.notes or results.notes
    if notes:
        spec["notes"] = notes
        if not request.notes:
            sources.add(("spec", "notes"), ("notes",))
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
    return BuiltEvaluation(relpath, document, sources, warnings)


def said_at_results(findings: list[Finding], built: BuiltEvaluation, text: str, source: Path) -> list[Finding]:
    """Findings on the built entry (which is not kept) said at the results file: at the line and column its value
    came from, else at the file's start naming the entry's field. Findings on other files stay as they are."""
    from charter.registry.yamlio import parse_yaml

    positions = parse_yaml(text, built.relpath).positions
    starts: dict[tuple[int, int], list[JsonPath]] = {}  # a mapping starts where its first key does
    for table in (positions.values, positions.keys):
        for node, start in table.items():
            starts.setdefault(start, []).append(node)
    moved = []
    for found in findings:
        if found.path != built.relpath:
            moved.append(found)
            continue
        nodes = sorted(starts.get((found.line, found.column), []), key=len)
        # the deepest node there that came from the file; else the outermost, which is what the finding is about
        sourced = [(place, node) for node in reversed(nodes) for place in [built.sources.place(node)] if place]
        if sourced:
            moved.append(said_at(found, str(source), sourced[0][0]))
        else:
            moved.append(said_at(found, str(source), None, dotted(nodes[0]) if nodes else ""))
    return moved


def record_evaluation(root: Path, request: EvaluationRequest, today: date | None = None) -> RecordedEvaluation:
    """Write the evaluation (validated, atomically) and commit it; on any failure the work tree is as it was.

    The version is chosen under the repository lock (`authoring.change`), so evaluations of one model recorded at
    once each get their own version. An entry that would not validate is refused (`NotRecorded`) with its
    findings said at the results file's lines.
    """
    from charter.adapters.git.repo import user_config
    from charter.authoring.change import change
    from charter.authoring.codeowners import keep_codeowners_in_step
    from charter.store.loader import load_registry
    from charter.validation.runner import validate_registry

    with change(root, "evaluate record") as current:
        index = load_registry(root).index
        evaluator = user_config(current.repo, "email") or ""
        built = build_evaluation(index, request, today or date.today(), evaluator or "charter evaluate record")
        relpath, document = built.relpath, built.document
        kind = KINDS["Evaluation"]
        if (root / relpath).exists():
            raise EvaluationLeftovers(path=relpath)
        ref = Reference("evaluation", document["metadata"]["name"], document["metadata"]["version"])
        current.begin(relpath, entry=relpath)
        text = f"{schema_comment(kind, relpath)}\n{dump_yaml(document)}"
        write_text_atomic(root / relpath, text)
        report = validate_registry(root, [relpath], cwd=root)
        if has_errors(report.findings):
            found = [*built.warnings, *said_at_results(report.findings, built, text, request.results)]
            raise NotRecorded(sorted(found, key=lambda f: f.sort_key), ref=ref)
        codeowners = keep_codeowners_in_step(current, relpath, document["metadata"].get("owner"))
        if request.commit:
            current.commit(_commit_message(ref, document["spec"]), [relpath], [codeowners] if codeowners else [])
    return RecordedEvaluation(ref, built.warnings)


def _commit_message(ref: Reference, spec: dict[str, Any]) -> str:
    lines = [f"Record {ref}", "", f"{spec['method']} evaluation of {spec['model']} on {spec['cohort']}"]
    operating = spec.get("operatingThreshold")
    row = next((r for r in spec.get("thresholds", []) if r["threshold"] == operating), None)
    if row is not None:
        ppv = f"PPV {row['ppv']:.3f}" if "ppv" in row else "no alerts"
        lines.append(f"at {operating:g}: {row['alertsPerDay']:g} alerts/day, sensitivity {row['sensitivity']:.3f}, "
                     f"{ppv}")
    return "\n".join(lines)

"""Which charts a page gets, and from which numbers: evaluations and performance history to chart markup."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.versions import version_key
from charter.report.charts import (
    Axis,
    BarGroup,
    IntervalRow,
    Marker,
    Point,
    Series,
    bar_chart,
    format_value,
    interval_chart,
    line_chart,
)
from charter.report.model import metric_estimates, rows_of

if TYPE_CHECKING:
    from charter.deployment.expectation import Expectation
    from charter.deployment.model_performance import PerformancePoint

RATE = Axis("", 0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
#: Metrics bounded by [0, 1]: their axes show the whole range, so small differences are not exaggerated.
BOUNDED = {"auroc", "auprc", "sensitivity", "specificity", "ppv", "npv", "accuracy", "f1", "recall", "precision"}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def evaluation_label(evaluation: Document) -> str:
    """`1.1.0 · sepsis-risk-1-1-0-retro`: the version evaluated first, since that is what readers compare."""
    model = value_at(evaluation.spec, ("model",))
    version = model.partition("@")[2] if isinstance(model, str) else "?"
    return f"{version} · {evaluation.name}"


def performance_over_versions(points: Sequence[PerformancePoint]) -> list[str]:
    """One chart per evaluation metric: its estimate (with CI) for each version, a line per cohort."""
    by_metric: dict[str, dict[str, list[Point]]] = defaultdict(lambda: defaultdict(list))
    versions = sorted({p.version for p in points if p.source == "evaluation"}, key=version_key)
    for p in points:
        if p.source == "evaluation":
            by_metric[p.metric][p.cohort or "no cohort"].append(
                Point(p.version, p.value, p.ci_lower, p.ci_upper, p.date or ""))
    charts = []
    for metric in sorted(by_metric):
        series = [Series(cohort, tuple(sorted(pts, key=lambda q: versions.index(str(q.x)))))
                  for cohort, pts in sorted(by_metric[metric].items())]
        charts.append(line_chart(f"{metric} by version (evaluations, 95% CI)", series,
                                 Axis("model version"), Axis(metric), x_kind="category"))
    return [c for c in charts if c]


def performance_over_time(points: Sequence[PerformancePoint]) -> list[str]:
    """One chart per metric over calendar time, a line per version: evaluations and monitoring reports together."""
    by_metric: dict[str, dict[str, list[Point]]] = defaultdict(lambda: defaultdict(list))
    for p in points:
        if not p.date:
            continue
        where = f"evaluation on {p.cohort}" if p.source == "evaluation" else f"reported in {p.environment}"
        by_metric[p.metric][p.version].append(Point(p.date, p.value, p.ci_lower, p.ci_upper, where,
                                                    hollow=p.source != "evaluation"))
    charts = []
    for metric in sorted(by_metric):
        series = [Series(version, tuple(pts)) for version, pts in sorted(by_metric[metric].items(),
                                                                        key=lambda item: version_key(item[0]))]
        charts.append(line_chart(f"{metric} over time, by version (dot: evaluation, ring: monitoring)", series,
                                 Axis("date"), Axis(metric), x_kind="time"))
    return [c for c in charts if c]


def _threshold_series(evaluation: Document, x_key: str, y_key: str, name: str, *, dashed: bool = False,
                      colour: int | None = None) -> Series:
    points = []
    for row in rows_of(evaluation, "thresholds"):
        x, y = _number(row.get(x_key)), _number(row.get(y_key))
        if x is not None and y is not None:
            threshold = _number(row.get("threshold"))
            points.append(Point(x, y, note=f"threshold {threshold:g}" if threshold is not None else ""))
    return Series(name, tuple(points), dashed=dashed, colour=colour)


def _operating(evaluations: Sequence[Document]) -> list[Marker]:
    found: list[Marker] = []
    for evaluation in evaluations:
        value = _number(value_at(evaluation.spec, ("operatingThreshold",)))
        if value is not None and value not in [m.x for m in found]:
            label = "operating" if len(evaluations) == 1 else f"operating ({evaluation_label(evaluation)})"
            found.append(Marker(value, label))
    return found


def threshold_figures(evaluations: Sequence[Document]) -> list[str]:
    """Alert volume and detection against the threshold, and the trade-off between the two."""
    with_rows = [e for e in evaluations if rows_of(e, "thresholds")]
    if not with_rows:
        return []
    markers = _operating(with_rows)
    alerts = [_threshold_series(e, "threshold", "alertsPerDay", evaluation_label(e)) for e in with_rows]
    detection = []
    for j, e in enumerate(with_rows):
        label = evaluation_label(e)
        detection.append(_threshold_series(e, "threshold", "sensitivity", f"sensitivity, {label}", colour=j))
        detection.append(_threshold_series(e, "threshold", "ppv", f"PPV, {label}", dashed=True, colour=j))
    tradeoff = [_threshold_series(e, "alertsPerDay", "sensitivity", evaluation_label(e)) for e in with_rows]
    charts = [
        line_chart("Alerts per day by threshold", alerts, Axis("threshold"), Axis("alerts per day", 0.0),
                   markers=markers),
        line_chart("Sensitivity (solid) and PPV (dashed) by threshold", detection, Axis("threshold"),
                   Axis("rate", 0.0, 1.0, list(RATE.ticks)), markers=markers),
        line_chart("Sensitivity against alert volume", tradeoff, Axis("alerts per day", 0.0),
                   Axis("sensitivity", 0.0, 1.0, list(RATE.ticks))),
    ]
    return [c for c in charts if c]


def subgroup_figures(evaluations: Sequence[Document]) -> list[str]:
    """One chart per subgroup metric: a bar per evaluation for each subgroup, the overall value as a line."""
    with_rows = [e for e in evaluations if rows_of(e, "subgroups")]
    if not with_rows:
        return []
    labels: list[str] = []
    usage: Counter[str] = Counter()
    values: dict[tuple[str, int], tuple[float, str]] = {}
    for j, evaluation in enumerate(with_rows):
        for row in rows_of(evaluation, "subgroups"):
            label = str(row.get("name", ""))
            if label not in labels:
                labels.append(label)
            metrics = row.get("metrics")
            for metric, raw in (metrics.items() if isinstance(metrics, dict) else ()):
                value = _number(raw)
                if value is not None:
                    usage[metric] += 1
                    values[(f"{metric}\0{label}", j)] = (value, f"n={row.get('n')}, prevalence "
                                                                f"{row.get('prevalence')}")
    names = [evaluation_label(e) for e in with_rows]
    charts = []
    for metric, _ in sorted(usage.items(), key=lambda item: (-item[1], item[0])):
        groups = []
        for label in labels:
            cells = [values.get((f"{metric}\0{label}", j)) for j in range(len(with_rows))]
            if any(c is not None for c in cells):
                groups.append(BarGroup(label, tuple(c[0] if c else None for c in cells),
                                       tuple(c[1] if c else "" for c in cells)))
        overall = metric_estimates(with_rows[-1]).get(metric)
        references = [(overall[0], f"overall {metric}, {names[-1]}")] if overall else []
        low = min([v for g in groups for v in g.values if v is not None] + [r for r, _ in references])
        axis = Axis(metric, 0.0, 1.0, list(RATE.ticks)) if metric in BOUNDED and low < 0.5 else \
            Axis(metric, None, 1.0) if metric in BOUNDED else Axis(metric)
        charts.append(bar_chart(f"{metric} by subgroup", names, groups, axis, references))
    return [c for c in charts if c]


def calibration_figure(evaluation: Document) -> str:
    """Reliability diagram: observed against predicted rate per bin; the diagonal is perfect calibration."""
    bins = value_at(evaluation.spec, ("calibration", "bins"))
    points = []
    for row in bins if isinstance(bins, list) else []:
        if isinstance(row, dict):
            predicted, observed = _number(row.get("predicted")), _number(row.get("observed"))
            if predicted is not None and observed is not None:
                found = row.get("interval")
                interval: dict[str, Any] = found if isinstance(found, dict) else {}
                points.append(Point(predicted, observed, _number(interval.get("lower")),
                                    _number(interval.get("upper")), note=f"n={row.get('n')}"))
    if not points:
        return ""
    top = max(1e-9, *(max(float(p.x), p.y) for p in points))
    scale = 1.0 if top > 0.5 else top * 1.1
    return line_chart("Calibration: observed against predicted rate", [Series("bins", tuple(points))],
                      Axis("mean predicted", 0.0, scale), Axis("observed rate", 0.0, scale), diagonal=True)


#: The differences a paired comparison records, with the words a chart shows for each.
_DIFFERENCES = (("auroc", ("comparison", "auroc"), "AUROC"),
                ("sensitivity", ("comparison", "atOperatingThreshold", "sensitivity"), "sensitivity"),
                ("specificity", ("comparison", "atOperatingThreshold", "specificity"), "specificity"),
                ("ppv", ("comparison", "atOperatingThreshold", "ppv"), "PPV"))


def _interval_row(label: str, found: Any, key: str = "value", note: str = "", hollow: bool = False
                  ) -> IntervalRow | None:
    if not isinstance(found, dict) or _number(found.get(key)) is None:
        return None
    low, high = _number(found.get("ciLower")), _number(found.get("ciUpper"))
    p_value = _number(found.get("pValue"))
    said = ", ".join(x for x in (note, f"p = {p_value:.3g}" if p_value is not None else "",
                                 str(found.get("method") or "")) if x)
    return IntervalRow(label, float(_number(found.get(key)) or 0.0), low, high, said, hollow)


def comparison_figures(evaluation: Document) -> list[str]:
    """Paired differences against the baseline (new minus baseline) with their intervals, against zero; alerts
    per day on their own axis, since their scale is not a rate's."""
    baseline = value_at(evaluation.spec, ("comparison", "baseline"))
    if baseline is None:
        return []
    rows = [r for _, path, label in _DIFFERENCES
            if (r := _interval_row(f"Δ {label}", value_at(evaluation.spec, path), "delta")) is not None]
    alerts = _interval_row("Δ alerts/day", value_at(evaluation.spec, ("comparison", "atOperatingThreshold",
                                                                      "alertsPerDay")), "delta")
    title = f"{value_at(evaluation.spec, ('model',))} minus {baseline}, same rows"
    charts = [interval_chart(title, rows, Axis("difference (new - baseline)"), (0.0, "no difference"))]
    if alerts is not None:
        charts.append(interval_chart(f"Alerts per day: {title}", [alerts], Axis("alerts per day"),
                                     (0.0, "no difference")))
    return [c for c in charts if c]


def subgroup_forest(evaluation: Document, metric: str = "auroc") -> str:
    """Each subgroup's metric with its interval (a ring where the subgroup is small), against the overall value."""
    groups = value_at(evaluation.spec, ("subgroups",))
    rows = []
    for group in groups if isinstance(groups, list) else []:
        if isinstance(group, dict):
            bounds = value_at(group, ("intervals", metric))
            found = {"value": value_at(group, ("metrics", metric)),
                     **({"ciLower": bounds.get("lower"), "ciUpper": bounds.get("upper")}
                        if isinstance(bounds, dict) else {})}
            row = _interval_row(str(group.get("name")), found, note=f"n = {group.get('n')}",
                                hollow=group.get("smallSample") is True)
            if row is not None:
                rows.append(row)
    overall = value_at(evaluation.spec, ("metrics", metric, "value"))
    reference = (float(overall), f"overall {metric}") if isinstance(overall, int | float) else None
    return interval_chart(f"{metric} by subgroup, with 95% intervals (rings: small subgroups)", rows,
                          Axis(metric, None, 1.0 if metric in BOUNDED else None), reference)


def production_against_expectation(expectations: Sequence[tuple[Document, Expectation]]) -> list[str]:
    """Per monitored figure, over time: what production showed (rings with their 95% intervals, a line per
    environment) against what the evaluation led to expect (dashed, flat over the period shown)."""
    by_figure: dict[str, dict[str, list[Point]]] = defaultdict(lambda: defaultdict(list))
    expected: dict[str, dict[str, float]] = defaultdict(dict)
    for record, held in expectations:
        at = value_at(record.spec, ("period", "end")) or value_at(record.spec, ("at",))
        environment = str(value_at(record.spec, ("environment",)))
        for c in held.comparisons:
            if c.subgroup is not None or not isinstance(at, str):
                continue
            note = f"{c.observed.numerator} of {format_value(c.observed.denominator)} {c.observed.of}" + \
                (", outside expectation" if c.outside else "")
            by_figure[c.figure][environment].append(Point(at, c.observed.value, c.observed.lower, c.observed.upper,
                                                          note, hollow=True))
            if c.evaluated is not None:
                expected[c.figure][f"{held.model}, evaluated ({held.evaluation})"] = c.evaluated.value
    charts = []
    for figure in sorted(by_figure):
        series = [Series(f"{env} (observed)", tuple(sorted(pts, key=lambda p: str(p.x))))
                  for env, pts in sorted(by_figure[figure].items())]
        dates = sorted(str(p.x) for s in series for p in s.points)
        series += [Series(name, (Point(dates[0], value), Point(dates[-1], value)), dashed=True)
                   for name, value in sorted(expected[figure].items())]
        charts.append(line_chart(f"{figure} in production against the evaluated expectation", series,
                                 Axis("date"), Axis(figure), x_kind="time"))
    return [c for c in charts if c]

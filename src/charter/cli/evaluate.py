"""`charter evaluate record` and `charter evaluate compare`: evaluation evidence in, comparisons out."""

from __future__ import annotations

from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.table import Table

from charter.cli.console import ReadFormat, escape, new_table, out, print_json

if TYPE_CHECKING:
    from charter.evaluation.compare import Comparison

app = typer.Typer(help="Record evaluation results as evidence, and compare two evaluations of one cohort.",
                  no_args_is_help=True)


class Method(StrEnum):
    retrospective = "retrospective"
    shadow = "shadow"
    canary = "canary"


class CompareFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command("record", epilog="Example: charter evaluate record model:sepsis-risk@1.2.0 "
             "--cohort cohort:sepsis-adult-inpatients-eval@1.0.0 --results results.json")
def record(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model version evaluated, model:NAME@VERSION.")],
    cohort: Annotated[str, typer.Option("--cohort", help="The cohort evaluated on, cohort:NAME@VERSION.")],
    results: Annotated[Path, typer.Option("--results", help="The evaluation's output: .json, .yaml or .csv "
                                                            "(format in docs/evaluate.md).")],
    event: Annotated[
        str | None, typer.Option("--event", help="Ground-truth event definition; default: the version's labelEvent.")
    ] = None,
    method: Annotated[Method, typer.Option("--method", help="How the evaluation ran.")] = Method.retrospective,
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="The version compared against (model:NAME@VERSION).")
    ] = None,
    days: Annotated[
        float | None, typer.Option("--days", help="Length of the scored period in days, for alerts per day; "
                                                  "default: from the results, else the cohort's period.")
    ] = None,
    operating_threshold: Annotated[
        float | None, typer.Option("--operating-threshold", help="Threshold proposed for use; default: from "
                                                                 "the results.")
    ] = None,
    evaluator: Annotated[
        str | None, typer.Option("--evaluator", help="Who ran it; default: your git user.email.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Evaluation name; default: MODEL-VERSION-METHOD.")
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Evaluation version; default: 1.0.0, or the next minor.")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", "-m", help="Findings and caveats, in free text.")] = None,
    commit: Annotated[bool, typer.Option("--commit/--no-commit", help="Commit the new entry to git.")] = True,
    output: Annotated[ReadFormat, typer.Option("--format", help="Output format.")] = ReadFormat.text,
) -> None:
    """Record an evaluation's results (JSON, YAML or CSV counts) as a validated, committed Evaluation entry.

    The threshold table (alerts per day, rates with Wilson intervals), subgroup table and rates at the operating
    threshold are computed from the counts; invariant ranges come from the contract. Paths are read from where
    the command runs; `-C` only says where the registry is.
    """
    from charter.api import Registry
    from charter.authoring.record_evaluation import EvaluationRequest, record_evaluation
    from charter.cli.render import print_findings, refuse_entry
    from charter.errors import InvalidEntry

    registry = Registry(ctx.obj)
    request = EvaluationRequest(model=model, cohort=cohort, results=Path.cwd() / results, event=event,
                                method=method.value, baseline=baseline, days=days,
                                operating_threshold=operating_threshold, evaluator=evaluator, name=name,
                                version=version, notes=notes, commit=commit)
    try:
        recorded = record_evaluation(registry.root, request)  # its warnings about the results file (CH819) too
    except InvalidEntry as error:
        raise refuse_entry(registry.root, error, output is ReadFormat.json, "recorded") from None
    ref = recorded.ref
    detail = registry.show(str(ref))
    # the warnings too: promote refuses on some of them (a missing invariant, CH803), so they are said now
    checked = registry.validate([registry.root / detail.summary.path]).findings
    warnings = [*recorded.warnings, *(f for f in checked if f.path == detail.summary.path)]
    if output is ReadFormat.json:
        print_json({**detail.to_dict(), "findings": [f.to_dict() for f in warnings]})
        return
    print_findings(registry.root, warnings)
    spec = detail.data["spec"]
    out.print(f"[green]✓[/] recorded {escape(str(ref))} ({escape(detail.summary.path)})"
              f"{'' if commit else ', not committed'}")
    rows = spec.get("thresholds") or []
    if rows:
        out.print(_threshold_table(rows, spec.get("operatingThreshold")))
    for item in spec.get("invariants") or []:
        mark = "[green]✓[/]" if item["passed"] else "[red]✗[/]"
        out.print(f"  {mark} invariant {escape(item['name'])}: {item['result']:g}")


def _rate(row: dict[str, object], key: str, with_ci: bool = False) -> str:
    value, intervals = row.get(key), row.get("intervals")
    text = f"{value:.3f}" if isinstance(value, float | int) else "-"
    bounds = intervals.get(key) if isinstance(intervals, dict) else None
    if with_ci and isinstance(bounds, dict):
        text += f" ({bounds['lower']:.3f}-{bounds['upper']:.3f})".replace("0.", ".")
    return text


def _threshold_table(rows: list[dict[str, object]], operating: object) -> Table:
    table = new_table(show_edge=False)
    for column in ("threshold", "alerts/day", "rate", "sensitivity, 95% CI", "PPV, 95% CI", "spec."):
        table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        rate = partial(_rate, row)
        mark = " ◀" if row.get("threshold") == operating else ""
        alerts = row.get("alertsPerDay")
        table.add_row(f"{row['threshold']:g}{mark}", f"{alerts:.1f}" if isinstance(alerts, float | int) else "-",
                      rate("alertRate"),
                      rate("sensitivity", True), rate("ppv", True), rate("specificity"))
    return table


@app.command("compare", epilog="Example: charter evaluate compare model:sepsis-risk@1.1.0 model:sepsis-risk@1.2.0")
def compare(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="Reference side: evaluation:NAME@VERSION or model:NAME@VERSION.")],
    b: Annotated[
        str | None, typer.Argument(help="Side under review; default: when A is a version, A against its parent.")
    ] = None,
    output: Annotated[CompareFormat, typer.Option("--format", help="Output format.")] = CompareFormat.table,
) -> None:
    """Compare two evaluations of one cohort (or two versions' evaluations); deltas are B - A.

    Shows metric deltas with whether the intervals overlap, alert volume at each shared threshold, and the
    subgroups that moved most.
    """
    from charter.api import Registry

    comparison = Registry(ctx.obj).compare_evaluations(a, b)
    if output is CompareFormat.json:
        print_json(comparison.to_dict())
    elif output is CompareFormat.markdown:
        print("\n".join(comparison.to_markdown("##")))
    else:
        _print_comparison(comparison)


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3g}" if signed else f"{value:.4g}"


def _print_comparison(c: Comparison) -> None:
    out.print(f"[bold]{escape(str(c.b.ref))}[/] ({escape(c.model('b'))}) against [bold]{escape(str(c.a.ref))}[/] "
              f"({escape(c.model('a'))}) on {escape(c.cohort)}; Δ = B - A")
    metrics = new_table(show_edge=False, title="metrics", title_justify="left")
    for column in ("metric", "A", "B", "Δ", "intervals"):
        metrics.add_column(column, justify="left" if column in {"metric", "intervals"} else "right")
    for m in c.shared_metrics:
        overlap = {None: "-", True: "overlap", False: "apart"}[m.intervals_overlap]
        metrics.add_row(m.name, _fmt(m.a), _fmt(m.b), _fmt(m.delta, True), overlap)
    out.print(metrics)
    if c.one_sided_metrics:
        out.print(f"reported by one evaluation only: {escape(', '.join(c.one_sided_metrics))}")
    if c.thresholds:
        table = new_table(show_edge=False, title="alert volume by threshold", title_justify="left")
        for column in ("threshold", "alerts/day A", "alerts/day B", "change", "Δ sensitivity", "Δ PPV"):
            table.add_column(column, justify="right")
        for t in c.thresholds:
            change = "-" if t.alert_change is None else f"{t.alert_change:+.1%}"
            table.add_row(f"{t.threshold:g}{' ◀' if t.operating else ''}", _fmt(t.a.get("alertsPerDay")),
                          _fmt(t.b.get("alertsPerDay")), change, _fmt(t.change("sensitivity"), True),
                          _fmt(t.change("ppv"), True))
        out.print(table)
    if c.only_a_thresholds or c.only_b_thresholds:
        out.print(f"thresholds in one evaluation only: A {', '.join(f'{t:g}' for t in c.only_a_thresholds) or '-'};"
                  f" B {', '.join(f'{t:g}' for t in c.only_b_thresholds) or '-'}")
    if c.subgroups:
        from charter.evaluation.compare import SHOWN_SUBGROUPS

        table = new_table(show_edge=False, title="subgroups that moved most", title_justify="left")
        for column in ("subgroup", "metric", "A", "B", "Δ"):
            table.add_column(column, justify="left" if column in {"subgroup", "metric"} else "right")
        for s in c.subgroups[:SHOWN_SUBGROUPS]:
            table.add_row(s.name, s.metric, _fmt(s.a), _fmt(s.b), _fmt(s.delta, True))
        out.print(table)

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
    from charter.evaluation.unpaired import RateDifference

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
    results: Annotated[Path | None, typer.Option("--results", help="Pre-aggregated counts: .json, .yaml or .csv "
                                                                   "(format in docs/evaluate.md).")] = None,
    predictions: Annotated[Path | None, typer.Option(
        "--predictions", help="One row per scored unit (CSV or Parquet): every figure is computed from it, and the "
                              "file is tracked by DVC (docs/predictions.md).")] = None,
    column: Annotated[list[str] | None, typer.Option(
        "--column", help="ROLE=NAME: the column holding score, label, time or id (repeatable).")] = None,
    subgroup: Annotated[list[str] | None, typer.Option(
        "--subgroup", help="A column whose values define subgroups (repeatable).")] = None,
    baseline_score: Annotated[str | None, typer.Option(
        "--baseline-score", help="The column holding the --baseline version's scores of the same rows: paired "
                                 "comparison.")] = None,
    threshold: Annotated[list[float] | None, typer.Option(
        "--threshold", help="A threshold for the table besides the contract's (repeatable).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Bootstrap seed; default: a random one, recorded.")
                    ] = None,
    data_snapshot: Annotated[str | None, typer.Option(
        "--data-snapshot", help="Identifier of the data snapshot scored (with --predictions).")] = None,
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
    from charter.authoring.evaluation_from_predictions import PredictionsRequest
    from charter.authoring.record_evaluation import EvaluationRequest, record_evaluation
    from charter.cli.render import print_findings, refuse_entry
    from charter.errors import InvalidEntry, ResultsOrPredictions

    registry = Registry(ctx.obj)
    if (results is None) == (predictions is None):
        raise ResultsOrPredictions()
    try:
        if predictions is not None:
            ref, given_warnings = registry.record_evaluation_from_predictions(PredictionsRequest(
                model=model, cohort=cohort, predictions=Path.cwd() / predictions, columns=column or [],
                subgroups=subgroup or [], baseline=baseline, baseline_score=baseline_score,
                thresholds=threshold or [], operating_threshold=operating_threshold, seed=seed, event=event,
                method=method.value, data_snapshot=data_snapshot, evaluator=evaluator, name=name, version=version,
                notes=notes, commit=commit)), []
        else:
            assert results is not None
            recorded = record_evaluation(registry.root, EvaluationRequest(  # its warnings (CH819) too
                model=model, cohort=cohort, results=Path.cwd() / results, event=event, method=method.value,
                baseline=baseline, days=days, operating_threshold=operating_threshold, evaluator=evaluator,
                name=name, version=version, notes=notes, commit=commit))
            ref, given_warnings = recorded.ref, recorded.warnings
    except InvalidEntry as error:
        raise refuse_entry(registry.root, error, output is ReadFormat.json, "recorded") from None
    detail = registry.show(str(ref))
    # the warnings too: promote refuses on some of them (a missing invariant, CH803), so they are said now
    checked = registry.validate([registry.root / detail.summary.path]).findings
    warnings = [*given_warnings, *(f for f in checked if f.path == detail.summary.path)]
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


@app.command("verify", epilog="Example: charter evaluate verify evaluation:sepsis-risk-1-1-0-retro@1.0.0")
def verify(
    ctx: typer.Context,
    evaluation: Annotated[str, typer.Argument(help="The evaluation, evaluation:NAME@VERSION.")],
    output: Annotated[ReadFormat, typer.Option("--format", help="Output format.")] = ReadFormat.text,
) -> None:
    """Fetch the predictions an evaluation pins and recompute every figure: exit 1 if any was edited by hand.

    The rows come from the work tree when they are there with the recorded md5, else through DVC (cache, then
    remote). Needs the `evidence` extra (pip install 'charter[evidence]').
    """
    from charter.api import Registry
    from charter.cli.render import print_findings
    from charter.registry.findings import has_errors

    registry = Registry(ctx.obj)
    findings = registry.verify_evaluation(evaluation)
    failed = has_errors(findings)
    if output is ReadFormat.json:
        print_json({"evaluation": evaluation, "verified": not failed, "findings": [f.to_dict() for f in findings]})
    else:
        print_findings(registry.root, findings)
        if not failed:
            out.print(f"[green]✓[/] {escape(evaluation)}: every figure is what its predictions give")
        else:
            out.print(f"[red]✗[/] {escape(evaluation)}: {sum(f.severity.value == 'error' for f in findings)} "
                      "figure(s) differ from their predictions")
    if failed:
        raise typer.Exit(1)


@app.command("compare", epilog="Example: charter evaluate compare model:sepsis-risk@1.1.0 model:sepsis-risk@1.2.0")
def compare(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="Reference side: evaluation:NAME@VERSION or model:NAME@VERSION.")],
    b: Annotated[
        str | None, typer.Argument(help="Side under review; default: when A is a version, A against its parent.")
    ] = None,
    output: Annotated[CompareFormat, typer.Option("--format", help="Output format.")] = CompareFormat.table,
) -> None:
    """Compare two comparable evaluations (or two versions' evaluations); deltas are B - A.

    Shows each metric's difference with its 95% interval, p-value and test, alert volume and rate differences at
    each shared threshold, and the subgroups whose change is furthest beyond its noise. Evaluations on another
    cohort version, data snapshot, event definition version, number of units or period are not compared: the
    command says what differs and exits 1.
    """
    from charter.api import Registry

    comparison = Registry(ctx.obj).compare_evaluations(a, b)
    if output is CompareFormat.json:
        print_json(comparison.to_dict())
    elif output is CompareFormat.markdown:
        print("\n".join(comparison.to_markdown("##")))
    elif comparison.comparable:
        _print_comparison(comparison)
    else:
        _print_refusal(comparison)
    if not comparison.comparable:
        raise typer.Exit(1)


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3g}" if signed else f"{value:.4g}"


def _print_refusal(c: Comparison) -> None:
    from charter.errors import EvaluationsNotComparable

    refusal = EvaluationsNotComparable(ref_a=c.a.ref, ref_b=c.b.ref)
    out.print(f"[red]✗[/] {escape(refusal.message)}")
    for difference in c.comparability.differences:
        out.print(f"  {escape(difference.what)}: A {escape(_shown(difference.a))}, B {escape(_shown(difference.b))}")
    out.print(f"  {escape(refusal.hint)}")


def _shown(value: object) -> str:
    return "(not recorded)" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _difference(d: RateDifference | None) -> tuple[str, str, str]:
    """A difference's interval, p-value and test as table cells."""
    from charter.evaluation.compare import SHORT_TESTS

    if d is None:
        return "-", "-", "-"
    p = "<0.001" if d.p_value < 0.001 else f"{d.p_value:.3f}"
    return f"{d.lower:+.3g} to {d.upper:+.3g}", p, SHORT_TESTS.get((d.method, d.test), d.test)


def _print_comparison(c: Comparison) -> None:
    from charter.evaluation.compare import METHODS_NOTE, SHOWN_SUBGROUPS, rate_cell

    out.print(f"[bold]{escape(str(c.b.ref))}[/] ({escape(c.model('b'))}) against [bold]{escape(str(c.a.ref))}[/] "
              f"({escape(c.model('a'))}); Δ = B - A")
    out.print(f"comparable: {escape(c.comparability.summary)}")
    metrics = new_table(show_edge=False, title="metrics", title_justify="left")
    for column in ("metric", "A", "B", "Δ", "95% CI of Δ", "p", "test"):
        metrics.add_column(column, justify="left" if column in {"metric", "test"} else "right")
    for m in c.shared_metrics:
        metrics.add_row(m.name, _fmt(m.a), _fmt(m.b), _fmt(m.delta, True), *_difference(m.difference))
    out.print(metrics)
    if c.one_sided_metrics:
        out.print(f"reported by one evaluation only: {escape(', '.join(c.one_sided_metrics))}")
    if c.thresholds:
        table = new_table(show_edge=False, title="alert volume and rates by threshold", title_justify="left")
        for column in ("threshold", "alerts/day A", "alerts/day B", "change", "Δ sensitivity (95% CI), p",
                       "Δ PPV (95% CI), p"):
            table.add_column(column, justify="right")
        for t in c.thresholds:
            change = "-" if t.alert_change is None else f"{t.alert_change:+.1%}"
            table.add_row(f"{t.threshold:g}{' ◀' if t.operating else ''}", _fmt(t.a_alerts_per_day),
                          _fmt(t.b_alerts_per_day), change, rate_cell(t, "sensitivity"), rate_cell(t, "ppv"))
        out.print(table)
    if c.only_a_thresholds or c.only_b_thresholds:
        out.print(f"thresholds in one evaluation only: A {', '.join(f'{t:g}' for t in c.only_a_thresholds) or '-'};"
                  f" B {', '.join(f'{t:g}' for t in c.only_b_thresholds) or '-'}")
    if c.subgroups:
        table = new_table(show_edge=False, title="subgroups, largest change for its uncertainty first",
                          title_justify="left")
        for column in ("subgroup", "n A", "n B", "metric", "A", "B", "Δ", "95% CI of Δ", "p"):
            table.add_column(column, justify="left" if column in {"subgroup", "metric"} else "right")
        for s in c.subgroups[:SHOWN_SUBGROUPS]:
            interval, p, _ = _difference(s.difference)
            table.add_row(s.name, "-" if s.n_a is None else str(s.n_a), "-" if s.n is None else str(s.n), s.metric,
                          _fmt(s.a), _fmt(s.b), _fmt(s.delta, True), interval, p)
        out.print(table)
    out.print(escape(METHODS_NOTE))

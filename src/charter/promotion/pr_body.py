"""The evidence of a promotion as Markdown: what a reviewer reads in the pull request, and `gate` prints in CI.

Every value from the registry or the command line goes through `markdown_text` or `markdown_code`: a reason or an
evaluator name is read, never rendered as a heading, an image, a hidden comment or a mention.
"""

from __future__ import annotations

from typing import Any

from charter.evaluation.confusion import canonical_threshold
from charter.promotion.policy import Verdict
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.untrusted import markdown_code, markdown_text

MARKER = "<!-- charter:promotion -->"


def _num(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-"
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _delta(new: Any, old: Any) -> str:
    if isinstance(new, int | float) and isinstance(old, int | float) and not isinstance(new, bool):
        change = new - old
        return f"{_num(new)} ({'+' if change >= 0 else '-'}{_num(abs(change))})"
    return _num(new)


def _metric_value(evaluation: Document | None, name: str) -> Any:
    value = value_at(evaluation.spec, ("metrics", name)) if evaluation is not None else None
    return value.get("value") if isinstance(value, dict) else value


def title(verdict: Verdict) -> str:
    p = verdict.promotion
    version = p.candidate.split("@", 1)[1]
    verb = "Roll back" if p.rollback else "Promote"
    rollout = f" (canary {p.percent:g}%)" if p.mode == "canary" and p.percent is not None else \
        f" ({p.mode})" if p.mode != "full" else ""
    return f"{verb} {p.model} {version} to {p.environment}{rollout}"


def verdict_table(verdict: Verdict) -> list[str]:
    lines = ["| | requirement | detail |", "|---|---|---|"]
    for check in verdict.checks:
        mark = "⏳" if check.pending else ("✅" if check.passed else "❌")
        lines.append(f"| {mark} | {markdown_text(check.name)} | {markdown_text(check.detail)} |")
    return lines


def render_body(verdict: Verdict, index: RegistryIndex, reason: str | None) -> str:
    """Pull-request body: summary, policy verdict, evaluation with alert volumes and subgroups, contract."""
    p = verdict.promotion
    candidate = index.get(p.candidate)
    current = index.get(p.current) if p.current else None
    lines = [MARKER, f"## {markdown_text(title(verdict))}", ""]
    rollout = f"{p.mode}{f' {p.percent:g}%' if p.percent is not None else ''}"
    lines += ["| | |", "|---|---|",
              f"| model | {markdown_code(p.model)} |",
              f"| from | {markdown_code(p.current) if p.current else 'nothing assigned yet'} |",
              f"| to | {markdown_code(p.candidate)} |",
              f"| environment | {markdown_text(p.environment)} ({markdown_text(rollout)}) |"]
    if reason:
        lines.append(f"| reason | {markdown_text(reason)} |")
    lines += ["", f"### Policy verdict: {'passed' if verdict.passed else 'FAILED'}", ""]
    lines += verdict_table(verdict)
    lines += _metrics_section(candidate, current)
    lines += _comparability_section(verdict)
    lines += _evaluation_section(verdict.evaluation, verdict.baseline_evaluation)
    lines += _comparison_section(index, verdict)
    lines += _contract_section(verdict, candidate, current)
    return "\n".join(lines) + "\n"


def _metrics_section(candidate: Document | None, current: Document | None) -> list[str]:
    new = value_at(candidate.spec, ("metrics",)) if candidate is not None else None
    if not isinstance(new, dict) or not new:
        return []
    old = value_at(current.spec, ("metrics",)) if current is not None else {}
    old = old if isinstance(old, dict) else {}
    lines = ["", "### Offline metrics (training run)", "", "| metric | now | candidate (Δ) |", "|---|---|---|"]
    lines += [f"| {markdown_text(str(name))} | {_num(old.get(name))} | {_delta(value, old.get(name))} |"
              for name, value in new.items()]
    return lines


def _comparability_section(verdict: Verdict) -> list[str]:
    """Which evaluations were compared, and whether they may be: the same cohort version, data snapshot, event
    definition version, units and period (`charter.evaluation.comparability`)."""
    evaluation, current, verdict_ = verdict.evaluation, verdict.promotion.current, verdict.comparability
    if evaluation is None or current is None:
        return []
    lines = ["", "### Comparability", ""]
    if verdict_ is None:
        return [*lines, f"{markdown_code(current)} has no evaluation: {markdown_code(str(evaluation.ref))} is "
                "compared with nothing."]
    pair = f"{markdown_code(str(evaluation.ref))} against {markdown_code(str(verdict_.a.ref))} " \
        f"(of {markdown_code(current)})"
    if verdict_.comparable:
        return [*lines, f"{pair}: **comparable**, {markdown_text(verdict_.summary)}."]
    return [*lines, f"{pair}: **not comparable**, nor is any other evaluation of {markdown_code(current)}; the "
            f"closest differs in {markdown_text(verdict_.summary)}. No difference is shown, and a policy check that "
            f"compares with {markdown_code(current)} fails."]


def _evaluation_section(evaluation: Document | None, baseline: Document | None) -> list[str]:
    if evaluation is None:
        return ["", "### Evaluation", "", "No evaluation of this version."]
    spec = evaluation.spec if isinstance(evaluation.spec, dict) else {}
    lines = ["", f"### Evaluation {markdown_code(str(evaluation.ref))}", "",
             f"{markdown_text(str(spec.get('method', '?')))} on {markdown_code(str(spec.get('cohort', '?')))}, "
             f"{markdown_text(str(spec.get('date', '?')))}, by {markdown_text(str(spec.get('evaluator', '?')))}"
             + (f"; compared with {markdown_code(str(baseline.ref))}" if baseline else "")]
    metrics = spec.get("metrics") if isinstance(spec.get("metrics"), dict) else {}
    if metrics:
        lines += ["", "| metric | value | 95% CI | baseline |", "|---|---|---|---|"]
        for name, value in metrics.items():
            low, high = (value.get("ciLower"), value.get("ciUpper")) if isinstance(value, dict) else (None, None)
            point = value.get("value") if isinstance(value, dict) else value
            interval = f"{_num(low)} to {_num(high)}" if low is not None else "-"
            lines.append(f"| {markdown_text(str(name))} | {_delta(point, _metric_value(baseline, name))} | "
                         f"{interval} | {_num(_metric_value(baseline, name))} |")
    lines += _evidence_lines(spec)
    lines += _threshold_table(spec, baseline)
    lines += _subgroup_table(spec, baseline)
    lines += _paired_table(spec)
    lines += _invariant_table(spec)
    return lines


def _evidence_lines(spec: dict[str, Any]) -> list[str]:
    """Where the figures come from: computed from pinned rows (and so verifiable), or counts a team supplied."""
    found = spec.get("evidence")
    evidence: dict[str, Any] = found if isinstance(found, dict) else {}
    pinned = evidence.get("predictions") if isinstance(evidence.get("predictions"), dict) else None
    if evidence.get("source") == "predictions" and pinned is not None:
        rows = pinned.get("rows")
        return ["", f"Computed by Charter {markdown_text(str(evidence.get('charterVersion', '?')))} from "
                    f"{rows:,} rows pinned by md5 {markdown_code(str(pinned.get('md5')))} "
                    f"({markdown_code(str(pinned.get('path')))}, bootstrap seed {evidence.get('seed')}): "
                    "`charter evaluate verify` recomputes every figure."] if isinstance(rows, int) else []
    if evidence.get("source") == "counts":
        return ["", "Recorded from pre-aggregated counts: rates recomputed from them; nothing else can be verified."]
    return []


def _difference_cell(found: Any) -> str:
    if not isinstance(found, dict) or not isinstance(found.get("delta"), int | float):
        return "-"
    cell = f"{found['delta']:+.3f}"
    if isinstance(found.get("ciLower"), int | float) and isinstance(found.get("ciUpper"), int | float):
        cell += f" ({found['ciLower']:+.3f} to {found['ciUpper']:+.3f})"
    if isinstance(found.get("pValue"), int | float):
        cell += f", p = {found['pValue']:.3g}"
    return cell


def _paired_table(spec: dict[str, Any]) -> list[str]:
    """The paired comparison with the baseline on the same rows: each difference, its interval, p-value and test."""
    comparison = spec.get("comparison")
    if not isinstance(comparison, dict):
        return []
    found = comparison.get("atOperatingThreshold")
    at: dict[str, Any] = found if isinstance(found, dict) else {}
    rows = [("AUROC", comparison.get("auroc"))] + [
        (f"{label} at {at.get('threshold')}", at.get(key)) for key, label in
        (("sensitivity", "sensitivity"), ("specificity", "specificity"), ("ppv", "PPV"),
         ("alertsPerDay", "alerts/day"))]
    lines = ["", f"#### Paired comparison with {markdown_code(str(comparison.get('baseline')))} on the same "
                 f"{comparison.get('rows'):,} rows (new - baseline, 95% CI)", "",
             "| figure | difference | method |", "|---|---|---|"]
    lines += [f"| {label} | {_difference_cell(shown)} | {markdown_text(str(shown.get('method')))} |"
              for label, shown in rows if isinstance(shown, dict)]
    groups = [g for g in comparison.get("subgroups") or [] if isinstance(g, dict)]
    if groups:
        lines += ["", "| subgroup | n | ΔAUROC | Δsensitivity |", "|---|---|---|---|"]
        lines += [f"| {markdown_text(str(g.get('name')))}{' (small)' if g.get('smallSample') else ''} | {g.get('n')} | "
                  f"{_difference_cell(g.get('auroc'))} | {_difference_cell(g.get('sensitivity'))} |" for g in groups]
    return lines


def _rows_by(spec: Any, key: str, field: str) -> dict[Any, dict[str, Any]]:
    rows = value_at(spec, (key,))
    return {r.get(field): r for r in rows if isinstance(r, dict)} if isinstance(rows, list) else {}


def _thresholds(spec: Any) -> dict[float, dict[str, Any]]:
    """Threshold rows by canonical threshold, so that 0.30000000000000004 finds 0.3."""
    rows = value_at(spec, ("thresholds",))
    found: dict[float, dict[str, Any]] = {}
    for row in rows if isinstance(rows, list) else []:
        value = row.get("threshold") if isinstance(row, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            found.setdefault(canonical_threshold(float(value)), row)
    return found


def _threshold_table(spec: dict[str, Any], baseline: Document | None) -> list[str]:
    rows = _thresholds(spec)
    if not rows:
        return []
    old = _thresholds(baseline.spec) if baseline is not None else {}
    operating = spec.get("operatingThreshold")
    operating = canonical_threshold(float(operating)) if isinstance(operating, int | float) else None
    lines = ["", "#### Thresholds and alert volume (Δ against the baseline)", "",
             "| threshold | alerts/day | alert rate | sensitivity | PPV | specificity |",
             "|---|---|---|---|---|---|"]
    for value, row in sorted(rows.items()):
        base = old.get(value, {})
        mark = " ◀ operating" if value == operating else ""
        cells = [_delta(row.get(k), base.get(k)) for k in ("alertsPerDay", "alertRate", "sensitivity", "ppv",
                                                            "specificity")]
        lines.append(f"| {markdown_text(f'{value:g}')}{mark} | " + " | ".join(cells) + " |")
    return lines


def _subgroup_table(spec: dict[str, Any], baseline: Document | None) -> list[str]:
    rows = _rows_by(spec, "subgroups", "name")
    if not rows:
        return []
    old = _rows_by(baseline.spec, "subgroups", "name") if baseline is not None else {}
    names = sorted({m for r in rows.values() for m in (r.get("metrics") or {})})[:4]
    lines = ["", "#### Subgroups (Δ against the baseline)", "",
             "| subgroup | n | prevalence | " + " | ".join(markdown_text(str(n)) for n in names) + " |",
             "|---|---|---|" + "---|" * len(names)]
    for name, row in rows.items():
        base = (old.get(name) or {}).get("metrics") or {}
        metrics = row.get("metrics") or {}
        lines.append(f"| {markdown_text(str(name))} | {_num(row.get('n'))} | {_num(row.get('prevalence'))} | "
                     + " | ".join(_delta(metrics.get(m), base.get(m)) for m in names) + " |")
    return lines


def _invariant_table(spec: dict[str, Any]) -> list[str]:
    rows = spec.get("invariants")
    if not isinstance(rows, list) or not rows:
        return []
    lines = ["", "#### Invariant checks", "", "| check | expected | result | |", "|---|---|---|---|"]
    for row in rows:
        if isinstance(row, dict):
            expected = row.get("expected") or {}
            lines.append(f"| {markdown_text(str(row.get('name')))} | {_num(expected.get('min'))} to "
                         f"{_num(expected.get('max'))} | "
                         f"{_num(row.get('result'))} | {'✅' if row.get('passed') else '❌'} |")
    return lines


def _comparison_section(index: RegistryIndex, verdict: Verdict) -> list[str]:
    """The candidate's evaluation against the assigned version's comparable one (`charter evaluate compare`); when
    there is none, the Comparability section says why and nothing is compared."""
    from charter.evaluation.compare import compare_documents

    evaluation, baseline = verdict.evaluation, verdict.baseline_evaluation
    if evaluation is None or baseline is None:
        return []
    return ["", *compare_documents(baseline, evaluation, index).to_markdown("###")]


def _contract_section(verdict: Verdict, candidate: Document | None, current: Document | None) -> list[str]:
    new = value_at(candidate.spec, ("contract",)) if candidate is not None else None
    old = value_at(current.spec, ("contract",)) if current is not None else None
    lines = ["", "### Serving contract", ""]
    if old is None:
        return [*lines, f"{markdown_code(str(new))} (nothing assigned before)."]
    if new == old:
        return [*lines, f"Unchanged: {markdown_code(str(new))}."]
    lines.append(f"{markdown_code(str(old))} → {markdown_code(str(new))}: {len(verdict.contract_changes)} "
                 "breaking change(s).")
    for change in verdict.contract_changes:
        lines.append(f"- {markdown_text(str(getattr(change, 'summary', change)))}")
    return lines

"""`charter gate` (the CI check on promotions) and `charter codeowners`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from charter.cli.console import escape, out, print_json


class GateFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    github = "github"


def gate_command(
    ctx: typer.Context,
    base: Annotated[str, typer.Option("--base", help="Compare with this revision (the PR's target).",
                                      metavar="REF")] = "origin/main",
    output: Annotated[GateFormat, typer.Option("--format", help="Output format.")] = GateFormat.text,
    allow_unknown_approvals: Annotated[bool, typer.Option(
        "--allow-unknown-approvals",
        help="When the configured forge's reviews cannot be read, accept CODEOWNERS coverage alone "
             "(without it, unknown approvals fail the gate).")] = False,
) -> None:
    """Re-check every assignment change since --base against the policy; exit 1 if one lacks its evidence."""
    from charter.api import Registry
    from charter.promotion.gate import base_forge, run_gate
    from charter.promotion.pr_body import render_body, title, verdict_table
    from charter.registry.kinds import KINDS
    from charter.registry.untrusted import markdown_code, workflow_data, workflow_property

    registry = Registry(ctx.obj)
    forge, unavailable = base_forge(registry.root, base)  # the base's forge, not HEAD's
    report = run_gate(registry.root, base, forge=forge, forge_unavailable=unavailable,
                      allow_unknown_approvals=allow_unknown_approvals)
    if output is GateFormat.json:
        print_json(report.to_dict())
    elif output is GateFormat.markdown:
        print(f"# charter gate: {'passed' if report.passed else 'FAILED'}\n")
        if not report.verdicts:
            print(f"No assignment changes since {markdown_code(base)}.")
        for verdict in report.verdicts:
            print(render_body(verdict, registry.index, None))
    elif output is GateFormat.github:
        for verdict in report.verdicts:
            path = KINDS["Environment"].relative_path(verdict.promotion.environment, None)
            for check in verdict.failures:
                message = f"{title(verdict)}: {check.name}: {check.detail}"
                print(f"::error file={workflow_property(path)},title=charter gate::{workflow_data(message)}")
        print(f"charter gate: {len(report.verdicts)} promotion(s), {'passed' if report.passed else 'failed'}")
    else:
        if not report.verdicts:
            out.print(f"[green]✓[/] no assignment changes since {escape(base)}")
        for verdict in report.verdicts:
            mark = "[green]✓[/]" if verdict.passed else "[red]✗[/]"
            out.print(f"{mark} {escape(title(verdict))}")
            out.print("\n".join(escape(line) for line in verdict_table(verdict)))
    raise typer.Exit(0 if report.passed else 1)


def codeowners_command(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Only say whether CODEOWNERS is up to date (exit 1 if not).")]
    = False,
) -> None:
    """Write CODEOWNERS from entry owners and per-environment approvers, so the forge enforces approvals."""
    from charter.api import Registry
    from charter.authoring.codeowners import codeowners, write_codeowners

    root = Registry(ctx.obj).root
    state = codeowners(root) if check else write_codeowners(root)
    path = escape(str(state.path))
    if check:
        if state.up_to_date:
            out.print(f"[green]✓[/] {path} is up to date")
            return
        out.print(f"[red]✗[/] {path} is {'missing' if state.current is None else 'out of date'}: "
                  "run `charter codeowners`")
        raise typer.Exit(1)
    if state.up_to_date:
        out.print(f"[green]✓[/] {path} is already up to date")
        return
    out.print(f"[green]✓[/] wrote {path}; commit it and require code-owner review on the default branch")

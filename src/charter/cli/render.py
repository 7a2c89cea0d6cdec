"""What more than one command shows or reads the same way: history cells, findings, refusals, kind arguments.

Commands import these from here, never from each other, so loading one command never loads another.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from charter.cli.console import display_path, escape, new_table, out, print_json, print_line
from charter.errors import UnknownKind
from charter.registry.findings import Finding, Severity
from charter.registry.kinds import KINDS, Kind, find_kind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.table import Table

    from charter.deployment.expectation import Comparison
    from charter.errors import FindingsError
    from charter.history.environment_items import Assignment
    from charter.promotion.promote import PullRequestDraft
    from charter.registry.summary import EntrySummary

NOTHING = "-"


def when(iso: str | None) -> str:
    """`2026-03-01 09:30` from an ISO timestamp: minutes are enough to tell changes apart when reading."""
    return iso[:16].replace("T", " ") if iso else NOTHING


def short(commit: str | None) -> str:
    return commit[:7] if commit else NOTHING


def pr_cell(number: int | None) -> str:
    return f"#{number}" if number is not None else NOTHING


def side(assignment: Assignment | None, *, version_only: bool = False) -> str:
    if assignment is None:
        return NOTHING
    return assignment.version if version_only else f"{assignment.version} {assignment.rollout()}"


def refuse_entry(root: Path, error: FindingsError, as_json: bool, done_key: str) -> typer.Exit:
    """Report an entry a command would not write (its findings, then why) and the exit to raise: 1."""
    if as_json:
        print_json({done_key: False, "message": error.message, "findings": [f.to_dict() for f in error.findings]})
    else:
        print_findings(root, error.findings)
        out.print(f"[red]✗[/] {escape(error.message)}")
    return typer.Exit(1)


def print_pull_request(result: PullRequestDraft) -> None:
    """A branch pushed for review: the pull request opened, or how to open it by hand with the body to paste."""
    out.print(f"[green]✓[/] {escape(result.title)}")
    out.print(f"  branch {escape(result.branch)} → {escape(result.base_branch)} (commit {result.commit[:10]})"
              + ("" if result.pushed else " [yellow]not pushed: no origin remote[/]"))
    if result.pull_request_url:
        out.print(f"  pull request #{result.pull_request_number}: {escape(result.pull_request_url)}")
        return
    if result.forge_note:
        out.print(f"  [dim]{escape(result.forge_note)}[/]")
    if result.compare_url:
        out.print(f"  open it at: {escape(result.compare_url)}")
    out.print()
    print(result.body)


def print_findings(root: Path, findings: list[Finding]) -> None:
    """Findings as `file:line:col: severity CODE message` with the hint below: the one text form everywhere."""
    for f in findings:
        colour = "red" if f.severity is Severity.ERROR else "yellow"
        print_line(f"{display_path(root, f.path)}:{f.line}:{f.column}: ", (f.severity.value, colour), " ",
                   (f.code, "bold"), f" {f.message}")
        if f.hint:
            print_line(("    hint: " + f.hint, "dim"))
    if findings:
        print_line()


def kind_named(kind_name: str | None) -> Kind | None:
    """The kind a `--kind`/KIND argument names (None when not given); an unknown one is a usage error."""
    if kind_name is None:
        return None
    kind = find_kind(kind_name)
    if kind is None:
        raise UnknownKind(kind=kind_name, known=", ".join(KINDS))
    return kind


#: How wide the owner column of an entry table may grow; a longer owner is cut with `…`.
OWNER_WIDTH = 20
#: How wide a description column may grow (search, on a wide terminal).
DESCRIPTION_WIDTH = 50
_STATUS_STYLES = {"retired": "dim", "deprecated": "yellow", "draft": "cyan"}


def entry_table(rows: Sequence[EntrySummary], *, kind: bool, extra: str) -> Table:
    """`list` and `search` rows as a table that stays readable in any terminal width, with the longest names the
    schemas allow: a row takes at most two lines (the reference may fold once), kind and status are never split,
    owner is cut with `…`, and the columns a row can do without (kind, which the reference's prefix tells, then
    `extra`: path or description) are left out when the terminal is too narrow for them."""
    width = out.width
    widths = {
        "reference": max((len(r.ref) for r in rows), default=9),
        "kind": max((len(r.kind) for r in rows), default=4),
        "status": max((len(r.status) for r in rows), default=6),
        "owner": min(max((len(r.owner) for r in rows), default=5), OWNER_WIDTH),
        "path": max((len(r.path) for r in rows), default=4),
        "description": min(max((len(r.description) for r in rows), default=11), DESCRIPTION_WIDTH),
    }
    folded = -(-widths["reference"] // 2)  # the reference on two lines

    def fits(columns: list[str], reference: int) -> bool:
        content = sum(reference if c == "reference" else max(widths[c], len(c)) for c in columns)
        return content + 3 * len(columns) - 1 <= width  # one space each side of a cell, a rule between cells

    columns = ["reference", "status", "owner"]
    if kind and fits([*columns, "kind"], folded):
        columns.insert(1, "kind")
    if extra and fits([*columns, extra], widths["reference"]):  # only beside a reference on one line
        columns.append(extra)
    table = new_table(show_edge=False)
    for column in columns:
        if column == "reference":
            table.add_column(column, overflow="fold", min_width=min(folded, max(width // 2, 1)))
        elif column in ("kind", "status"):
            table.add_column(column, no_wrap=True, min_width=max(widths[column], len(column)))
        else:
            table.add_column(column, no_wrap=True, overflow="ellipsis", max_width=max(widths[column], len(column)))
    for r in rows:
        style = _STATUS_STYLES.get(r.status, "")
        cells = {"reference": escape(r.ref), "kind": escape(r.kind), "owner": escape(r.owner),
                 "status": f"[{style}]{escape(r.status)}[/]" if style else escape(r.status),
                 "path": escape(r.path), "description": escape(r.description)}
        table.add_row(*(cells[c] for c in columns))
    return table


# --- monitored figures against expectation (status, monitor history) ---------------------------------------------

FIGURE_NAMES = {"alertsPerDay": "alerts/day", "alertRate": "alert rate", "ppv": "PPV", "sensitivity": "sensitivity"}
DENOMINATORS = {"unitsScored": "scored", "alertsLabelled": "labelled alerts", "events": "events"}


def number(value: float) -> str:
    """Three significant digits, whole numbers from 100 up: `5.43`, `0.544`, `1,262`."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def with_interval(value: float, lower: float | None, upper: float | None) -> str:
    return f"{number(value)} [{number(lower)}, {number(upper)}]" if lower is not None and upper is not None \
        else number(value)


def figure_name(figure: str, subgroup: str | None) -> str:
    name = FIGURE_NAMES.get(figure, figure)
    return f"{subgroup} {name}" if subgroup else name


def observed_counts(numerator: int, denominator: float, of: str, *, short: bool = False) -> str:
    """`38 alerts in 7 d` for alerts per day, `86/158 labelled alerts` for a proportion; `short`: `38 in 7 d`,
    `86/158`."""
    if of == "days":
        return f"{numerator:,}{'' if short else ' alerts'} in {denominator:.3g} d"
    return f"{numerator:,}/{denominator:,.0f}" + ("" if short else f" {DENOMINATORS.get(of, of)}")


def print_outside(environment: str, model: str, version: str, comparison: Comparison) -> None:
    """Which figure lies outside expectation, then the numbers on both sides, a line each."""
    o, e = comparison.observed, comparison.evaluated
    assert e is not None
    out.print(f"[red]✗[/] {escape(environment)}/{escape(model)} {escape(version)}: "
              f"{escape(figure_name(comparison.figure, comparison.subgroup))} outside expectation")
    out.print(f"    observed  {with_interval(o.value, o.lower, o.upper)} "
              f"({observed_counts(o.numerator, o.denominator, o.of)})")
    out.print(f"    evaluated {with_interval(e.value, e.lower, e.upper)}")

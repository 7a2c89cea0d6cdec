"""`charter diff A B`: the semantic diff of two entries or two revisions, as text, JSON or a PR comment."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from charter.cli.console import escape, out, print_json
from charter.errors import CharterError, DiffOfMixedArguments, DiffOfTwoKinds
from charter.registry.untrusted import markdown_code, markdown_text

if TYPE_CHECKING:
    from charter.history.diff import FieldChange
    from charter.history.revisions import AssignmentDiff, EntryDiff, RegistryDiff
    from charter.registry.references import Reference


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


_COLOURS = {"breaking": "bold red", "warning": "yellow", "info": "cyan"}
_BADGES = {"breaking": "🔴 breaking", "warning": "🟡 warning", "info": "🔵 info"}


def run(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="The older side: an entry (kind:name@version) or a git revision.")],
    b: Annotated[
        str | None,
        typer.Argument(help="The newer side: an entry of the same kind, or a git revision (default: the work "
                            "tree, for revisions).", show_default=False),
    ] = None,
    output: Annotated[
        DiffFormat, typer.Option("--format", help="Output format (markdown: for a pull-request comment).")
    ] = DiffFormat.text,
) -> None:
    """Show what changed, field by field, each change classed breaking, warning or info.

    Two references compare two entries (two versions of a contract, say); two revisions compare the whole
    registry: entries added, removed and changed, and promotions. Exit code 0: a diff is not a failure.
    """
    result = build_diff(ctx.obj, a, b)
    if output is DiffFormat.json:
        print_json(result.to_dict())
    elif output is DiffFormat.markdown:
        print(render_markdown(result))
    else:
        _print_text(result)


def _reference(text: str | None) -> Reference | None:
    from charter.registry.references import parse_reference

    if text is None:
        return None
    try:
        return parse_reference(text)
    except CharterError:
        return None


def build_diff(cwd: Path, old: str, new: str | None) -> RegistryDiff:
    """References when both sides parse as references, else revisions; a mix is a usage error."""
    from charter.history.revisions import RegistryDiff, diff_documents, diff_revisions
    from charter.registry.config import find_registry_root

    old_ref, new_ref = _reference(old), _reference(new)
    if old_ref is not None and new_ref is not None:
        from charter.api import Registry

        registry = Registry(cwd)
        before, after = registry.get(old_ref), registry.get(new_ref)
        if before.kind is not after.kind:
            kinds = [d.kind.name if d.kind else "?" for d in (before, after)]
            raise DiffOfTwoKinds(old=old, old_kind=kinds[0], new=new, new_kind=kinds[1])
        return RegistryDiff(old, new, "references", [diff_documents(before, after)])
    if old_ref is not None or new_ref is not None:
        raise DiffOfMixedArguments(old=old, new=new if new is not None else "the work tree")
    return diff_revisions(find_registry_root(cwd), old, new)


def _ordered(changes: tuple[FieldChange, ...]) -> list[FieldChange]:
    from charter.history.diff_rules import CLASSES

    return sorted(changes, key=lambda c: CLASSES.index(c.severity))


def _counts(result: RegistryDiff) -> str:
    s = result.summary()
    return f"{s['breaking']} breaking, {s['warning']} warning{'s' * (s['warning'] != 1)}, {s['info']} info"


def _entry_title(entry: EntryDiff) -> str:
    return entry.ref or entry.path


def _side(result: RegistryDiff) -> str:
    return result.new if result.new is not None else "the work tree"


def _print_text(result: RegistryDiff) -> None:
    from charter.history.diff import describe_values

    if result.compares == "references":
        out.print(f"[bold]{escape(result.old)} → {escape(_side(result))}[/]: {_counts(result)}")
    else:
        entries = result.summary()["entries"]
        moves = len(result.promotions)
        out.print(f"[bold]{escape(result.old)} → {escape(_side(result))}[/]: {entries['added']} added, "
                  f"{entries['removed']} removed, {entries['changed']} changed, {moves} promotion"
                  f"{'s' * (moves != 1)}; {_counts(result)}")
    if not result.entries and not result.promotions:
        out.print("[dim]no semantic changes[/]")
    for entry in result.entries:
        out.print()
        if result.compares == "revisions":
            compared = f", compared with {entry.previous}" if entry.status == "added" and entry.previous else ""
            out.print(f"[bold]{entry.status:<8}[/] {escape(_entry_title(entry))} "
                      f"[dim]({escape(entry.path)}{escape(compared)})[/]")
        if entry.note:
            out.print(f"  [dim]{escape(entry.note)}[/]")
        if entry.status == "changed" and not entry.changes and not entry.note:
            out.print("  [dim]no semantic changes[/]")
        for change in _ordered(entry.changes):
            colour = _COLOURS[change.severity]
            out.print(f"  {escape(change.field)}: {escape(describe_values(change))}  "
                      f"[{colour}]{change.severity.upper()}[/] ({escape(change.reason)})")
    if result.promotions:
        out.print()
        out.print("[bold]promotions[/]")
        for move in result.promotions:
            out.print(f"  {escape(move.environment)}: {escape(move.model)} {escape(_promotion(move))}")


def _mode(mode: str | None, percent: float | None) -> str:
    return f"{mode} {percent:g}%" if percent is not None else str(mode)


def _promotion(move: AssignmentDiff) -> str:
    if move.op == "added":
        return f"assigned ({_mode(move.new_mode, move.new_percent)})"
    if move.op == "removed":
        return f"unassigned (was {_mode(move.old_mode, move.old_percent)})"
    return f"{_mode(move.old_mode, move.old_percent)} → {_mode(move.new_mode, move.new_percent)}"


def _md_values(change: FieldChange) -> str:
    from charter.history.diff import describe_pair, describe_value

    old, new = change.old, change.new
    if change.op == "added":
        return "added" if isinstance(new, dict | list) else f"+ {markdown_code(describe_value(new))}"
    if change.op == "removed":
        return "removed" if isinstance(old, dict | list) else f"- {markdown_code(describe_value(old))}"
    delta = f" ({change.delta:+g})" if change.delta is not None else ""
    old_text, new_text = describe_pair(old, new)
    return f"{markdown_code(old_text)} → {markdown_code(new_text)}{delta}"


def render_markdown(result: RegistryDiff) -> str:
    """A heading, a summary line, and a table per entry: what a pull-request comment needs."""
    s = result.summary()
    new = markdown_code(result.new) if result.new is not None else "the work tree"
    lines = [f"## Charter diff: {markdown_code(result.old)} → {new}", ""]
    counts = [f"**{s['breaking']} breaking**" if s["breaking"] else "0 breaking",
              f"{s['warning']} warning{'s' * (s['warning'] != 1)}", f"{s['info']} info"]
    if result.compares == "revisions":
        e = s["entries"]
        counts.append(f"entries: {e['added']} added, {e['removed']} removed, {e['changed']} changed")
        counts.append(f"{s['promotions']} promotion{'s' * (s['promotions'] != 1)}")
    lines.append(" · ".join(counts))
    if not result.entries and not result.promotions:
        lines += ["", "No semantic changes."]
    for entry in result.entries:
        title = f"### {markdown_code(_entry_title(entry))}"
        if result.compares == "revisions":
            title += f" ({entry.status})"
        lines += ["", title, ""]
        where = [markdown_code(entry.path)]
        if entry.previous and result.compares == "revisions":
            where.append(f"compared with {markdown_code(entry.previous)}")
        elif entry.previous:
            where.append(f"against {markdown_code(entry.previous)}")
        if entry.note:
            where.append(markdown_text(entry.note))
        lines.append(" · ".join(where))
        if not entry.changes:
            if entry.status == "changed" and not entry.note:
                lines += ["", "No semantic changes."]
            continue
        lines += ["", "| class | field | old → new | reason |", "|---|---|---|---|"]
        for change in _ordered(entry.changes):
            lines.append(f"| {_BADGES[change.severity]} | {markdown_code(change.field)} | {_md_values(change)} | "
                         f"{markdown_text(change.reason)} |")
    if result.promotions:
        lines += ["", "### Promotions", "", "| environment | model | change |", "|---|---|---|"]
        for move in result.promotions:
            lines.append(f"| {markdown_text(move.environment)} | {markdown_code(move.model)} | "
                         f"{markdown_text(_promotion(move))} |")
    return "\n".join(lines)

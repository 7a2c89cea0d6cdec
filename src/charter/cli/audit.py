"""`charter audit`: every assignment change, with who committed, who merged, the pull request and the evidence."""

from __future__ import annotations

import csv
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from charter.cli.console import escape, out, print_json
from charter.cli.render import NOTHING, pr_cell, short, side, when
from charter.errors import UnknownEnvironment

if TYPE_CHECKING:
    from charter.history.assignments import AssignmentChange

CSV_COLUMNS = (
    "landed_at", "environment", "model", "action", "old_ref", "old_mode", "old_percent", "new_ref", "new_mode",
    "new_percent", "author", "author_email", "authored_at", "committer", "committer_email", "committed_at",
    "commit", "pull_request", "merged_by", "merge_commit", "merged_at", "reason", "evidence", "subject",
)


class AuditFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


def run(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", help="Only changes of this environment, e.g. production.")]
    = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only changes that reached the branch on or after this date (YYYY-MM-DD, UTC).",
                     metavar="DATE"),
    ] = None,
    output: Annotated[AuditFormat, typer.Option("--format", help="Output format.")] = AuditFormat.text,
) -> None:
    """List every assignment change of every model, oldest first (in the order they reached the branch): when it
    landed, what changed, who committed and who merged it, the pull request, the reason, and the evaluations of the
    new version present at its commit (the evidence the gate saw)."""
    from charter.history.audit import audit, parse_since
    from charter.registry.config import find_registry_root

    since_date = parse_since(since) if since is not None else None
    root = find_registry_root(ctx.obj)
    changes = audit(root, environment=env, since=since_date)
    if env is not None and not changes:
        _check_environment(root, env)
    if output is AuditFormat.json:
        print_json([c.to_dict() for c in changes])
    elif output is AuditFormat.csv:
        write_csv(changes)
    else:
        _print_text(changes)


def _check_environment(root: Path, env: str) -> None:
    """An environment nobody declared and no file names is a typo, not an empty audit."""
    from charter.registry.config import RegistryConfig
    from charter.registry.documents import read_document
    from charter.registry.kinds import REGISTRY_FILE

    config = RegistryConfig.from_document(read_document(root, REGISTRY_FILE)[0])
    if env in config.environments or any((root / "environments" / f"{env}{s}").is_file() for s in (".yaml", ".yml")):
        return
    raise UnknownEnvironment(environment=env, known=", ".join(config.environments) or "none")


def csv_row(c: AssignmentChange) -> list[str]:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    old, new = c.old, c.new
    return [
        c.landed_at, c.environment, c.model, c.action,
        text(old.ref if old else None), text(old.mode if old else None), text(old.percent if old else None),
        text(new.ref if new else None), text(new.mode if new else None), text(new.percent if new else None),
        c.author, c.author_email, c.date, c.committer, c.committer_email, c.committed_at, c.commit,
        text(c.pr), text(c.merged_by), text(c.merge_commit), text(c.merged_at), text(c.reason),
        "; ".join(e.describe() for e in c.evidence), c.subject,
    ]


def write_csv(changes: list[AssignmentChange]) -> None:
    """Every cell through `csv_cell`: an author, subject or trailer starting with `=` is not a formula."""
    from charter.registry.untrusted import csv_cell

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([csv_cell(cell) for cell in csv_row(c)] for c in changes)


def _print_text(changes: list[AssignmentChange]) -> None:
    if not changes:
        out.print("no assignment changes")
        return
    for c in changes:
        out.print(f"[bold]{when(c.landed_at)}[/]  {escape(c.environment)}  [bold]{escape(c.model)}[/]  "
                  f"{escape(side(c.old))} → {escape(side(c.new))}  [dim]({c.action})[/]")
        landed = f"merged by {escape(c.merged_by)}" if c.merged_by else "committed directly"
        if c.pr is not None:
            landed += f" in PR {pr_cell(c.pr)}"
        if c.merge_commit:
            landed += f" (merge {short(c.merge_commit)})"
        out.print(f"  commit    {short(c.commit)} by {escape(c.author)} <{escape(c.author_email)}>, "
                  f"committed by {escape(c.committer)}; {landed}")
        out.print(f"  reason    {escape(c.reason or NOTHING)}")
        if c.new is not None:
            evidence = [escape(e.describe()) for e in c.evidence] or ["[yellow]no evaluation of this version[/]"]
            out.print(f"  evidence  {evidence[0]}")
            for line in evidence[1:]:
                out.print(f"            {line}")
        out.print()
    out.print(f"[dim]{len(changes)} assignment change{'s' * (len(changes) != 1)}, oldest first[/]")

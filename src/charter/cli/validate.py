"""`charter validate`: findings as text, JSON or GitHub annotations; exit 1 when any is an error."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from charter.cli.console import display_path, print_json, print_line
from charter.cli.render import print_findings
from charter.registry.findings import Finding, Severity
from charter.registry.untrusted import workflow_data, workflow_property

if TYPE_CHECKING:
    from charter.validation.runner import ValidationReport


class ValidateFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


def run(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Entry files or folders to check (the pre-commit case); default: the whole registry.",
                       show_default=False),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option("--base", help="Check the change since this git revision: the changed files, the files that "
                                    "refer to them, and that entries released there are unchanged.",
                     metavar="REF"),
    ] = None,
    staged: Annotated[
        bool,
        typer.Option("--staged", help="Check the registry as the next commit would hold it (the index, deletions "
                                      "included): the staged changes and what refers to them; every registry below "
                                      "the current folder that has one when it is in none (the pre-commit hook)."),
    ] = False,
    all_files: Annotated[
        bool,
        typer.Option("--all-files", help="With --base or --staged: check every file of the registry, not only the "
                                         "change and what refers to it."),
    ] = False,
    output: Annotated[ValidateFormat, typer.Option("--format", help="Output format.")] = ValidateFormat.text,
    check_artifacts: Annotated[
        bool,
        typer.Option("--check-artifacts", help="Also check that every artifact is in the DVC cache or remote "
                                               "with its recorded hash (needs charter[dvc])."),
    ] = False,
    verify_evidence: Annotated[
        bool,
        typer.Option("--verify-evidence", help="Also recompute every evaluation computed from predictions (with "
                                               "--base: the changed ones) and report each figure that differs "
                                               "(needs charter[evidence] and charter[dvc])."),
    ] = False,
    trust_remote_config: Annotated[
        bool,
        typer.Option("--trust-remote-config", help="With --check-artifacts or --verify-evidence: use the DVC "
                                                   "remote configured in this checkout's .dvc/config even if it "
                                                   "changed since --base (only on a trusted checkout, never on a "
                                                   "pull request)."),
    ] = False,
) -> None:
    """Check the registry: YAML, schemas, paths, references, environments, and history with --base.

    Exit codes: 0 no errors, 1 errors found, 2 usage or environment error.
    """
    cwd: Path = ctx.obj
    if staged:
        from charter.errors import StagedWithOther
        from charter.validation.staged import validate_staged

        other = "PATHS" if paths else "--base" if base is not None else "--check-artifacts" if check_artifacts \
            else "--verify-evidence" if verify_evidence else None
        if other is not None:
            raise StagedWithOther(other=other)
        report = validate_staged(cwd, all_files=all_files)
    else:
        from charter.registry.config import find_registry_root
        from charter.validation.runner import validate_registry

        root = find_registry_root(paths[0] if paths and len(paths) == 1 and paths[0].is_dir() else cwd)
        report = validate_registry(root, paths or None, base, cwd=cwd, check_artifacts=check_artifacts,
                                   trust_remote_config=trust_remote_config, all_files=all_files,
                                   verify_evidence=verify_evidence)
    if output is ValidateFormat.json:
        print_json(report.to_dict())
    elif output is ValidateFormat.github:
        _print_github(report)
    else:
        _print_text(report)
    raise typer.Exit(0 if report.ok else 1)


def _print_text(report: ValidationReport) -> None:
    print_findings(report.root, report.findings)
    plural = "s" if report.files_checked != 1 else ""
    if report.ok:
        extra = f", {report.warnings} warning{'s' * (report.warnings != 1)}" if report.warnings else ""
        print_line(("✓", "green"), f" {report.files_checked} file{plural} valid{extra}")
    else:
        print_line(("✗", "red"), f" {report.errors} error{'s' * (report.errors != 1)}, "
                   f"{report.warnings} warning{'s' * (report.warnings != 1)} in {report.files_checked} file{plural}")


def github_annotation(root: Path, f: Finding) -> str:
    """One workflow command; GitHub shows it on the line of the pull request's diff."""
    level = "error" if f.severity is Severity.ERROR else "warning"
    message = f"{f.message}. {f.hint}" if f.hint else f.message
    return (f"::{level} file={workflow_property(display_path(root, f.path))},line={f.line},col={f.column},"
            f"title={workflow_property(f.code)}::{workflow_data(message)}")


def _print_github(report: ValidationReport) -> None:
    for f in report.findings:
        print(github_annotation(report.root, f))
    print(f"charter: {report.errors} error(s), {report.warnings} warning(s) in {report.files_checked} file(s)")

"""Docs cannot fall behind the code: every command, option and finding code is documented."""

from __future__ import annotations

import re

import typer

from charter.cli.app import COMMANDS, app
from charter.registry.findings import CODES
from tests.conftest import PROJECT


def test_every_finding_code_is_documented_and_every_documented_code_exists() -> None:
    text = (PROJECT / "docs" / "findings.md").read_text()
    documented = dict(re.findall(r"^\| (CH\d{3}) \| (error|warning) \|", text, flags=re.M))
    assert documented == {code: info.severity.value for code, info in CODES.items()}


def test_every_command_is_in_the_readme() -> None:
    readme = (PROJECT / "README.md").read_text()
    assert len(COMMANDS) >= 20
    for name in COMMANDS:
        assert f"charter {name}" in readme, name


def test_every_command_and_option_has_help() -> None:
    from typer.main import get_command

    group = get_command(app)
    assert group.help
    ctx = typer.Context(group)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help, f"{name} has no help"
        for param in command.get_params(ctx):
            if param.name == "help":
                continue
            assert getattr(param, "help", None), f"{name}: {param.name} has no help"

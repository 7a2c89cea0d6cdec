"""Docs cannot fall behind the code: every command, option and finding code is documented."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import typer

from charter.cli.app import COMMANDS, app
from charter.registry.findings import CODES
from tests.conftest import PROJECT, Charter


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


#: The documents whose query examples must find something on a fresh `charter init` registry.
QUERY_DOCS = ("README.md", "docs/query.md")


def _query_examples() -> list[tuple[str, list[str]]]:
    """Every `charter search` and `charter list --where` line, and every `registry.search(...)` and
    `registry.list(where=...)` call, in the documents' code blocks: (where it is, the command's arguments)."""
    examples = []
    for doc in QUERY_DOCS:
        text = (PROJECT / doc).read_text(encoding="utf-8")
        for block in re.findall(r"^```(?:sh|python)\n(.*?)^```", text, flags=re.M | re.S):
            for line in block.splitlines():
                args = shlex.split(line, comments=True) if line.startswith(("charter search", "charter list")) else []
                if args[1:2] == ["search"] or "--where" in args:
                    examples.append((f"{doc}: {shlex.join(args)}", args[1:]))
                for call in re.findall(r"\.search\((\"[^\"]*\")\)", line):
                    examples.append((f"{doc}: {line.strip()}", ["search", json.loads(call)]))
                for call in re.findall(r"\.list\((?:\"(\w+)\", )?where=(\"[^\"]*\")", line):
                    examples.append((f"{doc}: {line.strip()}", ["list", *call[:1], "--where", json.loads(call[1])]))
    return examples


def test_the_documents_have_query_examples() -> None:
    assert len(_query_examples()) >= 10


@pytest.mark.parametrize(("where", "args"), _query_examples(), ids=[w for w, _ in _query_examples()])
def test_every_query_example_of_the_documents_finds_something_on_a_fresh_registry(
        template_registry: Path, charter: Charter, where: str, args: list[str]) -> None:
    """The README's `spec.date > -90d` once found nothing on a fresh registry: the example's newest evaluation is
    94 days old whenever `init` runs. Each example is run as written, against the worked example."""
    if "--format" not in args:
        args = [*args, "--format", "json"]
    result = charter("-C", template_registry, *args)
    assert result.code == 0, result
    found = json.loads(result.stdout)
    rows = found["entries"] if isinstance(found, dict) else found
    assert rows, f"{where} finds nothing on a fresh registry"

"""What people and their tools get from the CLI: closed pipes, kind arguments, long values, readable tables, and
registry text that cannot drive a terminal, a Markdown page, a spreadsheet or a CI log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from charter.registry.kinds import KINDS, find_kind
from tests.helpers import Charter, git, no_traceback

# --- a closed pipe ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [("list",), ("search", ""), ("list", "--format", "json"),
                                  ("show", "model:sepsis-risk@1.1.0"), ("history", "model:sepsis-risk")])
def test_a_reader_that_went_away_is_not_a_failure(registry: Path, args: tuple[str, ...]) -> None:
    """`charter list | head -1`: the pipe is closed before Charter writes, every time (no race with the reader)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "charter", "-C", str(registry), *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120, env={**os.environ})
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


# --- kind arguments --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("words", "kind"), [
    (("model", "models", "Model", "MODELS", "Models"), "Model"),
    (("modelversion", "modelversions", "ModelVersion"), "ModelVersion"),
    (("event", "events", "EventDefinition", "eventdefinitions"), "EventDefinition"),
    (("cohort", "cohorts", "Cohorts"), "Cohort"),
    (("evaluation", "evaluations"), "Evaluation"),
    (("environment", "environments"), "Environment"),
    (("record", "records", "deploymentrecord", "DeploymentRecords"), "DeploymentRecord"),
    (("contract", "contracts"), "Contract"),
])
def test_a_kind_is_named_in_the_singular_or_plural_in_any_case(words: tuple[str, ...], kind: str) -> None:
    assert {getattr(find_kind(word), "name", None) for word in words} == {kind}


def test_list_and_search_read_plural_and_singular_kinds_alike(registry: Path, charter: Charter) -> None:
    for command in (("list",), ("search", "", "--kind")):
        shown = {word: charter("-C", registry, *command, word, "--format", "json").stdout
                 for word in ("model", "models", "Models")}
        assert len(set(shown.values())) == 1, shown
        assert '"kind": "Model"' in shown["model"] and "ModelVersion" not in shown["model"]
    assert find_kind("nonsense") is None and find_kind("s") is None and find_kind("") is None
    assert all(find_kind(k.lower()) is KINDS[k] for k in KINDS)


# --- diff: long values -----------------------------------------------------------------------------------------------


def test_two_long_values_are_cut_where_they_differ() -> None:
    from charter.history.diff import describe_pair

    old, new = "x" * 100 + "A" + "y" * 30, "x" * 100 + "B" + "y" * 30
    shown_old, shown_new = describe_pair(old, new)
    assert "A" in shown_old and "B" in shown_new and shown_old != shown_new
    assert shown_old.startswith("…") and len(shown_old) <= 60 and len(shown_new) <= 60
    assert describe_pair("short", "other") == ("short", "other")
    early = describe_pair("a" + "z" * 100, "b" + "z" * 100)
    assert early[0].startswith("a") and early[1].startswith("b") and early[0].endswith("…")


def test_diff_shows_the_change_in_a_long_description(registry: Path, charter: Charter) -> None:
    path = registry / "cohorts" / "sepsis-adult-inpatients-eval" / "1.0.0.yaml"
    text = path.read_text(encoding="utf-8")
    long = "Adult inpatients admitted through the emergency department between 2024 and 2025, with "
    path.write_text(_set_description(text, long + "first ending"), encoding="utf-8")
    git(registry, "commit", "-qam", "long description")
    path.write_text(_set_description(text, long + "second ending"), encoding="utf-8")
    for output in ("text", "markdown"):
        result = charter("-C", registry, "diff", "HEAD", "--format", output)
        no_traceback(result)
        assert "first" in result.stdout and "second" in result.stdout, result.stdout


def _set_description(text: str, description: str) -> str:
    lines = [f"  description: {description}" if line.startswith("  description:") else line
             for line in text.splitlines()]
    return "\n".join(lines) + "\n"

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


# --- registry text that must not act ---------------------------------------------------------------------------------

HOSTILE_MARKDOWN = "ok\n# Heading\n![x](http://e/x.png) @org/team <!-- hidden | `tick` [link](http://e)"
HYPERLINK = "\x1b]8;;http://evil\x07click\x1b]8;;\x07"
RLO = "\u202e"
COHORT = "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml"


def test_a_hostile_reason_is_inert_in_the_pull_request_body(registry: Path, origin: Path, charter: Charter) -> None:
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production",
                     "--reason", HOSTILE_MARKDOWN)
    assert result.code == 0, result
    body = result.stdout[result.stdout.index("<!-- charter:promotion -->"):]
    assert body.count("<!--") == 1  # Charter's own marker, nothing of the reason
    assert not [line for line in body.splitlines() if line.lstrip("| ").startswith("#") and "Heading" in line]
    reason = next(line for line in body.splitlines() if line.startswith("| reason |"))
    assert "![" not in reason and "](" not in reason.replace("\\](", "") and "@org" not in reason
    assert reason.count("|") - reason.count("\\|") == 3  # one row of two cells: the reason's `|` split nothing
    assert "Heading" in reason and "org/team" in reason  # still readable


def test_a_hostile_markdown_value_is_inert_in_diff_and_comparison_markdown() -> None:
    from charter.registry.untrusted import markdown_code, markdown_text

    for shown in (markdown_text(HOSTILE_MARKDOWN), markdown_code(HOSTILE_MARKDOWN)):
        assert "\n" not in shown and shown.count("`") - shown.count("\\`") in (0, 2)
    text = markdown_text(HOSTILE_MARKDOWN)
    assert "![" not in text and "<!--" not in text and "@org" not in text and "[link](" not in text
    assert markdown_text("model:x@1.0.0 by a@b.org") == "model:x@1.0.0 by a@b.org"  # not mentions: unchanged


def test_a_diff_in_markdown_keeps_hostile_text_in_its_cell(registry: Path, charter: Charter) -> None:
    path = registry / COHORT
    path.write_text(_set_description(path.read_text(encoding="utf-8"), '"x\\n# Heading <!-- @org/team |"'),
                    encoding="utf-8")
    result = charter("-C", registry, "diff", "HEAD", "--format", "markdown")
    assert result.code == 0, result
    assert not [line for line in result.stdout.splitlines() if line.startswith("# ")]
    assert "`x # Heading <!-- @org/team \\|`" in result.stdout  # one code span: nothing in it is read


def test_audit_csv_cells_are_never_formulas(registry: Path, charter: Charter) -> None:
    import csv
    import io

    staging = registry / "environments" / "staging.yaml"
    staging.write_text(staging.read_text(encoding="utf-8").replace("model:card-fraud@3.2.0", "model:card-fraud@3.3.0"),
                       encoding="utf-8")
    formula = '=HYPERLINK("http://evil","x")'
    subprocess.run(["git", "commit", "-qam", f"{formula}\n\nReason: {formula}"], cwd=registry, check=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": formula, "GIT_AUTHOR_EMAIL": "+1@evil.org"})
    result = charter("-C", registry, "audit", "--env", "staging", "--format", "csv")
    assert result.code == 0, result
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    row = next(r for r in rows if r["new_ref"] == "model:card-fraud@3.3.0")
    assert row["author"] == "'" + formula and row["subject"] == "'" + formula and row["reason"] == "'" + formula
    assert row["author_email"] == "'+1@evil.org"
    assert not [cell for r in rows for cell in r.values() if cell and cell[0] in "=+-@\t\r"]


def _hostile_description(registry: Path) -> None:
    path = registry / COHORT
    escaped = "evil \\u202e " + HYPERLINK.replace("\x1b", "\\e").replace("\x07", "\\a")  # all in a cut cell
    path.write_text(_set_description(path.read_text(encoding="utf-8"), f'"{escaped}"'), encoding="utf-8")


def _inert(output: str) -> None:
    assert "\x1b" not in output and "\x07" not in output and RLO not in output, output
    assert "\\x1b" in output and "\\u202e" in output, output  # shown, so a reader sees what is there


@pytest.mark.parametrize("args", [
    ("show", "cohort:sepsis-adult-inpatients-eval@1.0.0"),
    ("search", "evil"),
    ("diff", "HEAD"),
])
def test_terminal_escapes_and_bidi_controls_in_registry_text_are_shown_not_sent(
        registry: Path, charter: Charter, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> None:
    _hostile_description(registry)
    for forced in ("0", "1"):  # a pipe, and a terminal (rich's styled path)
        monkeypatch.setenv("TTY_COMPATIBLE", forced)
        result = charter("-C", registry, *args)
        assert result.code == 0, result
        assert "evil" in result.stdout
        _inert(result.stdout)


def test_a_file_name_with_a_newline_starts_no_line_in_validate_output(registry: Path, charter: Charter) -> None:
    name = "cohorts/x\n::error file=a.yaml::pwned\x1b[2J/1.0.0.yaml"
    (registry / name).parent.mkdir(parents=True)
    (registry / name).write_text("kind: [\n", encoding="utf-8")
    for output in ("text", "github"):
        result = charter("-C", registry, "validate", "--format", output)
        assert result.code == 1, result
        assert "x" in result.stdout and "\x1b" not in result.stdout
        assert not [line for line in result.stdout.splitlines() if line.startswith("::error file=a.yaml")], output
        assert not [line for line in result.stdout.splitlines() if line.startswith("::") and "pwned" in line
                    and "cohorts/x%0A%3A%3Aerror file=a.yaml%3A%3Apwned\\x1b[2J/1.0.0.yaml," not in line], output


# --- tables at 80 and 100 columns ------------------------------------------------------------------------------------

LONGEST_NAME = "a" * 30 + "-" + "b" * 31 + "z"  # 63 characters: the most NAME_PATTERN allows


def _longest_entries(registry: Path) -> None:
    """Entries with the longest names and owners the schemas allow, as `monitor record` and `new` write them."""
    from charter.registry.kinds import NAME_RE

    assert NAME_RE.match(LONGEST_NAME) and len(LONGEST_NAME) == 63
    sources = ["cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml", "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml",
               sorted(str(p.relative_to(registry)) for p in (registry / "records").glob("*.yaml"))[0]]
    for source in sources:
        folder, _, file = source.rpartition("/")
        target = f"{folder.rpartition('/')[0]}/{LONGEST_NAME}/{file}" if folder.count("/") else \
            f"{folder}/{LONGEST_NAME}.yaml"
        lines = [f"  name: {LONGEST_NAME}" if line.startswith("  name: ") else
                 f"  owner: team-{LONGEST_NAME}" if line.startswith("  owner: ") else line
                 for line in (registry / source).read_text(encoding="utf-8").splitlines()]
        (registry / target).parent.mkdir(parents=True, exist_ok=True)
        (registry / target).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _table_rows(output: str) -> tuple[list[str], list[list[list[str]]]]:
    """The header's columns and each row as its lines of cells (a row's next lines have an empty status)."""
    lines = output.splitlines()
    header = [cell.strip() for cell in lines[0].split("┃")]
    rows: list[list[list[str]]] = []
    for line in lines[2:]:
        if "│" not in line:
            break
        cells = [cell.strip() for cell in line.split("│")]
        if cells[header.index("status")]:
            rows.append([cells])
        else:
            rows[-1].append(cells)
    return header, rows


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("command", [("list",), ("search", "", "--limit", "0")])
def test_tables_stay_readable_with_the_longest_names(registry: Path, columns: int, command: tuple[str, ...]) -> None:
    _longest_entries(registry)
    done = subprocess.run([sys.executable, "-m", "charter", "-C", str(registry), *command], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": str(columns)})
    assert done.returncode == 0, done.stderr
    header, rows = _table_rows(done.stdout)
    assert {"reference", "status", "owner"} <= set(header)
    assert len(rows) >= 26 and all(len(row) <= 2 for row in rows), done.stdout
    assert max(len(line) for line in done.stdout.splitlines() if "│" in line or "┃" in line) <= columns
    for row in rows:
        first = row[0]
        assert first[header.index("status")] in ("draft", "active", "deprecated", "retired")
        if "kind" in header:
            assert first[header.index("kind")] in KINDS
            assert all(not line[header.index("kind")] for line in row[1:])
    refs = ["".join(line[header.index("reference")] for line in row) for row in rows]
    assert f"cohort:{LONGEST_NAME}@1.0.0" in refs and f"record:{LONGEST_NAME}" in refs  # whole, never cut

"""`charter new`: draft entries from the schema's example or copied from an entry, refusals, and the editor loop."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from charter.authoring.new_entry import placeholder_description
from charter.cli.app import app
from charter.registry.kinds import KINDS, find_kind
from charter.registry.schemas import schema_comment
from charter.registry.versions import bump_version
from charter.registry.yamlio import parse_yaml
from tests.conftest import Charter

SOURCE = "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml"
SOURCE_REF = "cohort:sepsis-adult-inpatients-eval@1.0.0"
# The Evaluation example refers to a cohort the example registry does not have: one CH401 to fix.
MISSING_COHORT = "cohort:sepsis-adult-inpatients-holdout@1.0.0"
PRESENT_COHORT = "cohort:sepsis-adult-inpatients-eval@1.0.0"
EVALUATION = "evaluations/icu-adults-retro/0.1.0.yaml"


def entry_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.yaml") if ".git" not in p.parts}


def validate_json(charter: Charter, root: Path, relpath: str) -> list[dict[str, object]]:
    result = charter("-C", root, "validate", "--format", "json", relpath)
    assert result.code in (0, 1), result
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def load(path: Path) -> dict[str, object]:
    parsed = parse_yaml(path.read_text(encoding="utf-8"), path.name)
    assert parsed.findings == [] and isinstance(parsed.data, dict)
    return parsed.data


def metadata(path: Path) -> dict[str, object]:
    value = load(path)["metadata"]
    assert isinstance(value, dict)
    return value


# Names that follow the example registry's naming rules (evaluations must end in -retro, -shadow or -canary).
@pytest.mark.parametrize(("kind_text", "name"), [
    ("model", "icu-deterioration"),
    ("event", "icu-transfer"),
    ("cohort", "icu-adults"),
    ("contract", "icu-serving"),
    ("evaluation", "icu-adults-retro"),
])
def test_scaffold_from_the_schema_example(registry: Path, charter: Charter, kind_text: str, name: str) -> None:
    kind = find_kind(kind_text)
    assert kind is not None and kind.name != "ModelVersion"
    version = "0.1.0" if kind.versioned else None
    relpath = kind.relative_path(name, version)
    result = charter("-C", registry, "new", kind_text, name)
    assert result.code in (0, 1), result
    assert "Traceback" not in result.stdout + result.stderr
    path = registry / relpath
    assert path.is_file()
    assert "wrote" in result.stdout and f"{relpath}: " in result.stdout
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == schema_comment(kind, relpath)
    data = load(path)
    meta = metadata(path)
    assert data["kind"] == kind.name
    assert meta["name"] == name and meta["status"] == "draft"
    assert meta.get("version") == version
    assert meta["description"] == placeholder_description(kind)
    found = validate_json(charter, registry, relpath)
    assert not [f for f in found if str(f["code"]).startswith("CH2")], found
    # The exit code says whether the new file has errors (references of the example that do not resolve here).
    errors = [f for f in found if f["severity"] == "error"]
    assert result.code == (1 if errors else 0)
    for f in errors:
        assert f"{f['code']}" in result.stdout


def test_evaluation_scaffold_shows_its_unresolved_reference(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "new", "evaluation", "icu-adults-retro")
    assert result.code == 1
    assert "CH401" in result.stdout and MISSING_COHORT in result.stdout
    assert f"charter validate registry/{EVALUATION}" in result.stdout  # shown relative to the cwd
    assert (registry / EVALUATION).is_file()  # a draft with errors is kept, not hidden


def test_owner_and_version_options(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "new", "Cohort", "icu-adults", "--owner", "@acme/icu-ml", "--version", "1.0.0")
    assert result.code == 0, result
    meta = metadata(registry / "cohorts/icu-adults/1.0.0.yaml")
    assert meta["owner"] == "@acme/icu-ml" and meta["version"] == "1.0.0" and meta["status"] == "draft"


@pytest.mark.parametrize(("bump", "version"), [("major", "2.0.0"), ("minor", "1.1.0"), ("patch", "1.0.1"),
                                                (None, "1.1.0")])
def test_from_makes_the_next_version(registry: Path, charter: Charter, bump: str | None, version: str) -> None:
    args = ["--bump", bump] if bump else []
    result = charter("-C", registry, "new", "cohort", "sepsis-adult-inpatients-eval", "--from", SOURCE_REF, *args)
    assert result.code == 0, result
    relpath = f"cohorts/sepsis-adult-inpatients-eval/{version}.yaml"
    assert "wrote" in result.stdout and f"{relpath}: " in result.stdout
    old_text = (registry / SOURCE).read_text(encoding="utf-8")
    new_text = (registry / relpath).read_text(encoding="utf-8")
    # Only the version and status lines differ: comments, order, flow lists and quoting survive.
    changed = [(a, b) for a, b in zip(old_text.splitlines(), new_text.splitlines(), strict=True) if a != b]
    assert changed == [("  version: 1.0.0", f"  version: {version}"), ("  status: active", "  status: draft")]
    assert "# a month after the period ends" in new_text
    old, new = load(registry / SOURCE), load(registry / relpath)
    assert new["spec"] == old["spec"]
    assert validate_json(charter, registry, relpath) == []


def test_from_with_an_explicit_version(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "new", "cohort", "sepsis-adult-inpatients-eval", "--from", SOURCE_REF,
                     "--version", "1.0.1-rc.1")
    assert result.code == 0, result
    assert metadata(registry / "cohorts/sepsis-adult-inpatients-eval/1.0.1-rc.1.yaml")["version"] == "1.0.1-rc.1"


def test_from_with_a_new_name_makes_a_new_entry(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "new", "cohort", "icu-adults", "--from", SOURCE_REF, "--owner", "team-icu")
    assert result.code == 0, result
    relpath = "cohorts/icu-adults/0.1.0.yaml"
    text = (registry / relpath).read_text(encoding="utf-8")
    assert text.splitlines()[0] == schema_comment(KINDS["Cohort"], relpath)
    assert "# A temporal hold-out" in text
    meta = metadata(registry / relpath)
    assert (meta["name"], meta["version"], meta["status"], meta["owner"]) == ("icu-adults", "0.1.0", "draft",
                                                                              "team-icu")
    assert load(registry / relpath)["spec"] == load(registry / SOURCE)["spec"]
    assert validate_json(charter, registry, relpath) == []


def test_from_copies_a_model_family_under_a_new_name(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "new", "model", "sepsis-risk-peds", "--from", "model:sepsis-risk")
    assert result.code == 0, result
    text = (registry / "models/sepsis-risk-peds/model.yaml").read_text(encoding="utf-8")
    assert "# A model family." in text and "  name: sepsis-risk-peds" in text and "  status: draft" in text


def test_source_without_schema_comment_gets_one(registry: Path, charter: Charter) -> None:
    source = registry / SOURCE
    source.write_text(source.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    result = charter("-C", registry, "new", "cohort", "icu-adults", "--from", SOURCE_REF)
    assert result.code == 0, result
    lines = (registry / "cohorts/icu-adults/0.1.0.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[0] == schema_comment(KINDS["Cohort"], "cohorts/icu-adults/0.1.0.yaml")
    assert lines[1].startswith("# A temporal hold-out")


def test_a_missing_status_line_is_added_below_the_name(registry: Path, charter: Charter) -> None:
    source = registry / SOURCE
    source.write_text(source.read_text(encoding="utf-8").replace("  status: active\n", ""), encoding="utf-8")
    result = charter("-C", registry, "new", "cohort", "sepsis-adult-inpatients-eval", "--from", SOURCE_REF)
    assert result.code == 0, result
    lines = (registry / "cohorts/sepsis-adult-inpatients-eval/1.1.0.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[lines.index("  name: sepsis-adult-inpatients-eval") + 1] == "  status: draft"


def test_flow_style_metadata_and_crlf_line_ends_survive(registry: Path, charter: Charter) -> None:
    source = registry / "cohorts/flowy/1.0.0.yaml"
    source.parent.mkdir()
    source.write_bytes(b"apiVersion: charter/v1\r\nkind: Cohort\r\n"
                       b"metadata: {name: flowy, version: 1.0.0, owner: a, description: b, status: active}\r\n"
                       b"spec: {}\r\n")
    result = charter("-C", registry, "new", "cohort", "flowy", "--from", "cohort:flowy@1.0.0", "--bump", "patch")
    assert result.code == 1, result  # written; `spec: {}` is the source's own problem
    assert (registry / "cohorts/flowy/1.0.1.yaml").read_bytes().split(b"\r\n")[1:4] == [
        b"apiVersion: charter/v1", b"kind: Cohort",
        b"metadata: {name: flowy, version: 1.0.1, owner: a, description: b, status: draft}"]
    source.write_bytes(source.read_bytes().replace(b", status: active", b""))
    result = charter("-C", registry, "new", "cohort", "flowy", "--from", "cohort:flowy@1.0.0", "--bump", "minor")
    assert result.code == 2 and "block style" in result.stderr
    assert not (registry / "cohorts/flowy/1.1.0.yaml").exists()


def test_an_existing_version_is_never_overwritten(registry: Path, charter: Charter) -> None:
    first = charter("-C", registry, "new", "cohort", "sepsis-adult-inpatients-eval", "--from", SOURCE_REF)
    assert first.code == 0, first
    target = registry / "cohorts/sepsis-adult-inpatients-eval/1.1.0.yaml"
    target.write_text(target.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    before = {p: (registry / p).read_bytes() for p in entry_files(registry)}
    again = charter("-C", registry, "new", "cohort", "sepsis-adult-inpatients-eval", "--from", SOURCE_REF)
    assert again.code == 2
    assert "already exists" in again.stderr and "--version 1.2.0" in again.stderr
    assert {p: (registry / p).read_bytes() for p in entry_files(registry)} == before


@pytest.mark.parametrize("args", [
    ("model", "sepsis-risk"),  # the family exists
    ("cohort", "sepsis-adult-inpatients-eval"),  # the name exists: its next version comes from --from
    ("cohort", "sepsis-adult-inpatients-eval", "--version", "1.0.0"),
])
def test_existing_entries_are_refused(registry: Path, charter: Charter, args: tuple[str, ...]) -> None:
    before = entry_files(registry)
    result = charter("-C", registry, "new", *args)
    assert result.code == 2, result
    assert "already exists" in result.stderr
    assert entry_files(registry) == before


@pytest.mark.parametrize("name", ["../x", "-rf", "Bad Name", "x" * 64, "trailing-"])
def test_bad_names_are_refused(registry: Path, charter: Charter, name: str) -> None:
    before = entry_files(registry)
    result = charter("-C", registry, "new", "cohort", "--", name)
    assert result.code == 2, result
    assert "not a valid entry name" in result.stderr and "lower-case letters, digits and '-'" in result.stderr
    assert entry_files(registry) == before


@pytest.mark.parametrize(("kind", "hint"), [
    ("modelversion", "charter register"),
    ("ModelVersion", "charter register"),
    ("environment", "promotion"),
    ("record", "deploy"),
    ("DeploymentRecord", "monitoring"),
    ("widget", "model, event, cohort, contract, evaluation"),
])
def test_kinds_that_are_not_scaffolded(registry: Path, charter: Charter, kind: str, hint: str) -> None:
    before = entry_files(registry)
    result = charter("-C", registry, "new", kind, "anything")
    assert result.code == 2, result
    assert hint in result.stderr
    assert entry_files(registry) == before


@pytest.mark.parametrize(("args", "message"), [
    (("cohort", "icu-adults", "--bump", "patch"), "--bump needs --from"),
    (("cohort", "sepsis-adult-inpatients-eval", "--from", SOURCE_REF, "--bump", "major", "--version", "3.0.0"),
     "not both"),
    (("cohort", "icu-adults", "--from", SOURCE_REF, "--bump", "major"), "--bump makes a new version"),
    (("model", "sepsis-risk", "--from", "model:sepsis-risk", "--bump", "major"), "a Model has no version"),
    (("model", "icu", "--version", "1.0.0"), "has no version"),
    (("cohort", "icu-adults", "--version", "1.0"), "not a semantic version"),
    (("cohort", "icu-adults", "--from", "event:sepsis-onset@2.0.0"), "is of kind EventDefinition"),
    (("model", "icu", "--from", "model:sepsis-risk@1.0.0"), "is of kind ModelVersion"),
    (("cohort", "icu-adults", "--from", "cohort:nowhere@1.0.0"), "does not exist"),
    (("cohort", "icu-adults", "--from", "not a reference"), "not a reference"),
])
def test_usage_errors_write_nothing(registry: Path, charter: Charter, args: tuple[str, ...], message: str) -> None:
    before = entry_files(registry)
    result = charter("-C", registry, "new", *args)
    assert result.code == 2, result
    assert message in result.stderr
    assert entry_files(registry) == before


def test_json_output(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "new", "evaluation", "icu-adults-retro", "--format", "json")
    assert result.code == 1
    data = json.loads(result.stdout)
    assert (data["path"], data["ref"], data["kind"], data["from"]) == (
        EVALUATION, "evaluation:icu-adults-retro@0.1.0", "Evaluation", None)
    assert [f["code"] for f in data["validation"]["findings"]] == ["CH401"]


def test_bump_version() -> None:
    assert bump_version("1.2.3", "major") == "2.0.0"
    assert bump_version("1.2.3", "minor") == "1.3.0"
    assert bump_version("1.2.3", "patch") == "1.2.4"


# The editor loop: an "editor" is a small Python script run as $EDITOR; the TTY check is replaced.

EDITOR_SCRIPT = """
import pathlib, sys
path = pathlib.Path(sys.argv[1])
calls = pathlib.Path(sys.argv[0]).with_suffix(".calls")
count = int(calls.read_text()) + 1 if calls.exists() else 1
calls.write_text(str(count))
if count >= FIX_ON_CALL:
    path.write_text(path.read_text().replace("MISSING", "PRESENT"))
sys.exit(EXIT_CODE)
"""


def make_editor(tmp_path: Path, *, fix_on_call: int, exit_code: int = 0) -> tuple[str, Path]:
    """An editor command that fixes the unresolved cohort on its Nth call; and the file counting its calls."""
    script = tmp_path / "editor.py"
    script.write_text(EDITOR_SCRIPT.replace("FIX_ON_CALL", str(fix_on_call)).replace("EXIT_CODE", str(exit_code))
                      .replace("MISSING", MISSING_COHORT).replace("PRESENT", PRESENT_COHORT))
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}", script.with_suffix(".calls")


def calls(counter: Path) -> int:
    return int(counter.read_text()) if counter.exists() else 0


@pytest.fixture
def at_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("charter.cli.new.is_interactive", lambda: True)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)


def new_interactively(registry: Path, *args: str, answers: str = "") -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["-C", str(registry), "new", "evaluation", "icu-adults-retro", *args],
                                input=answers, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("at_terminal")
def test_editor_fixes_the_file_and_it_validates(registry: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    editor, counter = make_editor(tmp_path, fix_on_call=1)
    monkeypatch.setenv("EDITOR", editor)
    code, stdout, _ = new_interactively(registry)
    assert code == 0, stdout
    assert calls(counter) == 1
    assert "Edit again?" not in stdout and "is valid" in stdout
    assert PRESENT_COHORT in (registry / EVALUATION).read_text(encoding="utf-8")


@pytest.mark.usefixtures("at_terminal")
def test_invalid_after_editing_asks_and_declining_keeps_the_draft(registry: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    editor, counter = make_editor(tmp_path, fix_on_call=99)
    monkeypatch.setenv("VISUAL", editor)  # VISUAL wins over EDITOR
    monkeypatch.setenv("EDITOR", "false")
    code, stdout, _ = new_interactively(registry, answers="n\n")
    assert code == 1
    assert calls(counter) == 1
    assert stdout.count("Edit again?") == 1
    assert stdout.count("CH401") == 1 and MISSING_COHORT in stdout
    assert (registry / EVALUATION).is_file()
    assert "was written with 1 error to fix" in stdout


@pytest.mark.usefixtures("at_terminal")
def test_editing_again_until_valid(registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    editor, counter = make_editor(tmp_path, fix_on_call=3)
    monkeypatch.setenv("EDITOR", editor)
    code, stdout, _ = new_interactively(registry, answers="y\ny\n")
    assert code == 0, stdout
    assert calls(counter) == 3
    assert stdout.count("Edit again?") == 2 and "is valid" in stdout


@pytest.mark.usefixtures("at_terminal")
def test_no_edit_and_no_editor_skip_the_editor(registry: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    editor, counter = make_editor(tmp_path, fix_on_call=1)
    monkeypatch.setenv("EDITOR", editor)
    code, stdout, _ = new_interactively(registry, "--no-edit")
    assert (code, calls(counter)) == (1, 0)
    assert "CH401" in stdout and "Edit again?" not in stdout
    (registry / EVALUATION).unlink()
    monkeypatch.delenv("EDITOR")
    code, stdout, _ = new_interactively(registry)
    assert code == 1 and "Edit again?" not in stdout


def test_not_at_a_terminal_the_editor_is_not_opened(registry: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    editor, counter = make_editor(tmp_path, fix_on_call=1)
    monkeypatch.setenv("EDITOR", editor)
    monkeypatch.delenv("VISUAL", raising=False)
    code, _, _ = new_interactively(registry)
    assert (code, calls(counter)) == (1, 0)


@pytest.mark.usefixtures("at_terminal")
def test_a_failing_editor_keeps_the_draft(registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    editor, _ = make_editor(tmp_path, fix_on_call=99, exit_code=3)
    monkeypatch.setenv("EDITOR", editor)
    code, _, stderr = new_interactively(registry)
    assert code == 2
    assert "exited with code 3" in stderr and "kept" in stderr
    assert (registry / EVALUATION).is_file()
    (registry / EVALUATION).unlink()
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    code, _, stderr = new_interactively(registry)
    assert code == 2 and "cannot start the editor" in stderr

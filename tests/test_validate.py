"""`charter validate` on hostile edits: each is a clear finding at the right file, line and column."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import Charter, git

VERSION = "models/sepsis-risk/versions/1.1.0.yaml"
CONTRACT = "contracts/sepsis-risk-serving/1.0.0.yaml"
PRODUCTION = "environments/production.yaml"


def line_of(text: str, pattern: str) -> int:
    """1-based number of the first line matching `pattern` (a regex anchored at the line start)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(pattern, line):
            return number
    raise AssertionError(f"no line matches {pattern!r}")


def edit(root: Path, relpath: str, pattern: str, replacement: str) -> str:
    path = root / relpath
    text = path.read_text()
    new, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
    assert count == 1, f"{pattern!r} not found in {relpath}"
    path.write_text(new)
    return new


def findings(charter: Charter, root: Path, *args: str) -> tuple[int, list[dict[str, object]]]:
    result = charter("-C", root, "validate", "--format", "json", *args)
    assert "Traceback" not in result.stdout + result.stderr
    if result.code == 2:
        return 2, []
    return result.code, json.loads(result.stdout)["findings"]


def codes(found: list[dict[str, object]]) -> list[object]:
    return [f["code"] for f in found]


def test_the_example_registry_is_valid(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "validate")
    assert result.code == 0, result.stdout
    assert re.search(r"✓ \d+ files valid", result.stdout)


def test_unknown_field_is_reported_at_the_key(registry: Path, charter: Charter) -> None:
    text = edit(registry, VERSION, r"^(  owner: .*)$", r"\1\n  ownr: typo")
    code, found = findings(charter, registry)
    assert code == 1
    [f] = found
    assert (f["code"], f["path"], f["line"], f["column"]) == ("CH201", VERSION, line_of(text, "  ownr:"), 3)
    assert "metadata.ownr" in str(f["message"]) and "owner" in str(f["hint"])


def test_duplicate_key_is_reported_at_the_second_occurrence(registry: Path, charter: Charter) -> None:
    text = edit(registry, VERSION, r"^(  owner: .*)$", r"\1\n  owner: someone-else")
    code, found = findings(charter, registry)
    assert code == 1 and codes(found) == ["CH102"]
    assert found[0]["line"] == line_of(text, "  owner: someone-else")


def test_yaml_syntax_error_names_the_place(registry: Path, charter: Charter) -> None:
    edit(registry, CONTRACT, r"^(  model: .*)$", r"\1\n  broken: [unclosed")
    code, found = findings(charter, registry)
    assert code == 1 and codes(found) == ["CH101"]
    assert found[0]["path"] == CONTRACT and int(str(found[0]["line"])) > 1


def test_wrong_type_deep_inside_a_document(registry: Path, charter: Charter) -> None:
    text = edit(registry, CONTRACT, r"^(\s+p99Ms: ).*$", r"\1fast")
    code, found = findings(charter, registry)
    assert code == 1 and codes(found) == ["CH203"]
    line = line_of(text, r"\s+p99Ms: fast")
    assert found[0]["line"] == line
    assert found[0]["column"] == text.splitlines()[line - 1].index("fast") + 1
    assert "spec.latency.p99Ms" in str(found[0]["message"])


def test_every_error_is_reported_not_just_the_first(registry: Path, charter: Charter) -> None:
    edit(registry, VERSION, r"^(  owner: .*)$", r"\1\n  ownr: typo")
    edit(registry, VERSION, r"^(  status: ).*$", r"\1shipped")
    edit(registry, CONTRACT, r"^(\s+p99Ms: ).*$", r"\1fast")
    code, found = findings(charter, registry)
    assert code == 1
    assert sorted(map(str, codes(found))) == ["CH201", "CH203", "CH204"]


def test_missing_required_field_is_reported_at_its_parent(registry: Path, charter: Charter) -> None:
    text = edit(registry, VERSION, r"^  labelEvent: .*\n", "")
    code, found = findings(charter, registry)
    assert code == 1 and codes(found) == ["CH202"]
    assert found[0]["line"] == line_of(text, "spec:") and "spec.labelEvent" in str(found[0]["message"])


def test_path_must_agree_with_name_and_version(registry: Path, charter: Charter) -> None:
    edit(registry, VERSION, r"^(  version: ).*$", r"\g<1>1.2.0")
    code, found = findings(charter, registry)
    assert code == 1 and "CH301" in codes(found)
    [f] = [f for f in found if f["code"] == "CH301"]
    assert f["path"] == VERSION and "1.2.0" in str(f["message"]) and "versions/1.2.0.yaml" in str(f["hint"])


def test_invalid_semver_in_metadata(registry: Path, charter: Charter) -> None:
    edit(registry, VERSION, r"^(  version: ).*$", r"\g<1>'1.1'")
    code, found = findings(charter, registry)
    assert code == 1 and "CH204" in codes(found)
    assert any("metadata.version" in str(f["message"]) for f in found)


def test_a_file_at_no_entry_location(registry: Path, charter: Charter) -> None:
    shutil.copy(registry / VERSION, registry / "models/sepsis-risk/1.1.0.yaml")
    code, found = findings(charter, registry)
    assert code == 1
    assert [(f["code"], f["path"]) for f in found] == [("CH303", "models/sepsis-risk/1.1.0.yaml")]


def test_the_same_entry_in_two_files(registry: Path, charter: Charter) -> None:
    shutil.copy(registry / VERSION, registry / VERSION.replace(".yaml", ".yml"))
    code, found = findings(charter, registry)
    assert code == 1 and codes(found) == ["CH302"]


def test_unresolved_reference_lists_existing_versions(registry: Path, charter: Charter) -> None:
    text = edit(registry, VERSION, r"^(  labelEvent: ).*$", r"\1event:sepsis-onset@9.9.9")
    code, found = findings(charter, registry)
    assert code == 1 and codes(found) == ["CH401"]
    assert found[0]["line"] == line_of(text, "  labelEvent:") and found[0]["column"] == 15
    assert "2.0.0" in str(found[0]["hint"])


def test_reference_of_the_wrong_kind_is_a_schema_finding(registry: Path, charter: Charter) -> None:
    edit(registry, VERSION, r"^(  labelEvent: ).*$", r"\1cohort:sepsis-onset@2.0.0")
    code, found = findings(charter, registry)
    assert code == 1 and "CH204" in codes(found)


def test_references_to_retired_and_deprecated_entries(registry: Path, charter: Charter) -> None:
    edit(registry, "events/sepsis-onset/2.0.0.yaml", r"^(  status: ).*$", r"\1deprecated")
    code, found = findings(charter, registry)
    assert code == 0 and found and set(codes(found)) == {"CH403"}
    edit(registry, "events/sepsis-onset/2.0.0.yaml", r"^(  status: ).*$", r"\1retired")
    code, found = findings(charter, registry)
    assert code == 1 and set(codes(found)) == {"CH402"}


def test_environment_assignments(registry: Path, charter: Charter) -> None:
    prod = (registry / PRODUCTION).read_text()
    assigned = re.search(r"model: (model:sepsis-risk@[0-9.]+)", prod)
    assert assigned
    version = assigned.group(1).split("@")[1]
    edit(registry, f"models/sepsis-risk/versions/{version}.yaml", r"^(  status: ).*$", r"\1draft")
    code, found = findings(charter, registry)
    assert code == 1 and "CH502" in codes(found)
    assert all(f["path"] == PRODUCTION for f in found if f["code"] == "CH502")


def test_environment_must_be_declared(registry: Path, charter: Charter) -> None:
    shutil.copy(registry / PRODUCTION, registry / "environments/qa.yaml")
    edit(registry, "environments/qa.yaml", r"^(  name: ).*$", r"\1qa")
    code, found = findings(charter, registry)
    assert code == 1 and codes(found) == ["CH501"]


def test_paths_checks_only_those_files_but_resolves_against_everything(registry: Path, charter: Charter) -> None:
    edit(registry, CONTRACT, r"^(\s+p99Ms: ).*$", r"\1fast")  # an error elsewhere, not selected
    code, found = findings(charter, registry, VERSION)
    assert code == 0 and found == []  # its references resolve against the whole registry
    edit(registry, VERSION, r"^(  labelEvent: ).*$", r"\1event:sepsis-onset@9.9.9")
    code, found = findings(charter, registry, VERSION)
    assert code == 1 and codes(found) == ["CH401"]


def test_paths_outside_entry_folders_are_ignored(registry: Path, charter: Charter) -> None:
    code, found = findings(charter, registry, ".gitlab-ci.yml")
    assert code == 0 and found == []


def test_base_released_spec_is_immutable_but_status_may_change(registry: Path, charter: Charter) -> None:
    edit(registry, VERSION, r"^(  status: ).*$", r"\1deprecated")
    code, found = findings(charter, registry, "--base", "HEAD")
    assert code == 0, found
    text = edit(registry, VERSION, r"^(  notes: ).*(\n    .*)*$", r"\1rewritten after release")
    code, found = findings(charter, registry, "--base", "HEAD")
    found = [f for f in found if f["severity"] == "error"]
    assert code == 1 and codes(found) == ["CH601"]
    assert found[0]["line"] == line_of(text, "  notes:") and "spec.notes" in str(found[0]["message"])


def test_base_deleting_a_released_entry(registry: Path, charter: Charter) -> None:
    git(registry, "rm", "-q", "events/sepsis-onset/1.0.0.yaml")
    code, found = findings(charter, registry, "--base", "HEAD")
    assert code == 1 and codes(found) == ["CH602"]
    git(registry, "commit", "-qm", "remove")
    code, found = findings(charter, registry, "--base", "HEAD~1")
    assert code == 1 and codes(found) == ["CH602"]


def test_base_draft_entries_may_still_change(registry: Path, charter: Charter) -> None:
    edit(registry, VERSION, r"^(  status: ).*$", r"\1draft")
    for env in (registry / "environments").glob("*.yaml"):  # a draft may not be assigned
        env.write_text(env.read_text().replace("model:sepsis-risk@1.1.0", "model:sepsis-risk@1.0.0"))
    git(registry, "commit", "-qam", "back to draft")
    edit(registry, VERSION, r"^(  notes: ).*(\n    .*)*$", r"\1still being written")
    code, found = findings(charter, registry, "--base", "HEAD")
    assert code == 0, found


def test_unknown_base_is_an_environment_error(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "validate", "--base", "no-such-branch")
    assert result.code == 2
    assert "unknown revision 'no-such-branch'" in result.stderr and "Traceback" not in result.stderr


def test_outside_a_registry_is_an_environment_error(tmp_path: Path, charter: Charter) -> None:
    result = charter("validate", cwd=tmp_path)
    assert result.code == 2 and "not inside a Charter registry" in result.stderr


def test_path_outside_the_registry_is_a_usage_error(registry: Path, tmp_path: Path, charter: Charter) -> None:
    (tmp_path / "stray.yaml").write_text("a: 1\n")
    result = charter("-C", registry, "validate", str(tmp_path / "stray.yaml"))
    assert result.code == 2 and "outside the registry" in result.stderr


def test_text_output_shows_place_code_and_hint(registry: Path, charter: Charter) -> None:
    text = edit(registry, VERSION, r"^(  owner: .*)$", r"\1\n  ownr: typo")
    result = charter("validate", cwd=registry)
    assert result.code == 1
    assert f"{VERSION}:{line_of(text, '  ownr:')}:3: error CH201 unknown field 'metadata.ownr'" in result.stdout
    assert "hint: allowed here:" in result.stdout
    assert "✗ 1 error, 0 warnings" in result.stdout


def test_github_annotations(registry: Path, charter: Charter) -> None:
    text = edit(registry, VERSION, r"^(  owner: .*)$", r"\1\n  ownr: typo")
    result = charter("validate", "--format", "github", cwd=registry)
    assert result.code == 1
    line = line_of(text, "  ownr:")
    assert re.search(rf"^::error file={re.escape(VERSION)},line={line},col=3,title=CH201::unknown field",
                     result.stdout, flags=re.M)


def test_warnings_do_not_fail(registry: Path, charter: Charter) -> None:
    (registry / "environments/dev.yaml").unlink()
    result = charter("-C", registry, "validate")
    assert result.code == 0 and "warning CH503" in result.stdout


def test_subprocess_exit_codes_and_no_traceback(registry: Path, run_charter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (registry / VERSION).write_bytes(b"\xff\xfe not utf-8")
    bad = run_charter("validate", cwd=registry)
    assert bad.returncode == 1 and "CH100" in bad.stdout and "Traceback" not in bad.stderr
    nowhere = run_charter("validate", cwd=tmp_path)
    assert nowhere.returncode == 2 and "Traceback" not in nowhere.stderr


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "CH104"),
        (b"- a\n- b\n", "CH104"),
        (b"apiVersion: charter/v2\nkind: Cohort\n", "CH205"),
        (b"apiVersion: charter/v1\nkind: Kohort\n", "CH205"),
        (b"apiVersion: charter/v1\nkind: Cohort\nmetadata: !!python/object:os.system {}\n", "CH103"),
    ],
)
def test_hostile_files(registry: Path, charter: Charter, content: bytes, code: str) -> None:
    (registry / "cohorts/hostile").mkdir()
    (registry / "cohorts/hostile/1.0.0.yaml").write_bytes(content)
    exit_code, found = findings(charter, registry)
    assert exit_code == 1 and codes(found) == [code]


def test_each_missing_field_is_reported_once(registry: Path, charter: Charter) -> None:
    cohort = registry / "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml"
    text = cohort.read_text()
    cohort.write_text(text[: text.index("\nspec:")] + "\nspec: {}\n")
    code, found = findings(charter, registry, str(cohort.relative_to(registry)))
    missing = [f["message"] for f in found if f["code"] == "CH202"]
    assert code == 1 and len(missing) == len(set(missing)) >= 3


def test_checking_a_few_files_finds_exactly_what_the_whole_run_finds_for_them(registry: Path) -> None:
    """PATHS are checked against a lazily read registry; it must never change a result."""
    from charter.validation.runner import validate_registry

    edit(registry, VERSION, r"^(  owner: .*)$", r"\1\n  ownr: typo")
    edit(registry, CONTRACT, r"^(  model: .*)$", r"\1\n  broken: [unclosed")  # the version's contract: unreadable
    edit(registry, "models/card-fraud/versions/3.3.0.yaml", r"^(  labelEvent: ).*$", r"\1event:nope@1.0.0")
    edit(registry, "events/sepsis-onset/2.0.0.yaml", r"^(  status: ).*$", r"\1deprecated")
    shutil.copy(registry / VERSION, registry / VERSION.replace(".yaml", ".yml"))
    whole = validate_registry(registry).findings
    groups = [[VERSION, VERSION.replace(".yaml", ".yml")], ["models/card-fraud/versions/3.3.0.yaml"],
              [CONTRACT], [PRODUCTION], ["cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml"]]
    for group in groups:
        few = validate_registry(registry, group, cwd=registry).findings
        assert few == [f for f in whole if f.path in group], group
        assert few or group == [PRODUCTION] or group[0].startswith("cohorts/")

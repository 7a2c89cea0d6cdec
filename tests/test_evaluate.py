"""`charter evaluate record/compare` and the evaluation checks (CH801-CH809), on a real `charter init` registry.

Every test runs the CLI as a user types it and asserts on the entry written, the git history and the output; bad
results files must give one line naming the file, the line and the column, and leave the repository untouched.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from charter.evaluation.confusion import Confusion, agrees, wilson
from tests.conftest import PROJECT, Charter, git

RESULTS = PROJECT / "tests" / "data" / "evaluate" / "sepsis-risk-1.2.0.json"
COHORT = "cohort:sepsis-adult-inpatients-eval@1.0.0"
MODEL = "model:sepsis-risk@1.1.0"
RECORDED = "evaluations/sepsis-risk-1-1-0-retro/1.1.0.yaml"


def load(root: Path, relpath: str) -> dict[str, Any]:
    data = yaml.safe_load((root / relpath).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def results(tmp_path: Path, edit: Any = None, name: str = "results.json") -> Path:
    data = json.loads(RESULTS.read_text())
    if edit is not None:
        edit(data)
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=2))
    return path


def state(root: Path) -> tuple[str, str]:
    return git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain", "--untracked-files=all")


def record(charter: Charter, registry: Path, path: Path, *extra: str) -> Any:
    return charter("-C", registry, "evaluate", "record", MODEL, "--cohort", COHORT, "--results", path, *extra)


# --- statistics ------------------------------------------------------------------------------------------------


def test_wilson_interval_matches_the_textbook_value_and_stays_in_the_unit_interval() -> None:
    low, high = wilson(81, 263) or (0, 0)  # Newcombe (1998), example: 81/263 -> 0.2553 to 0.3662
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert wilson(0, 10) is not None and wilson(0, 10)[0] == 0.0  # type: ignore[index]
    assert wilson(5, 0) is None


def test_rates_agree_with_counts_to_the_written_decimals() -> None:
    counts = Confusion(tp=924, fp=1740, tn=29890, fn=566)
    assert agrees(0.62, counts.rates()["sensitivity"] or 0)
    assert not agrees(0.70, counts.rates()["sensitivity"] or 0)
    assert agrees(0.080, counts.rates()["alertRate"] or 0)


# --- record ----------------------------------------------------------------------------------------------------


def test_record_writes_a_valid_evaluation_with_rates_from_counts_and_commits_it(
        registry: Path, charter: Charter) -> None:
    before = git(registry, "rev-parse", "HEAD").strip()
    result = record(charter, registry, RESULTS, "--baseline", "model:sepsis-risk@1.0.0", "--evaluator", "qa@x.org")
    assert result.code == 0, result
    assert f"recorded evaluation:sepsis-risk-1-1-0-retro@1.1.0 ({RECORDED})" in result.stdout
    spec = load(registry, RECORDED)["spec"]
    assert spec["model"] == MODEL and spec["cohort"] == COHORT and spec["event"] == "event:sepsis-onset@2.0.0"
    assert spec["periodDays"] == 184 and spec["operatingThreshold"] == 0.6
    row = next(r for r in spec["thresholds"] if r["threshold"] == 0.6)
    assert row["alertsPerDay"] == round(990 / 184, 3)
    assert row["ppv"] == round(590 / 990, 6) and row["sensitivity"] == round(590 / 1490, 6)
    assert row["intervals"]["ppv"]["lower"] < row["ppv"] < row["intervals"]["ppv"]["upper"]
    assert spec["metrics"]["ppv"]["method"] == "wilson" and spec["metrics"]["auroc"]["value"] == 0.868
    female = next(s for s in spec["subgroups"] if s["name"] == "sex=female")
    assert female["n"] == 17390 and female["metrics"]["auroc"] == 0.869
    # invariants take input and range from the contract, which declares them
    assert [i["passed"] for i in spec["invariants"]] == [True, True, True]
    assert spec["invariants"][0]["expected"] == {"max": 0.05}
    assert spec["baseline"] == "model:sepsis-risk@1.0.0" and spec["evaluator"] == "qa@x.org"
    assert git(registry, "rev-parse", "HEAD~1").strip() == before
    assert git(registry, "log", "-1", "--format=%s").strip() == "Record evaluation:sepsis-risk-1-1-0-retro@1.1.0"
    assert git(registry, "status", "--porcelain") == ""
    assert charter("-C", registry, "validate").code == 0


def test_record_from_csv_with_no_commit_leaves_the_file_uncommitted(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    csv = tmp_path / "counts.csv"
    csv.write_text("threshold,tp,fp,tn,fn,subgroup\n0.3,950,1690,29940,540,\n0.6,590,400,31230,900,\n"
                   "0.6,270,190,16487,443,sex=female\n")
    head = git(registry, "rev-parse", "HEAD")
    result = record(charter, registry, csv, "--operating-threshold", "0.6", "--days", "92", "--no-commit",
                    "--name", "sepsis-csv-retro", "--format", "json")
    assert result.code == 0, result
    assert json.loads(result.stdout)["document"]["spec"]["thresholds"][1]["alertsPerDay"] == round(990 / 92, 3)
    assert git(registry, "rev-parse", "HEAD") == head
    # CODEOWNERS gains the new evaluation's folder beside it, uncommitted like the entry
    assert sorted(git(registry, "status", "--porcelain").splitlines()) == [" M CODEOWNERS",
                                                                          "?? evaluations/sepsis-csv-retro/"]
    spec = load(registry, "evaluations/sepsis-csv-retro/1.0.0.yaml")["spec"]
    assert spec["subgroups"][0]["name"] == "sex=female" and spec["subgroups"][0]["n"] == 17390


@pytest.mark.parametrize(("suffix", "text", "expected"), [
    (".csv", "threshold,tp,fp,tn\n0.3,1,2,3\n", ":1: column 'fn': missing column"),
    (".csv", "threshold,tp,fp,tn,fn\n0.3,950,1690,29940,540\n0.6,590,-4,31230,900\n",
     ":3: column 'fp': -4 is negative"),
    (".csv", "threshold,tp,fp,tn,fn\n1.3,950,1690,29940,540\n", ":2: column 'threshold': 1.3 is outside [0, 1]"),
    (".csv", "threshold,tp,fp,tn,fn\n0.3,950,many,29940,540\n", ":2: column 'fp': 'many' is not a number"),
    (".json", '{"thresholds": [{"threshold": 0.3, "tp": 950, "fp": 1690, "tn": 29940}]}',
     ":1:17: thresholds[0]: missing fn"),
    (".json", '{\n  "date": "2999-01-01",\n  "metrics": {"auroc": 0.8}\n}', ":2:11: date: 2999-01-01 is in the future"),
    (".json", '{\n  "metrics": {"auroc": 0.8},\n  "thresholds": [\n    {"threshold": 0.3, "tp": 9, "fp": 1.5, '
     '"tn": 3, "fn": 1}\n  ]\n}', ":4:39: thresholds[0].fp: 1.5 is not a whole number"),
    (".json", '{"metrics": {"auroc": 0.8}, "oops": 1}', ":1:29: oops: unknown field"),
    (".json", '{"metrics": {"auroc": 0.8},}', ":1:28: not valid JSON"),
])
def test_bad_results_are_one_line_naming_file_line_and_column(
        registry: Path, charter: Charter, tmp_path: Path, suffix: str, text: str, expected: str) -> None:
    path = tmp_path / f"results{suffix}"
    path.write_text(text)
    before = state(registry)
    result = record(charter, registry, path, "--days", "30")
    assert result.code == 2, result
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: {path}") and expected in first, first
    assert "Traceback" not in result.stdout + result.stderr
    assert state(registry) == before


@pytest.mark.parametrize(("args", "message"), [
    (["model:sepsis-risk@9.9.9", "--cohort", COHORT], "model model:sepsis-risk@9.9.9 does not exist"),
    ([MODEL, "--cohort", "cohort:nope@1.0.0"], "--cohort cohort:nope@1.0.0 does not exist"),
    ([MODEL, "--cohort", COHORT, "--event", "event:sepsis-onset@7.0.0"], "--event event:sepsis-onset@7.0.0 does"),
    ([MODEL, "--cohort", "event:sepsis-onset@2.0.0"], "is a event reference"),
])
def test_unknown_references_are_usage_errors(registry: Path, charter: Charter, args: list[str], message: str) -> None:
    result = charter("-C", registry, "evaluate", "record", *args, "--results", RESULTS)
    assert result.code == 2 and message in result.stderr, result


def test_counts_that_cannot_be_one_cohort_are_refused(registry: Path, charter: Charter, tmp_path: Path) -> None:
    def rising(data: dict[str, Any]) -> None:
        data["thresholds"][4].update(tp=1000, fp=3500, tn=28130, fn=490)
    result = record(charter, registry, results(tmp_path, rising))
    assert result.code == 2 and "more alerts at threshold 0.6 (4500) than at the lower 0.45" in result.stderr

    def other_cohort(data: dict[str, Any]) -> None:
        data["thresholds"][1]["tn"] += 10
    result = record(charter, registry, results(tmp_path, other_cohort))
    assert result.code == 2 and "counts at threshold 0.2 cover 33130 units" in result.stderr


def test_an_invariant_the_contract_declares_cannot_be_left_out_or_loosened(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    def drop_and_loosen(data: dict[str, Any]) -> None:
        data["invariants"] = [{"name": "stable-young-surgical-patient-scores-low", "result": 0.2,
                               "expected": {"max": 0.5}}]
    before = state(registry)
    result = record(charter, registry, results(tmp_path, drop_and_loosen))
    assert result.code == 1, result
    assert "CH804" in result.stdout and "expected differs from the one contract:sepsis-risk-serving" in result.stdout
    assert "CH803" in result.stdout and "septic-picture-scores-high" in result.stdout
    assert "nothing was recorded" in result.stdout
    assert state(registry) == before


def test_a_failing_invariant_is_recorded_and_warned_about(registry: Path, charter: Charter, tmp_path: Path) -> None:
    def fail(data: dict[str, Any]) -> None:
        data["invariants"][1]["result"] = 0.31
    result = record(charter, registry, results(tmp_path, fail))
    assert result.code == 0 and "✗ invariant septic-picture-scores-high: 0.31" in result.stdout
    assert [i["passed"] for i in load(registry, RECORDED)["spec"]["invariants"]] == [True, False, True]
    check = charter("-C", registry, "validate")
    assert check.code == 0 and "CH801" in check.stdout and "outside the expected >= 0.6" in check.stdout


# --- validate: CH80x on hand-edited evaluations ----------------------------------------------------------------


def test_validate_finds_threshold_tables_that_disagree_with_their_counts(registry: Path, charter: Charter) -> None:
    path = registry / "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml"
    text = path.read_text()
    text = text.replace("sensitivity: 0.62, ppv: 0.347", "sensitivity: 0.72, ppv: 0.347")  # CH805
    text = text.replace("tp: 566, fp: 411, tn: 31219", "tp: 566, fp: 411, tn: 31319")  # CH806
    text = text.replace("operatingThreshold: 0.6", "operatingThreshold: 0.65")  # CH809
    text = text.replace("      result: 0.87\n      passed: true", "      result: 0.87\n      passed: false")  # CH802
    path.write_text(text)
    result = charter("-C", registry, "validate", "evaluations/", "--format", "json")
    codes = {(f["code"], f["line"]) for f in json.loads(result.stdout)["findings"]}
    lines = text.splitlines()
    assert ("CH805", next(i for i, line in enumerate(lines, 1) if "sensitivity: 0.72" in line)) in codes
    assert {c for c, _ in codes} >= {"CH802", "CH805", "CH806", "CH809"}
    assert result.code == 1


def test_validate_checks_alerts_per_day_against_period_days(registry: Path, charter: Charter) -> None:
    path = registry / "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml"
    text = path.read_text().replace("  operatingThreshold: 0.6", "  periodDays: 100\n  operatingThreshold: 0.6")
    path.write_text(text)
    result = charter("-C", registry, "validate", str(path))
    assert result.code == 1 and "CH807" in result.stdout and "over 100 days" in result.stdout


# --- compare ---------------------------------------------------------------------------------------------------


def test_compare_a_version_with_its_parent_on_their_shared_cohort(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "evaluate", "compare", "model:sepsis-risk@1.1.0", "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["a"]["model"] == "model:sepsis-risk@1.0.0" and data["b"]["model"] == "model:sepsis-risk@1.1.0"
    auroc = next(m for m in data["metrics"] if m["metric"] == "auroc")
    assert auroc["delta"] == pytest.approx(auroc["b"] - auroc["a"])
    assert auroc["difference"]["lower"] < auroc["delta"] < auroc["difference"]["upper"]
    operating = next(t for t in data["thresholds"] if t["operating"])
    # from the counts over the cohort's 184 days (977 and 934 alerts), not from the rounded 5.3 and 5.1
    assert operating["threshold"] == 0.6 and operating["alertVolumeChange"] == pytest.approx(977 / 934 - 1)
    moved = [abs(s["difference"]["z"]) for s in data["subgroups"]]
    assert moved == sorted(moved, reverse=True) and moved


def test_compare_recorded_evaluation_by_refs_in_every_format(registry: Path, charter: Charter, tmp_path: Path) -> None:
    # the results name the snapshot `init` gave the template's evaluation (its dates move by the day), as a team's
    # results on the same data would: only comparable evaluations are compared
    snapshot = load(registry, "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml")["spec"]["dataSnapshot"]
    results = tmp_path / RESULTS.name
    results.write_text(json.dumps({**json.loads(RESULTS.read_text()), "dataSnapshot": snapshot}))
    assert record(charter, registry, results).code == 0
    a, b = "evaluation:sepsis-risk-1-1-0-retro@1.0.0", "evaluation:sepsis-risk-1-1-0-retro@1.1.0"
    table = charter("-C", registry, "evaluate", "compare", a, b)
    assert table.code == 0 and "alert volume and rates by threshold" in table.stdout and "+1.3%" in table.stdout
    markdown = charter("-C", registry, "evaluate", "compare", a, b, "--format", "markdown")
    assert "| 0.6 ◀ operating | 5.31 → 5.38 | +1.3% |" in markdown.stdout  # 990 / 977 alerts over 184 days


def test_compare_refuses_different_cohorts_and_unknown_refs(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "evaluate", "compare", "evaluation:sepsis-risk-1-1-0-retro@1.0.0",
                     "evaluation:card-fraud-3-2-0-retro@1.0.0")
    assert result.code == 1 and "is not comparable with" in result.stdout
    assert "cohort: A cohort:sepsis-adult-inpatients-eval@1.0.0, B cohort:card-transactions-eval@1.0.0" \
        in result.stdout
    result = charter("-C", registry, "evaluate", "compare", "model:card-fraud@3.3.0", "model:card-fraud@3.2.0")
    assert result.code == 2 and "no evaluations on a common cohort" in result.stderr
    result = charter("-C", registry, "evaluate", "compare", "cohort:x@1.0.0", "model:card-fraud@3.2.0")
    assert result.code == 2 and "neither an evaluation nor a model version" in result.stderr


def test_promotion_body_carries_the_comparison(registry: Path, charter: Charter, tmp_path: Path) -> None:
    clone = tmp_path / "origin.git"
    shutil.rmtree(clone, ignore_errors=True)
    git(registry, "clone", "-q", "--bare", str(registry), str(clone))
    git(registry, "remote", "add", "origin", str(clone))
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production",
                     "--reason", "better")
    assert result.code == 0, result
    assert "### Compared with `model:sepsis-risk@1.0.0` on `cohort:sepsis-adult-inpatients-eval@1.0.0`" \
        in result.stdout
    assert "| 0.6 ◀ operating | 5.076 → 5.31 | +4.6% |" in result.stdout
    assert "### Comparability" in result.stdout and "**comparable**" in result.stdout


def test_a_failed_commit_leaves_the_registry_as_it_was(registry: Path, charter: Charter) -> None:
    lock = registry / ".git" / "index.lock"  # another git process holds the index
    lock.write_text("")
    before = state(registry)
    result = record(charter, registry, RESULTS)
    assert result.code == 2 and "git commit failed" in result.stderr, result
    assert state(registry) == before
    assert not (registry / "evaluations/sepsis-risk-1-1-0-retro/1.1.0.yaml").exists()


def test_yaml_results_with_days_and_explicit_invariant_ranges(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    path = tmp_path / "results.yml"
    path.write_text(
        "days: 30\noperatingThreshold: 0.5\nmetrics: {auroc: 0.81}\n"
        "thresholds:\n  - {threshold: 0.5, tp: 40, fp: 60, tn: 880, fn: 20}\n"
        "invariants:\n  - {name: extra-check, input: {heart_rate: 200}, expected: {min: 0.9}, result: 0.95}\n")
    result = record(charter, registry, path, "--method", "shadow", "--name", "sepsis-yaml-shadow", "--format", "json")
    assert result.code == 0, result
    spec = json.loads(result.stdout)["document"]["spec"]
    assert spec["method"] == "shadow" and spec["thresholds"][0]["alertsPerDay"] == round(100 / 30, 3)
    assert spec["metrics"]["sensitivity"]["value"] == round(40 / 60, 6)
    extra = next(i for i in spec["invariants"] if i["name"] == "extra-check")
    assert extra["passed"] is True and extra["expected"] == {"min": 0.9}
    check = charter("-C", registry, "validate")
    assert check.code == 0 and "CH803" in check.stdout  # the contract's three checks were not run


def test_promotion_policy_refuses_an_evaluation_that_skips_a_contract_invariant(
        registry: Path, charter: Charter) -> None:
    path = registry / "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml"
    path.write_text(path.read_text().replace("name: missing-labs-do-not-alarm", "name: missing-labs-stay-low"))
    git(registry, "commit", "-qam", "rename a check")
    git(registry, "clone", "-q", "--bare", str(registry), str(registry.parent / "origin.git"))
    git(registry, "remote", "add", "origin", str(registry.parent / "origin.git"))
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production", "--reason", "x")
    assert result.code == 1, result
    assert "declared by contract:sepsis-risk-serving@1.0.0 but not run: missing-labs-do-not-alarm" in result.stdout


# --- issue 14: figures are computed, checked, and said at the results file ---------------------------------------


def place(path: Path, before: str, value: str, after_line: int = 0) -> tuple[int, int]:
    """Line and column of `value` written after `before` on the first line below `after_line` that has both."""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if n > after_line and before + value in line:
            return n, line.index(before + value) + len(before) + 1
    raise AssertionError(f"{before + value!r} is not in {path}")


def test_findings_on_the_built_entry_are_said_at_the_results_file_line(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    def hostile(data: dict[str, Any]) -> None:
        data["metrics"]["auroc"] = {"value": 1.3}
        data["subgroups"][1]["metrics"] = {"auroc": 7}
        data["calibration"] = {"bins": [{"predicted": 0.1, "observed": 0.1, "n": 999999}]}
    path = results(tmp_path, hostile)
    before = state(registry)
    result = record(charter, registry, path, "--format", "json")
    assert result.code == 1, result
    found = {(f["code"], f["path"], f["line"], f["column"]) for f in json.loads(result.stdout)["findings"]}
    male = place(path, '"value": ', '"male"')[0]
    assert found == {("CH815", str(path), *place(path, '"value": ', "1.3")),
                     ("CH815", str(path), *place(path, '"auroc": ', "7", male)),
                     ("CH818", str(path), *place(path, '"n": ', "999999"))}
    assert state(registry) == before
    line, column = place(path, '"value": ', "1.3")
    shown = record(charter, registry, path).stdout  # the path as the person sees it, relative to where they are
    assert f"results.json:{line}:{column}: error CH815 metric auroc is 1.3, outside [0, 1]" in shown, shown


def test_a_finding_on_a_value_the_results_file_does_not_give_names_the_field(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    cohort = registry / "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml"
    cohort.write_text(cohort.read_text().replace("status: active", "status: retired"))
    git(registry, "commit", "-qam", "retire the cohort")
    result = record(charter, registry, RESULTS, "--format", "json")
    assert result.code == 1, result
    retired = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "CH402"]
    assert [(f["path"], f["line"], f["column"]) for f in retired] == [(str(RESULTS), 1, 1)]
    assert retired[0]["message"].startswith("spec.cohort of the entry built from this file: spec.cohort: "
                                            f"{COHORT} is retired")


def test_given_rates_lose_to_the_counts_with_a_warning_at_their_line(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    def claims(data: dict[str, Any]) -> None:
        data["metrics"]["sensitivity"] = 0.99  # the counts at 0.6 give 590 / 1490 = 0.396
        data["metrics"]["prevalence"] = {"value": 0.045}  # agrees with 1490 / 33120 = 0.04499
        data["subgroups"][0]["metrics"]["ppv"] = 0.9  # 270 / 460 = 0.587
    path = results(tmp_path, claims)
    result = record(charter, registry, path, "--format", "json")
    assert result.code == 0, result
    spec = load(registry, RECORDED)["spec"]
    assert spec["metrics"]["sensitivity"]["value"] == round(590 / 1490, 6)
    assert spec["metrics"]["sensitivity"]["method"] == "wilson"
    assert spec["metrics"]["prevalence"] == {"value": round(1490 / 33120, 6)}
    assert spec["subgroups"][0]["metrics"]["ppv"] == round(270 / 460, 6)
    warned = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "CH819"]
    assert [(f["severity"], f["path"], f["line"], f["column"]) for f in warned] == [
        ("warning", str(path), *place(path, '"sensitivity": ', "0.99")),
        ("warning", str(path), *place(path, '"ppv": ', "0.9"))]
    assert "sensitivity is given as 0.99, but the counts at threshold 0.6 give 0.396" in warned[0]["message"]
    assert "subgroup sex=female: ppv is given as 0.9, but its counts give 0.587" in warned[1]["message"]
    assert charter("-C", registry, "validate").code == 0


def test_operating_threshold_option_does_not_relabel_subgroup_counts(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    path = results(tmp_path)  # subgroups counted at the file's operatingThreshold, 0.6
    before = state(registry)
    result = record(charter, registry, path, "--operating-threshold", "0.3")
    assert result.code == 2, result
    line = place(path, '"attribute": ', '"sex"')[0] - 1  # the subgroup's opening brace
    assert result.stderr.startswith(f"error: {path}:{line}:5: subgroups[0]: subgroup sex=female counts at the "
                                    "file's operatingThreshold 0.6, not at the operating threshold 0.3"), result
    assert state(registry) == before

    def at_03(data: dict[str, Any]) -> None:
        data["subgroups"] = [{"attribute": "sex", "value": "female", "threshold": 0.3, "tp": 440, "fp": 800,
                              "tn": 15877, "fn": 273}]
    result = record(charter, registry, results(tmp_path, at_03), "--operating-threshold", "0.3")
    assert result.code == 0, result
    spec = load(registry, RECORDED)["spec"]
    assert spec["operatingThreshold"] == 0.3 and spec["subgroups"][0]["metrics"]["sensitivity"] == round(440 / 713, 6)


def test_a_threshold_written_in_floating_point_matches_its_decimal(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    csv = tmp_path / "counts.csv"
    csv.write_text("threshold,tp,fp,tn,fn,subgroup\n0.30000000000000004,950,1690,29940,540,\n"
                   "0.6,590,400,31230,900,\n0.30000000000000004,440,800,15877,273,sex=female\n")
    result = record(charter, registry, csv, "--operating-threshold", "0.3", "--days", "184")
    assert result.code == 0, result
    spec = load(registry, RECORDED)["spec"]
    assert spec["operatingThreshold"] == 0.3 and [r["threshold"] for r in spec["thresholds"]] == [0.3, 0.6]
    assert spec["subgroups"][0]["n"] == 17390


def test_a_threshold_with_no_alerts_is_recorded_without_a_ppv(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    def above_every_score(data: dict[str, Any]) -> None:
        data["thresholds"].append({"threshold": 0.99, "tp": 0, "fp": 0, "tn": 31630, "fn": 1490})
    result = record(charter, registry, results(tmp_path, above_every_score))
    assert result.code == 0, result
    row = load(registry, RECORDED)["spec"]["thresholds"][-1]
    assert row["threshold"] == 0.99 and row["alertsPerDay"] == 0 and row["sensitivity"] == 0
    assert "ppv" not in row and "ppv" not in row["intervals"]
    assert charter("-C", registry, "validate").code == 0


def test_true_positives_rising_as_alerts_fall_is_named_as_such(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    def more_tp(data: dict[str, Any]) -> None:
        data["thresholds"][4].update(tp=800, fp=100, tn=31530, fn=690)  # fewer alerts (900), more tp than 0.45
    result = record(charter, registry, results(tmp_path, more_tp))
    assert result.code == 2
    assert "more true positives at threshold 0.6 (800) than at the lower 0.45 (770)" in result.stderr, result
    path = registry / "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml"
    path.write_text(path.read_text().replace("tp: 566, fp: 411, tn: 31219, fn: 924",
                                             "tp: 800, fp: 100, tn: 31530, fn: 690"))
    check = charter("-C", registry, "validate", str(path))
    assert check.code == 1
    assert "CH808 threshold 0.6 has more true positives (800) than the lower 0.45 (745)" in check.stdout


def test_yaml_and_csv_results_are_pointed_at_too(registry: Path, charter: Charter, tmp_path: Path) -> None:
    path = tmp_path / "results.yaml"
    path.write_text("days: 30\nmetrics:\n  auroc: -0.2\n  ppv: {value: 1.7, ciLower: 1.6, ciUpper: 1.8}\n")
    result = record(charter, registry, path, "--name", "sepsis-yaml-retro", "--format", "json")
    assert result.code == 1, result
    found = {(f["code"], f["line"], f["column"]) for f in json.loads(result.stdout)["findings"]
             if f["path"] == str(path)}
    assert {("CH815", *place(path, "auroc: ", "-0.2")), ("CH815", *place(path, "value: ", "1.7")),
            ("CH815", *place(path, "ciLower: ", "1.6")), ("CH815", *place(path, "ciUpper: ", "1.8"))} <= found, found
    csv = tmp_path / "counts.csv"
    csv.write_text("threshold,tp,fp,tn,fn,subgroup\n0.3,950,1690,29940,540,\n0.6,590,400,31230,900,\n"
                   "0.6,810,570,49461,1329,sex=female\n")
    result = record(charter, registry, csv, "--operating-threshold", "0.6", "--days", "92", "--format", "json")
    assert result.code == 1, result
    assert [(f["code"], f["path"], f["line"], f["column"]) for f in json.loads(result.stdout)["findings"]
            if f["severity"] == "error"] == [("CH817", str(csv), 4, 1), ("CH817", str(csv), 4, 1)]

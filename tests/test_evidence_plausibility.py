"""Evaluation figures that cannot be true (CH815-CH818, CH833) and evaluations of another population than their
cohort (CH830-CH832), on a real `charter init` registry: `validate` reports each at its file, line and column with
its exit code, and `promote` refuses an evaluation whose figures cannot be true, whatever its metric floors say.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from charter.registry.documents import parse_document
from charter.validation.evidence_plausibility import bounded, implausible
from tests.conftest import Charter, git

EVALUATION = "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml"
COHORT = "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml"


def where(text: str, before: str, value: str) -> tuple[int, int]:
    """Line and column (1-based) of `value` written right after `before` on the one line that has both."""
    needle = before + value
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, f"{needle!r} is on {len(lines)} lines"
    n, line = lines[0]
    return n, line.index(needle) + len(before) + 1


def edit(root: Path, relpath: str, old: str, new: str) -> str:
    path = root / relpath
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {relpath}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def findings(charter: Charter, root: Path, relpath: str = EVALUATION) -> tuple[int, list[dict[str, Any]]]:
    result = charter("-C", root, "validate", "--format", "json")
    assert result.code in (0, 1), result
    return result.code, [f for f in json.loads(result.stdout)["findings"] if f["path"] == relpath]


def test_the_example_registry_is_plausible(registry: Path, charter: Charter) -> None:
    code, found = findings(charter, registry)
    assert code == 0 and found == []


# --- figures that cannot be true: errors at the value ------------------------------------------------------------

CASES: list[tuple[str, str, str, str, str, str]] = [
    # (what, old text, new text, code, text before the value, value)
    ("auroc 1.3", "auroc: {value: 0.861", "auroc: {value: 1.3", "CH815", "auroc: {value: ", "1.3"),
    ("auroc -0.2", "auroc: {value: 0.861", "auroc: {value: -0.2", "CH815", "auroc: {value: ", "-0.2"),
    ("ppv 1.7 overall", "    brier: {value: 0.0166}\n", "    brier: {value: 0.0166}\n    ppv: {value: 1.7}\n",
     "CH815", "ppv: {value: ", "1.7"),
    ("interval bound above 1", "ciLower: 0.326, ciUpper: 0.369", "ciLower: 0.326, ciUpper: 1.369", "CH815",
     "ciUpper: ", "1.369"),
    ("subgroup auroc 7", "metrics: {auroc: 0.866, sensitivity: 0.37", "metrics: {auroc: 7, sensitivity: 0.37",
     "CH815", "metrics: {auroc: ", "7"),
    ("threshold row ppv 1.7", "ppv: 0.579", "ppv: 1.7", "CH204", "ppv: ", "1.7"),
    ("value outside its interval", "auprc: {value: 0.347", "auprc: {value: 0.4", "CH816", "auprc: {value: ", "0.4"),
    ("interval reversed", "ciLower: 0.326, ciUpper: 0.369", "ciLower: 0.369, ciUpper: 0.326", "CH816",
     "auprc: {value: 0.347, ciLower: ", "0.369"),
    ("threshold row rate outside its interval", "tn: 31219, fn: 924}",
     "tn: 31219, fn: 924, intervals: {level: 0.95, ppv: {lower: 0.1, upper: 0.2}}}", "CH816", "ppv: ", "0.579"),
    ("subgroups three times the cohort", "value: female, n: 17390", "value: female, n: 99360", "CH817",
     "value: female, n: ", "99360"),
    ("subgroup events above the evaluation's", "n: 15730, prevalence: 0.0495", "n: 15730, prevalence: 0.3",
     "CH817", "n: 15730, prevalence: ", "0.3"),
    ("calibration bins n = 999,999", "observed: 0.004, n: 24800", "observed: 0.004, n: 999999", "CH818",
     "observed: 0.004, n: ", "999999"),
    ("overall sensitivity the counts do not give", "    brier: {value: 0.0166}\n",
     "    brier: {value: 0.0166}\n    sensitivity: {value: 0.99}\n", "CH833", "sensitivity: {value: ", "0.99"),
    ("overall prevalence the counts do not give", "    brier: {value: 0.0166}\n",
     "    brier: {value: 0.0166}\n    prevalence: {value: 0.2}\n", "CH833", "prevalence: {value: ", "0.2"),
]


@pytest.mark.parametrize(("old", "new", "code", "before", "value"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_figure_that_cannot_be_true_is_an_error_at_its_value(
        registry: Path, charter: Charter, old: str, new: str, code: str, before: str, value: str) -> None:
    text = edit(registry, EVALUATION, old, new)
    exit_code, found = findings(charter, registry)
    assert exit_code == 1
    line, column = where(text, before, value)
    assert {"code": code, "severity": "error", "line": line, "column": column} in \
        [{k: f[k] for k in ("code", "severity", "line", "column")} for f in found], found


def test_the_messages_name_the_figure_and_what_it_should_be(registry: Path, charter: Charter) -> None:
    edit(registry, EVALUATION, "value: female, n: 17390", "value: female, n: 99360")
    edit(registry, EVALUATION, "auroc: {value: 0.861", "auroc: {value: 1.3")
    edit(registry, EVALUATION, "observed: 0.004, n: 24800", "observed: 0.004, n: 999999")
    result = charter("-C", registry, "validate", EVALUATION)
    assert result.code == 1
    assert "error CH815 metric auroc is 1.3, outside [0, 1]" in result.stdout
    assert "error CH817 subgroups by sex count 115,090 units, more than the 33,120 of the threshold table" \
        in result.stdout
    assert "error CH818 calibration bins count 1,008,319 units, more than the 33,120" in result.stdout


def test_subgroups_rounded_prevalence_is_no_excess(registry: Path, charter: Charter) -> None:
    """n x prevalence of the example's subgroups is 1,492 events of 1,490: the prevalences are rounded."""
    code, found = findings(charter, registry)
    assert code == 0 and not [f for f in found if f["code"] == "CH817"]


def test_without_counts_the_cohort_size_bounds_the_subgroups(registry: Path, charter: Charter) -> None:
    path = registry / EVALUATION
    data = yaml.safe_load(path.read_text())
    data["spec"].pop("thresholds")
    data["spec"].pop("operatingThreshold")
    data["spec"]["subgroups"][0]["n"] = 40000
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    code, found = findings(charter, registry)
    assert code == 1
    assert [f["message"] for f in found if f["code"] == "CH817"] == [
        "subgroups by sex count 55,730 units, more than the 33,120 of cohort:sepsis-adult-inpatients-eval@1.0.0 "
        "(its spec.size)"]


# --- another population than the cohort: warnings ---------------------------------------------------------------


def _period_of(root: Path) -> tuple[date, date]:
    spec = yaml.safe_load((root / COHORT).read_text())["spec"]
    start, end = spec["period"]["start"], spec["period"]["end"]
    return (start if isinstance(start, date) else date.fromisoformat(start),
            end if isinstance(end, date) else date.fromisoformat(end))


def _shorter_period(root: Path) -> None:
    start, end = _period_of(root)
    assert (end - start).days + 1 == 184
    edit(root, COHORT, f"end: {end.isoformat()}", f"end: {(start + timedelta(days=99)).isoformat()}")
    edit(root, EVALUATION, "  operatingThreshold: 0.6", "  periodDays: 184\n  operatingThreshold: 0.6")


COHORT_CASES: list[tuple[str, Callable[[Path], Any], str, str, str, str]] = [
    ("size", lambda root: edit(root, COHORT, "size: 33120", "size: 50000"), "CH830", "- ", "{threshold: 0.1",
     "the threshold table counts 33,120 units, but cohort:sepsis-adult-inpatients-eval@1.0.0 has 50,000"),
    ("prevalence", lambda root: edit(root, COHORT, "eventPrevalence: 0.045", "eventPrevalence: 0.09"), "CH831",
     "- ", "{threshold: 0.1", "the evaluation's prevalence is 0.04499, cohort:sepsis-adult-inpatients-eval@1.0.0's "
     "0.09"),
    ("period", _shorter_period, "CH832", "periodDays: ", "184",
     "periodDays is 184, but cohort:sepsis-adult-inpatients-eval@1.0.0's period"),
]


@pytest.mark.parametrize(("change", "code", "before", "value", "message"), [c[1:] for c in COHORT_CASES],
                         ids=[c[0] for c in COHORT_CASES])
def test_an_evaluation_of_another_population_than_its_cohort_is_a_warning(
        registry: Path, charter: Charter, change: Callable[[Path], Any], code: str, before: str, value: str,
        message: str) -> None:
    change(registry)
    exit_code, found = findings(charter, registry)
    assert exit_code == 0
    text = (registry / EVALUATION).read_text()
    line, column = where(text, before, value)
    hits = [f for f in found if f["code"] == code]
    assert [(f["severity"], f["line"], f["column"]) for f in hits] == [("warning", line, column)], found
    assert hits[0]["message"].startswith(message), hits[0]["message"]


def test_small_differences_from_the_cohort_are_within_tolerance(registry: Path, charter: Charter) -> None:
    edit(registry, COHORT, "size: 33120", "size: 33500")  # 1.1% more
    edit(registry, COHORT, "eventPrevalence: 0.045", "eventPrevalence: 0.047")  # 0.2 points, 4.5%
    code, found = findings(charter, registry)
    assert code == 0 and found == []


# --- which metrics are bounded ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("auroc", True), ("AUROC", True), ("pr_auc", True), ("alertRate", True), ("false_alarm_rate", True),
    ("recall_at_1pct_fpr", True), ("ndcg@10", True), ("F1", True), ("brier", True), ("ece", True),
    ("balanced_accuracy", True), ("median_lead_time_hours", False), ("auroc_delta", False),
    ("alert_rate_ratio", False), ("sensitivity_pct", False), ("alertsPerDay", False), ("log_loss", False),
    ("mcc", False), ("calibration_slope", False),
])
def test_a_metric_is_bounded_by_the_words_of_its_name(name: str, expected: bool) -> None:
    assert bounded(name) is expected


def test_implausible_is_what_promotion_asks() -> None:
    text = """apiVersion: charter/v1
kind: Evaluation
metadata: {name: e, version: 1.0.0, owner: o, description: d, status: active}
spec:
  model: model:m@1.0.0
  cohort: cohort:c@1.0.0
  event: event:e@1.0.0
  method: retrospective
  metrics:
    auroc: {value: 1.3}
    lead_time_hours: {value: 7.5}
  thresholds:
    - {threshold: 0.5, alertsPerDay: 1, alertRate: 0.1, sensitivity: 0.5, ppv: 0.5, specificity: 0.944,
       tp: 5, fp: 5, tn: 85, fn: 5}
  operatingThreshold: 0.5
  subgroups:
    - {name: a=x, attribute: a, value: x, n: 300, prevalence: 0.1, metrics: {auroc: 0.7}}
  evaluator: x
  date: 2026-01-01
"""
    doc, parse_findings = parse_document(text.encode(), "evaluations/e/1.0.0.yaml")
    assert doc is not None and parse_findings == []
    found = implausible(doc)
    assert [(f.code, f.line) for f in found] == [("CH815", 10), ("CH817", 17), ("CH817", 17)]  # units, events
    assert all(f.severity.value == "error" for f in found)


# --- the policy reads no implausible figure -----------------------------------------------------------------------


def test_promotion_refuses_an_evaluation_whose_figures_cannot_be_true(registry: Path, charter: Charter) -> None:
    edit(registry, EVALUATION, "auroc: {value: 0.861", "auroc: {value: 1.3")
    git(registry, "commit", "-qam", "an AUROC of 1.3")
    git(registry, "clone", "-q", "--bare", str(registry), str(registry.parent / "origin.git"))
    git(registry, "remote", "add", "origin", str(registry.parent / "origin.git"))
    head = git(registry, "rev-parse", "HEAD")
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production", "--reason", "x",
                     "--format", "json")
    assert result.code == 1, result
    checks = {c["name"]: c for c in json.loads(result.stdout)["verdict"]["checks"]}
    plausible = checks["evidence is plausible"]
    assert plausible["passed"] is False
    assert "metric auroc is 1.3, outside [0, 1]" in plausible["detail"] and EVALUATION in plausible["detail"]
    assert git(registry, "rev-parse", "HEAD") == head

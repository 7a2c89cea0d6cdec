"""`charter diff`: semantic changes by natural key, one class per change by ordered rules, and CH603."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from charter.history.diff import FieldChange, diff_entries
from charter.history.diff_rules import RULES, Rule, duration_seconds
from charter.history.revisions import breaking_without_major_bump, diff_revisions
from charter.registry.yamlio import parse_yaml
from tests.conftest import PROJECT, Charter, git

TEMPLATE = PROJECT / "registry-template"
CONTRACT = "contracts/sepsis-risk-serving/1.0.0.yaml"
EVENT = "events/sepsis-onset/2.0.0.yaml"
COHORT = "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml"
VERSION = "models/sepsis-risk/versions/1.1.0.yaml"
EVALUATION = "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml"
PRODUCTION = "environments/production.yaml"

Edit = Callable[[dict[str, Any]], None]


def load(relpath: str) -> dict[str, Any]:
    data = parse_yaml((TEMPLATE / relpath).read_text(encoding="utf-8"), relpath).data
    assert isinstance(data, dict)
    return data


def changed(relpath: str, kind: str, edit: Edit) -> list[FieldChange]:
    old = load(relpath)
    new = copy.deepcopy(old)
    edit(new)
    return diff_entries(kind, old, new)


def field(doc: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [f for f in doc["spec"]["input"]["fields"] if f["name"] == name]
    return found


def only(changes: list[FieldChange]) -> tuple[str, str, str]:
    assert len(changes) == 1, changes
    return changes[0].field, changes[0].severity, changes[0].reason


# --- contracts: each breaking rule, and the compatible changes beside it -------------------------------------------


def _remove_field(d: dict[str, Any]) -> None:
    d["spec"]["input"]["fields"] = [f for f in d["spec"]["input"]["fields"] if f["name"] != "platelets"]


def _add_field(required: bool) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        d["spec"]["input"]["fields"].append({"name": "urea", "type": "number", "description": "Serum urea.",
                                             "required": required, "missing": {"behaviour": "propagate"}})
    return edit


def _set(path: tuple[Any, ...], value: Any) -> Edit:
    """Set the value at `path`, where a string after `fields` names an input field."""
    def edit(d: dict[str, Any]) -> None:
        node: Any = d
        for part in path[:-1]:
            node = field(d, part) if isinstance(node, list) and isinstance(part, str) else node[part]
        if value is _DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return edit


_DELETE = object()
FIELDS = ("spec", "input", "fields")

CONTRACT_CASES: list[tuple[str, Edit, str, str, str]] = [
    ("input field removed", _remove_field, "spec.input.fields[platelets]", "breaking", "input field removed"),
    ("required input added", _add_field(True), "spec.input.fields[urea]", "breaking", "required input field added"),
    ("optional input added", _add_field(False), "spec.input.fields[urea]", "info", "optional input field added"),
    ("type changed", _set((*FIELDS, "heart_rate", "type"), "integer"),
     "spec.input.fields[heart_rate].type", "breaking", "type changed"),
    ("unit changed", _set((*FIELDS, "heart_rate", "unit"), "beats/min"),
     "spec.input.fields[heart_rate].unit", "breaking", "unit changed"),
    ("made required", _set((*FIELDS, "temperature", "required"), True),
     "spec.input.fields[temperature].required", "breaking", "made required"),
    ("made optional", _set((*FIELDS, "heart_rate", "required"), False),
     "spec.input.fields[heart_rate].required", "info", "made optional"),
    ("min raised", _set((*FIELDS, "heart_rate", "range", "min"), 30),
     "spec.input.fields[heart_rate].range.min", "breaking", "range tightened (min raised)"),
    ("max lowered", _set((*FIELDS, "heart_rate", "range", "max"), 250),
     "spec.input.fields[heart_rate].range.max", "breaking", "range tightened (max lowered)"),
    ("range added", _set((*FIELDS, "on_supplemental_oxygen", "range"), {"min": 0}),
     "spec.input.fields[on_supplemental_oxygen].range", "breaking", "range added"),
    ("max widened", _set((*FIELDS, "heart_rate", "range", "max"), 320),
     "spec.input.fields[heart_rate].range.max", "info", "range widened"),
    ("allowed value removed", _set((*FIELDS, "ward_type", "allowed"), ["medical", "surgical"]),
     "spec.input.fields[ward_type].allowed", "breaking", "allowed value removed"),
    ("allowed value added", _set((*FIELDS, "ward_type", "allowed"), ["medical", "surgical", "step-down", "icu"]),
     "spec.input.fields[ward_type].allowed", "info", "allowed value added"),
    ("freshness shortened", _set((*FIELDS, "heart_rate", "freshness", "maxAge"), "PT2H"),
     "spec.input.fields[heart_rate].freshness.maxAge", "breaking", "freshness tightened (maxAge shortened)"),
    ("freshness longer", _set((*FIELDS, "heart_rate", "freshness", "maxAge"), "P1D"),
     "spec.input.fields[heart_rate].freshness.maxAge", "info", "freshness loosened (maxAge longer)"),
    ("missing behaviour", _set((*FIELDS, "lactate", "missing", "behaviour"), "impute"),
     "spec.input.fields[lactate].missing.behaviour", "warning", "missing-value behaviour changed"),
    ("field description", _set((*FIELDS, "lactate", "description"), "Latest lactate."),
     "spec.input.fields[lactate].description", "info", "documentation"),
    ("latency tightened", _set(("spec", "latency", "p99Ms"), 200),
     "spec.latency.p99Ms", "breaking", "latency tightened"),
    ("timeout tightened", _set(("spec", "latency", "timeoutMs"), 1000),
     "spec.latency.timeoutMs", "breaking", "latency tightened"),
    ("latency loosened", _set(("spec", "latency", "p50Ms"), 80), "spec.latency.p50Ms", "warning", "latency loosened"),
    ("output type", _set(("spec", "output", "type"), "score"), "spec.output.type", "breaking", "output type changed"),
    ("output range", _set(("spec", "output", "range", "max"), 100),
     "spec.output.range.max", "breaking", "output range changed"),
    ("output interpretation", _set(("spec", "output", "interpretation"), "A risk score."),
     "spec.output.interpretation", "breaking", "output interpretation changed"),
    ("threshold label", _set(("spec", "output", "thresholds", 1, "label"), "red"),
     "spec.output.thresholds[0.6].label", "breaking", "output thresholds changed"),
    ("fallback removed", _set(("spec", "fallback"), _DELETE), "spec.fallback", "breaking", "fallback removed"),
    ("fallback behaviour", _set(("spec", "fallback", "behaviour"), "rule-based"),
     "spec.fallback.behaviour", "breaking", "fallback behaviour changed"),
    ("fallback description", _set(("spec", "fallback", "description"), "No score is shown."),
     "spec.fallback.description", "info", "documentation"),
    ("logging retention", _set(("spec", "logging", "retentionDays"), 365),
     "spec.logging.retentionDays", "warning", "changed"),
    ("metadata status", _set(("metadata", "status"), "deprecated"), "metadata.status", "info", "metadata changed"),
]


@pytest.mark.parametrize(("edit", "where", "severity", "reason"), [c[1:] for c in CONTRACT_CASES],
                         ids=[c[0] for c in CONTRACT_CASES])
def test_contract_rules(edit: Edit, where: str, severity: str, reason: str) -> None:
    assert only(changed(CONTRACT, "Contract", edit)) == (where, severity, reason)


def test_a_change_carries_old_new_and_a_numeric_delta() -> None:
    [change] = changed(CONTRACT, "Contract", _set((*FIELDS, "heart_rate", "range", "min"), 30))
    assert (change.op, change.old, change.new, change.delta) == ("changed", 20, 30, 10)
    old = load(CONTRACT)
    index = [f["name"] for f in old["spec"]["input"]["fields"]].index("heart_rate")
    assert change.path == ("spec", "input", "fields", index, "range", "min")  # where it is in the new document
    assert change.to_dict()["field"] == "spec.input.fields[heart_rate].range.min"


def test_every_change_gets_exactly_one_class_from_the_first_matching_rule() -> None:
    both = (Rule("Contract", "spec.latency.*", frozenset({"changed"}), "info", "first"),
            Rule("Contract", "spec.latency.**", frozenset({"changed"}), "breaking", "second"))
    old = load(CONTRACT)
    new = copy.deepcopy(old)
    new["spec"]["latency"]["p99Ms"] = 100
    [change] = diff_entries("Contract", old, new, rules=both)
    assert (change.severity, change.reason) == ("info", "first")
    assert RULES[-1].pattern == "**" and RULES[-1].severity == "warning"  # the default for any other change


# --- natural keys --------------------------------------------------------------------------------------------------


def test_reordering_keyed_lists_is_no_change() -> None:
    def reorder(d: dict[str, Any]) -> None:
        d["spec"]["input"]["fields"].reverse()
        d["spec"]["output"]["thresholds"].reverse()
        d["spec"]["logging"]["fields"].reverse()
    assert changed(CONTRACT, "Contract", reorder) == []


def test_renaming_an_input_field_is_a_removal_and_an_addition() -> None:
    changes = changed(CONTRACT, "Contract", _set((*FIELDS, "heart_rate", "name"), "pulse"))
    assert [(c.field, c.op, c.severity) for c in changes] == [
        ("spec.input.fields[heart_rate]", "removed", "breaking"),
        ("spec.input.fields[pulse]", "added", "breaking"),  # a new required field
    ]


def test_subgroups_are_compared_by_name_and_metric_deltas_are_given() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["spec"]["subgroups"].reverse()
        d["spec"]["subgroups"][0]["metrics"]["auroc"] += 0.01
    [change] = changed(EVALUATION, "Evaluation", edit)
    old = load(EVALUATION)["spec"]["subgroups"][-1]
    assert change.field == f"spec.subgroups[{old['name']}].metrics.auroc"
    assert change.severity == "warning" and change.delta == pytest.approx(0.01)


# --- event definitions, cohorts, model versions, evaluations --------------------------------------------------------


@pytest.mark.parametrize(("relpath", "kind", "edit", "where", "severity"), [
    (EVENT, "EventDefinition", _set(("spec", "logic"), "A positive blood culture."), "spec.logic", "breaking"),
    (EVENT, "EventDefinition", _set(("spec", "timeAnchor"), "Admission."), "spec.timeAnchor", "breaking"),
    (EVENT, "EventDefinition", _set(("spec", "windows", 0, "end"), 96), None, "breaking"),
    (EVENT, "EventDefinition", _set(("spec", "inclusion"), ["Age 16 or over."]), "spec.inclusion", "breaking"),
    (EVENT, "EventDefinition", _set(("spec", "implementation", "hash"), "sha256:" + "0" * 64),
     "spec.implementation.hash", "breaking"),
    (EVENT, "EventDefinition", _set(("spec", "description"), "Sepsis onset."), "spec.description", "info"),
    (COHORT, "Cohort", _set(("spec", "sites"), ["northgate", "riverside"]), "spec.sites", "breaking"),
    (COHORT, "Cohort", _set(("spec", "period", "end"), "2025-11-30"), "spec.period.end", "breaking"),
    (COHORT, "Cohort", _set(("spec", "exclusion"), []), "spec.exclusion", "breaking"),
    (COHORT, "Cohort", _set(("spec", "dataSource", "snapshot"), "clarity-2026-03-01"),
     "spec.dataSource.snapshot", "breaking"),
    (COHORT, "Cohort", _set(("spec", "labelEvent"), "event:sepsis-onset@1.0.0"), "spec.labelEvent", "breaking"),
    (COHORT, "Cohort", _set(("spec", "size"), 33000), "spec.size", "warning"),
    (COHORT, "Cohort", _set(("metadata", "description"), "Hold-out."), "metadata.description", "info"),
    (VERSION, "ModelVersion", _set(("spec", "artifact", "hash"), "0" * 32), "spec.artifact.hash", "breaking"),
    (VERSION, "ModelVersion", _set(("spec", "notes"), "Retrained."), "spec.notes", "info"),
])
def test_event_cohort_and_model_version_rules(relpath: str, kind: str, edit: Edit, where: str | None,
                                              severity: str) -> None:
    changes = changed(relpath, kind, edit)
    assert changes and {c.severity for c in changes} == {severity}, changes
    if where is not None:
        assert {c.field for c in changes} == {where}


def test_a_code_added_to_a_code_set_is_breaking() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["spec"]["codeSets"]["blood-culture"]["codes"].append("600-8")
    [change] = changed(EVENT, "EventDefinition", edit)
    assert (change.field, change.op, change.new, change.severity) == \
        ("spec.codeSets.blood-culture.codes", "added", "600-8", "breaking")


def test_model_version_metrics_are_information_with_their_delta() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["spec"]["metrics"]["auroc"] = 0.87
        d["spec"]["metrics"]["ece"] = 0.02
        del d["spec"]["metrics"]["brier"]
    changes = {c.field: c for c in changed(VERSION, "ModelVersion", edit)}
    assert {f: (c.op, c.severity) for f, c in changes.items()} == {
        "spec.metrics.brier": ("removed", "info"), "spec.metrics.auroc": ("changed", "info"),
        "spec.metrics.ece": ("added", "info")}
    assert changes["spec.metrics.auroc"].delta == pytest.approx(0.87 - 0.861)
    assert changes["spec.metrics.auroc"].reason == "metric changed"


def test_evaluation_metric_changes_are_warnings_with_deltas() -> None:
    [change] = changed(EVALUATION, "Evaluation", _set(("spec", "metrics", "auroc", "value"), 0.85))
    assert (change.field, change.severity, change.reason) == ("spec.metrics.auroc.value", "warning", "metric changed")
    assert change.delta == pytest.approx(0.85 - 0.861)


def test_durations() -> None:
    assert duration_seconds("PT4H") == 4 * 3600
    assert duration_seconds("P1DT30M") == 86400 + 1800
    assert duration_seconds("P1M") == 30 * 86400  # a month, not a minute
    assert duration_seconds("soon") is None


def test_breaking_without_major_bump() -> None:
    old = load(CONTRACT)
    new = copy.deepcopy(old)
    _remove_field(new)
    new["metadata"]["version"] = "1.1.0"
    assert [c.reason for c in breaking_without_major_bump("Contract", old, new)] == ["input field removed"]
    new["metadata"]["version"] = "2.0.0"
    assert breaking_without_major_bump("Contract", old, new) == []
    old_version, new_version = load(VERSION), load(VERSION)
    new_version["spec"]["artifact"]["hash"] = "0" * 32
    assert breaking_without_major_bump("ModelVersion", old_version, new_version) == []  # versions promise no API


# --- the command ---------------------------------------------------------------------------------------------------


def new_version(root: Path, version: str, edit: Callable[[str], str]) -> Path:
    target = root / f"contracts/sepsis-risk-serving/{version}.yaml"
    text = (root / CONTRACT).read_text().replace("version: 1.0.0", f"version: {version}", 1)
    target.write_text(edit(text))
    return target


def unit_to_beats(text: str) -> str:
    return text.replace("unit: bpm", "unit: beats/min", 1)


def without_platelets(text: str) -> str:
    new, count = re.subn(r"^      - name: platelets\n(?:        .*\n)+", "", text, flags=re.M)
    assert count == 1
    return new


def test_text_output_names_fields_by_natural_key(registry: Path, charter: Charter) -> None:
    new_version(registry, "2.0.0", unit_to_beats)
    result = charter("-C", registry, "diff", "contract:sepsis-risk-serving@1.0.0", "contract:sepsis-risk-serving@2.0.0")
    assert result.code == 0, result
    assert "spec.input.fields[heart_rate].unit: bpm → beats/min  BREAKING (unit changed)" in result.stdout
    assert "1 breaking, 0 warnings, 0 info" in result.stdout


def test_json_output_has_a_summary_per_class(registry: Path, charter: Charter) -> None:
    new_version(registry, "1.1.0", lambda t: without_platelets(t).replace("p50Ms: 50", "p50Ms: 60"))
    result = charter("-C", registry, "diff", "contract:sepsis-risk-serving@1.0.0", "contract:sepsis-risk-serving@1.1.0",
                     "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["compares"] == "references"
    assert {k: data["summary"][k] for k in ("breaking", "warning", "info")} == {"breaking": 1, "warning": 1, "info": 0}
    [entry] = data["entries"]
    assert entry["previous"] == "contract:sepsis-risk-serving@1.0.0"
    assert [(c["field"], c["severity"]) for c in entry["changes"]] == [
        ("spec.input.fields[platelets]", "breaking"), ("spec.latency.p50Ms", "warning")]
    assert entry["changes"][1]["delta"] == 10


def test_references_must_be_of_one_kind_and_not_mixed_with_revisions(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "diff", "contract:sepsis-risk-serving@1.0.0", "event:sepsis-onset@2.0.0")
    assert result.code == 2 and "only entries of one kind compare" in result.stderr
    result = charter("-C", registry, "diff", "contract:sepsis-risk-serving@1.0.0", "HEAD")
    assert result.code == 2 and "two git revisions" in result.stderr
    result = charter("-C", registry, "diff", "contract:sepsis-risk-serving@1.0.0", "contract:sepsis-risk-serving@9.0.0")
    assert result.code == 2 and "existing versions: 1.0.0" in result.stderr


def promote_in_a_commit(registry: Path) -> None:
    """A new contract version and a production promotion (1.0.0 → 1.1.0, plus a canary) in one commit."""
    new_version(registry, "1.1.0", lambda t: t.replace("p99Ms: 300", "p99Ms: 250"))
    path = registry / PRODUCTION
    text = path.read_text().replace("model: model:sepsis-risk@1.0.0", "model: model:sepsis-risk@1.1.0", 1)
    text = text.replace("    - model: model:card-fraud@3.2.0\n",
                        "    - model: model:card-fraud@3.3.0\n      mode: canary\n      percent: 10\n"
                        "    - model: model:card-fraud@3.2.0\n", 1)
    path.write_text(text)
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", "promote sepsis-risk 1.1.0, canary card-fraud 3.3.0")


def test_revisions_list_entries_and_promotions(registry: Path) -> None:
    promote_in_a_commit(registry)
    result = diff_revisions(registry, "HEAD~1", "HEAD")
    by_path = {e.path: e for e in result.entries}
    assert set(by_path) == {"contracts/sepsis-risk-serving/1.1.0.yaml", PRODUCTION}
    added = by_path["contracts/sepsis-risk-serving/1.1.0.yaml"]
    assert (added.status, added.ref, added.previous) == \
        ("added", "contract:sepsis-risk-serving@1.1.0", "contract:sepsis-risk-serving@1.0.0")
    assert [(c.field, c.severity) for c in added.changes] == [("spec.latency.p99Ms", "breaking")]
    assert by_path[PRODUCTION].status == "changed"
    assert "spec.assignments[model:card-fraud@3.3.0]" in {c.field for c in by_path[PRODUCTION].changes}
    moves = {(p.environment, p.model, p.op, p.old_mode, p.new_mode, p.new_percent) for p in result.promotions}
    assert moves == {
        ("production", "model:sepsis-risk@1.1.0", "added", None, "full", None),
        ("production", "model:card-fraud@3.3.0", "added", None, "canary", 10),
        ("production", "model:sepsis-risk@1.0.0", "removed", "full", None, None),
    }
    assert result.summary()["entries"] == {"added": 1, "removed": 0, "changed": 1}


def test_the_work_tree_is_the_default_and_untracked_files_count(registry: Path, charter: Charter) -> None:
    new_version(registry, "1.1.0", unit_to_beats)  # not added to git
    (registry / "events/sepsis-onset/1.0.0.yaml").unlink()
    result = charter("-C", registry, "diff", "HEAD", "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["new"] is None
    assert {(e["path"], e["status"]) for e in data["entries"]} == {
        ("contracts/sepsis-risk-serving/1.1.0.yaml", "added"), ("events/sepsis-onset/1.0.0.yaml", "removed")}


def test_unchanged_revisions(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "diff", "HEAD", "HEAD")
    assert result.code == 0 and "no semantic changes" in result.stdout


def test_markdown_reads_as_a_pull_request_comment(registry: Path, charter: Charter) -> None:
    promote_in_a_commit(registry)
    result = charter("-C", registry, "diff", "HEAD~1", "HEAD", "--format", "markdown")
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0] == "## Charter diff: `HEAD~1` → `HEAD`"
    summary = lines[2]
    assert summary.startswith("**1 breaking** · ") and "entries: 1 added, 0 removed, 1 changed" in summary
    assert "3 promotions" in summary
    assert "### `contract:sepsis-risk-serving@1.1.0` (added)" in lines
    assert "| class | field | old → new | reason |" in lines
    assert "| 🔴 breaking | `spec.latency.p99Ms` | `300` → `250` (-50) | latency tightened |" in lines
    assert "### Promotions" in lines
    assert "| production | `model:card-fraud@3.3.0` | assigned (canary 10%) |" in lines
    for line in lines:  # every table row has its four (or three) cells: no stray pipes from values
        if line.startswith("| 🔴") or line.startswith("| 🟡") or line.startswith("| 🔵"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 5, line


# --- CH603 ---------------------------------------------------------------------------------------------------------


def ch603(charter: Charter, root: Path) -> list[dict[str, Any]]:
    result = charter("-C", root, "validate", "--base", "HEAD", "--format", "json")
    assert result.code in (0, 1), result
    return [f for f in json.loads(result.stdout)["findings"] if f["code"] == "CH603"]


def test_ch603_breaking_change_without_a_major_bump(registry: Path, charter: Charter) -> None:
    path = new_version(registry, "1.1.0", without_platelets)
    [f] = ch603(charter, registry)
    text = path.read_text()
    fields_line = next(n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "fields:")
    assert (f["path"], f["severity"], f["line"]) == ("contracts/sepsis-risk-serving/1.1.0.yaml", "error", fields_line)
    assert "spec.input.fields[platelets]" in f["message"] and "input field removed" in f["message"]
    assert "2.0.0" in f["hint"] and "contracts/sepsis-risk-serving/2.0.0.yaml" in f["hint"]


def test_ch603_points_at_the_first_breaking_change(registry: Path, charter: Charter) -> None:
    path = new_version(registry, "1.1.0", lambda t: unit_to_beats(t).replace("p99Ms: 300", "p99Ms: 250"))
    [f] = ch603(charter, registry)
    unit_line = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if "unit: beats/min" in line)
    assert f["line"] == unit_line and "(and 1 more)" in f["message"]


def test_no_ch603_with_a_major_bump_or_a_compatible_change(registry: Path, charter: Charter) -> None:
    new_version(registry, "2.0.0", without_platelets)
    assert ch603(charter, registry) == []
    shutil.rmtree(registry / "contracts/sepsis-risk-serving")
    git(registry, "checkout", "-q", "--", "contracts")
    new_version(registry, "1.1.0", lambda t: t.replace("p99Ms: 300", "p99Ms: 400"))  # loosened: a warning
    assert ch603(charter, registry) == []


def test_ch603_only_for_versions_added_since_the_base(registry: Path, charter: Charter) -> None:
    new_version(registry, "1.1.0", without_platelets)
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", "1.1.0")
    assert ch603(charter, registry) == []  # already on the base: CH601 guards it from here on

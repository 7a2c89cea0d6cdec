"""`charter monitor record` and `monitor history`: records checked where they were written, one file and one
commit each, and a model's figures across versions and time. Real registry, real git, the CLI as a user runs it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from charter import Registry
from charter.deployment.model_performance import PerformancePoint, performance_history
from charter.registry.kinds import NAME_RE
from tests.conftest import Charter, git
from tests.helpers import HEALTH


def records(registry: Path) -> list[str]:
    return sorted(p.name for p in (registry / "records").glob("*.yaml"))


def head(registry: Path) -> str:
    return git(registry, "rev-parse", "HEAD").strip()


def test_health_report_becomes_one_committed_record(registry: Path, charter: Charter, tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH)
    before = records(registry)
    result = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                     "--file", "health.yaml")
    assert result.code == 0, result
    [added] = sorted(set(records(registry)) - set(before))
    assert added.startswith("20261123-060000-sepsis-risk-1-0-0-production-health-")
    assert NAME_RE.match(added.removesuffix(".yaml"))
    document = yaml.safe_load((registry / "records" / added).read_text())
    assert document["metadata"]["name"] == added.removesuffix(".yaml")
    assert document["spec"]["model"] == "model:sepsis-risk@1.0.0"
    assert document["spec"]["environment"] == "production"
    assert document["spec"]["health"]["alertsPerDay"] == 5.9
    assert git(registry, "status", "--porcelain") == ""
    assert git(registry, "log", "-1", "--format=%s") .strip() == \
        "Record health of model:sepsis-risk@1.0.0 in production"
    # the first record of the model's team also lists that team for records/ in CODEOWNERS, in the same commit
    assert git(registry, "show", "--name-only", "--format=", "HEAD").split() == ["CODEOWNERS", f"records/{added}"]
    assert charter("-C", registry, "validate").code == 0


def test_json_input_and_a_type_from_the_command_line(registry: Path, charter: Charter, tmp_path: Path) -> None:
    (tmp_path / "event.json").write_text(json.dumps({"reporter": "argo-cd", "at": "2026-11-20T10:00:00Z",
                                                     "details": "synced"}))
    result = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.1.0", "--env", "staging",
                     "--file", "event.json", "--type", "deployed", "--format", "json")
    assert result.code == 0, result
    answer = json.loads(result.stdout)
    assert answer["recorded"] is True and answer["commit"] == head(registry)
    assert answer["document"]["spec"]["type"] == "deployed"
    assert (registry / answer["path"]).is_file()


def test_no_commit_writes_only_the_file(registry: Path, charter: Charter, tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH)
    before = head(registry)
    result = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                     "--file", "health.yaml", "--no-commit")
    assert result.code == 0, result
    assert head(registry) == before
    assert sorted(line[:3] + line[3:].split("/")[0] for line in git(registry, "status", "--porcelain").splitlines()) \
        == [" M CODEOWNERS", "?? records"]


def test_parallel_writers_get_distinct_files(registry: Path, charter: Charter, tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH)
    for _ in range(3):  # the same report three times, same second: three files, nothing overwritten
        assert charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                       "--file", "health.yaml", "--no-commit").code == 0
    assert len([r for r in records(registry) if r.startswith("20261123-060000")]) == 3


def test_bad_values_are_reported_at_their_line_and_nothing_is_written(registry: Path, charter: Charter,
                                                                       tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH.replace("errorRate: 0.001", "errorRate: -0.1"))
    before, commit = records(registry), head(registry)
    result = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                     "--file", "health.yaml")
    assert result.code == 1
    assert "health.yaml:9:14: error CH204 spec.health.errorRate: -0.1 is less than the minimum of 0" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert records(registry) == before and head(registry) == commit
    assert git(registry, "status", "--porcelain") == ""


def test_missing_reporter_is_named(registry: Path, charter: Charter, tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH.replace("reporter: monitoring/weekly-health\n", ""))
    result = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                     "--file", "health.yaml", "--format", "json")
    assert result.code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["line"]) for f in findings] == [("CH202", 1)]
    assert "reporter" in findings[0]["message"]


def test_future_dates_and_disagreements_are_findings(registry: Path, charter: Charter, tmp_path: Path) -> None:
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = HEALTH.replace("at: 2026-11-23T06:00:00Z", f"at: {future}") + "environment: staging\n"
    (tmp_path / "health.yaml").write_text(text)
    result = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                     "--file", "health.yaml")
    assert result.code == 1
    assert f"health.yaml:3:5: error CH811 at {future} is in the future" in result.stdout
    assert "health.yaml:11:14: error CH812 the file says environment 'staging'" in result.stdout


def test_report_before_its_period_ends_is_a_warning(registry: Path, charter: Charter, tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH.replace("at: 2026-11-23T06:00:00Z", "at: 2026-11-22T06:00:00Z"))
    result = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                     "--file", "health.yaml")
    assert result.code == 0, result
    assert "health.yaml:6:8: warning CH813 the report (at 2026-11-22T06:00:00Z) was made before its period ends" \
        in result.stdout
    assert "recorded health" in result.stdout


def test_unknown_version_environment_or_file_is_a_usage_error(registry: Path, charter: Charter,
                                                              tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH)
    before = records(registry)
    unknown = charter("-C", registry, "monitor", "record", "model:sepsis-risk@9.9.9", "--env", "production",
                      "--file", "health.yaml")
    assert unknown.code == 2 and "model:sepsis-risk@9.9.9 does not exist" in unknown.stderr
    assert "existing versions: 1.0.0, 1.1.0" in unknown.stderr
    env = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "prod",
                  "--file", "health.yaml")
    assert env.code == 2 and "'prod' is not an environment" in env.stderr
    missing = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                      "--file", "nope.yaml")
    assert missing.code == 2 and "nope.yaml: no such file" in missing.stderr
    (tmp_path / "broken.json").write_text('{"type": "health",\n  "at": }')
    broken = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                     "--file", "broken.json")
    assert broken.code == 2 and "broken.json:2:9: not valid JSON" in broken.stderr
    assert records(registry) == before
    assert "Traceback" not in unknown.stderr + env.stderr + missing.stderr + broken.stderr


def test_performance_history_joins_evaluations_and_records(registry: Path, charter: Charter,
                                                           tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH)
    # the example's own weekly record may have the same dates (init moves them forward by whole weeks)
    before = {p.entry for p in performance_history(Registry(registry).index, "sepsis-risk")}
    assert charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                   "--file", "health.yaml").code == 0
    points = performance_history(Registry(registry).index, "sepsis-risk")
    assert points == sorted(points, key=lambda p: p.date[:10])
    auroc = [p for p in points if p.metric == "auroc"]
    assert [p.version for p in auroc] == ["1.0.0", "1.1.0", "1.1.0"]  # 1.1.0: from counts and from predictions
    assert all(p.source == "evaluation" and p.ci_lower is not None and p.cohort for p in auroc)
    mine = [p for p in points if p.source == "record" and p.date == "2026-11-23T06:00:00Z" and p.entry not in before]
    assert PerformancePoint("1.0.0", "record", "2026-11-23T06:00:00Z", "alertsPerDay", 5.9, None, None,
                            "production", None, mine[0].entry) in mine
    assert {p.metric for p in mine} == {"latencyP99Ms", "errorRate", "alertsPerDay"}
    assert performance_history(Registry(registry).index, "card-fraud")[0].version.startswith("3.")

    shown = charter("-C", registry, "monitor", "history", "sepsis-risk", "--metric", "alertsPerDay",
                    "--format", "json")
    assert shown.code == 0
    listed = json.loads(shown.stdout)["points"]
    assert {p["metric"] for p in listed} == {"alertsPerDay"}
    assert {p["source"] for p in listed} == {"evaluation", "record"}
    table = charter("-C", registry, "monitor", "history", "sepsis-risk", "--metric", "auroc")
    assert "auroc" in table.stdout and "alertsPerDay" not in table.stdout
    assert charter("-C", registry, "monitor", "history", "no-such-model").code == 2


def test_validate_checks_records_written_by_other_tools(registry: Path, charter: Charter, write: Any) -> None:
    future = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    write("records/hand-written.yaml", f"""\
apiVersion: charter/v1
kind: DeploymentRecord
metadata:
  name: hand-written
  owner: team-ml-platform
  description: Written by hand, with two mistakes.
  status: active
spec:
  model: model:sepsis-risk@1.0.0
  environment: prod
  type: deployed
  at: {future}
  reporter: a person
""")
    result = charter("-C", registry, "validate", "records/hand-written.yaml")
    assert result.code == 1
    assert "records/hand-written.yaml:10:16: error CH814 environment 'prod' is not declared" in result.stdout
    assert f"records/hand-written.yaml:12:7: error CH811 at {future} is in the future" in result.stdout

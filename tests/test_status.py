"""`charter status`: intent (environment files) against reports (records), drift named and signalled by exit 1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from charter import Registry
from charter.deployment.status import (
    DIFFERENT_VERSION,
    IN_SYNC,
    NOT_ASSIGNED,
    NOT_DEPLOYED,
    ROLLED_BACK,
    compute_status,
)
from tests.conftest import Charter


def ago(days: float) -> str:
    """A timestamp `days` before now: `charter init` moves the example's dates to today, so must these."""
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(charter: Charter, registry: Path, model: str, env: str, kind: str, at: str, tmp_path: Path,
           extra: str = "") -> None:
    """What a deploy system does: write its event and hand it to `charter monitor record`."""
    source = tmp_path / "event.yaml"
    source.write_text(f"type: {kind}\nat: {at}\nreporter: argo-cd\n{extra}")
    result = charter("-C", registry, "monitor", "record", model, "--env", env, "--file", source, "--no-commit")
    assert result.code == 0, result


def rows(charter: Charter, registry: Path, env: str) -> tuple[int, dict[str, Any]]:
    result = charter("-C", registry, "status", "--env", env, "--format", "json")
    answer = json.loads(result.stdout)
    return result.code, {row["model"]: row for row in answer["models"]}


def test_example_registry_production(registry: Path, charter: Charter) -> None:
    code, found = rows(charter, registry, "production")
    assert code == 1  # card-fraud 3.2.0 is assigned but no deploy system reported it
    assert found["sepsis-risk"]["state"] == IN_SYNC
    assert found["sepsis-risk"]["running"] == ["1.0.0"]
    assert found["sepsis-risk"]["health"]["values"]["alertsPerDay"] == 5.4
    assert found["card-fraud"]["state"] == NOT_DEPLOYED
    assert found["card-fraud"]["running"] == []


def test_reporting_the_deployment_brings_it_in_sync(registry: Path, charter: Charter, tmp_path: Path) -> None:
    report(charter, registry, "model:card-fraud@3.2.0", "production", "deployed", "2026-06-09T06:10:00Z", tmp_path)
    code, found = rows(charter, registry, "production")
    assert code == 0
    assert {row["state"] for row in found.values()} == {IN_SYNC}
    table = charter("-C", registry, "status", "--env", "production")
    assert table.code == 0 and "everything runs as assigned" in table.stdout


def test_canary_beside_the_full_rollout(registry: Path, charter: Charter, tmp_path: Path) -> None:
    report(charter, registry, "model:card-fraud@3.2.0", "dev", "deployed", "2026-05-13T10:30:00Z", tmp_path)
    _, found = rows(charter, registry, "dev")
    assert found["card-fraud"]["state"] == DIFFERENT_VERSION  # the 3.3.0 canary is not reported yet
    report(charter, registry, "model:card-fraud@3.3.0", "dev", "canary-started", "2026-10-07T11:10:00Z", tmp_path)
    _, found = rows(charter, registry, "dev")
    assert found["card-fraud"]["state"] == IN_SYNC
    assert found["card-fraud"]["running"] == ["3.2.0", "3.3.0"]


def test_a_different_version_runs(registry: Path, charter: Charter, tmp_path: Path) -> None:
    report(charter, registry, "model:sepsis-risk@1.1.0", "production", "deployed", ago(2), tmp_path)
    code, found = rows(charter, registry, "production")
    assert code == 1
    row = found["sepsis-risk"]
    assert row["state"] == DIFFERENT_VERSION and row["running"] == ["1.1.0"]
    assert row["detail"] == "assigned 1.0.0, running 1.1.0"
    assert row["lastEvent"]["type"] == "deployed"
    text = charter("-C", registry, "status", "--env", "production")
    assert "✗ production/sepsis-risk: assigned 1.0.0, running 1.1.0" in text.stdout


def test_rolled_back_version_and_the_one_before_it(registry: Path, charter: Charter, tmp_path: Path) -> None:
    report(charter, registry, "model:sepsis-risk@1.0.0", "production", "rolled-back", ago(2),
           tmp_path, "details: alert storm on ward 4B\n")
    _, found = rows(charter, registry, "production")
    row = found["sepsis-risk"]
    assert row["state"] == ROLLED_BACK and row["running"] == []
    assert "1.0.0 was rolled back; nothing runs" in row["detail"]
    # a later redeployment of the assigned version settles it again
    report(charter, registry, "model:sepsis-risk@1.0.0", "production", "deployed", ago(1), tmp_path)
    assert rows(charter, registry, "production")[1]["sepsis-risk"]["state"] == IN_SYNC


def test_rollback_returns_to_the_version_deployed_before(registry: Path, tmp_path: Path, charter: Charter) -> None:
    report(charter, registry, "model:sepsis-risk@1.1.0", "production", "deployed", ago(2), tmp_path)
    report(charter, registry, "model:sepsis-risk@1.1.0", "production", "rolled-back", ago(1), tmp_path)
    opened = Registry(registry)
    status = compute_status(opened.index, opened.config, "production", now=datetime.now(UTC) + timedelta(days=10))
    row = next(r for r in status.rows if r.model == "sepsis-risk")
    assert row.running == ("1.0.0",) and row.state == IN_SYNC
    assert row.last_event_type == "rolled-back"
    assert row.health is not None and row.health.age_days is not None and row.health.age_days >= 10


def test_running_without_assignment(registry: Path, charter: Charter, tmp_path: Path) -> None:
    report(charter, registry, "model:sepsis-risk@1.0.0", "dev", "deployed", "2026-03-01T08:00:00Z", tmp_path)
    env = registry / "environments" / "dev.yaml"
    text = env.read_text()
    start = text.index("    - model: model:sepsis-risk@1.1.0")
    env.write_text(text[:start] + text[text.index("    - model: model:card-fraud@3.2.0"):])
    _, found = rows(charter, registry, "dev")
    assert found["sepsis-risk"]["state"] == NOT_ASSIGNED
    assert found["sepsis-risk"]["expected"] == []


def test_latest_outcome_figures(registry: Path, charter: Charter, tmp_path: Path) -> None:
    outcome = ("period:\n  start: 2026-08-01T00:00:00Z\n  end: 2026-11-01T00:00:00Z\n"
               "outcomes:\n  actionRate: 0.61\n  measures:\n    time_to_antibiotics_minutes_median: 131\n")
    report(charter, registry, "model:sepsis-risk@1.0.0", "production", "outcome", ago(1), tmp_path, outcome)
    _, found = rows(charter, registry, "production")
    assert found["sepsis-risk"]["outcome"]["values"] == {"actionRate": 0.61, "time_to_antibiotics_minutes_median": 131}
    text = charter("-C", registry, "status")
    assert "production/sepsis-risk outcome of 1.0.0: actionRate 0.61, time_to_antibiotics_minutes_median 131" \
        in text.stdout


def test_unknown_environment_is_a_usage_error(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "status", "--env", "prod")
    assert result.code == 2
    assert "'prod' is not an environment" in result.stderr and "production" in result.stderr


def test_python_api_for_deploy_jobs(registry: Path, tmp_path: Path) -> None:
    """A deploy job records through the API and reads the verdict back without a subprocess."""
    api = Registry(registry)
    assert not api.status("production").in_sync
    event = tmp_path / "deployed.json"
    event.write_text(json.dumps({"type": "deployed", "reporter": "spinnaker", "at": ago(1)}))
    ref = api.record("model:card-fraud@3.2.0", "production", event)
    assert ref.startswith("record:") and api.index.get(ref) is not None  # re-read after the write
    assert api.status("production").in_sync
    assert api.lineage("event:chargeback-fraud@1.0.0", impact=True).node("model:card-fraud@3.2.0") is not None
    assert any(p.metric == "auroc" for p in api.performance("card-fraud"))

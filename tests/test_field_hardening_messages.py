"""What a new user met in the field: each message says what is really wrong and what to type instead."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tests.conftest import Charter, git
from tests.helpers import PROJECT, no_traceback, object_path, remote_folder


def test_pull_tells_a_missing_remote_object_from_a_missing_pointer(tmp_path: Path, charter: Charter) -> None:
    assert charter("init", tmp_path / "own").code == 0
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tmp_path / "own"), str(clone))  # no cache: the remote is the only source
    version = yaml.safe_load((clone / "models/sepsis-risk/versions/1.0.0.yaml").read_text())
    digest = version["spec"]["artifact"]["hash"]
    stored = object_path(remote_folder(clone), digest)
    stored.chmod(0o644)
    stored.unlink()
    gone = charter("-C", clone, "pull", "sepsis-risk", "--env", "production", "-o", tmp_path / "a.onnx")
    no_traceback(gone)
    assert gone.code == 2, gone
    assert ".dvc file is missing" not in gone.stderr and "remote" in gone.stderr and "dvc push" in gone.stderr
    (clone / "artifacts/sepsis-risk/1.0.0/model.onnx.dvc").unlink()
    untracked = charter("-C", clone, "pull", "sepsis-risk", "--env", "production", "-o", tmp_path / "b.onnx")
    assert untracked.code == 2 and ".dvc file is missing" in untracked.stderr, untracked


def test_monitor_history_matches_a_metric_whatever_its_case_and_suggests_a_close_one(registry: Path,
                                                                                    charter: Charter) -> None:
    exact = charter("-C", registry, "monitor", "history", "sepsis-risk", "--metric", "alertsPerDay",
                    "--format", "json")
    assert exact.code == 0 and json.loads(exact.stdout)["points"], exact
    lower = charter("-C", registry, "monitor", "history", "sepsis-risk", "--metric", "alertsperday",
                    "--format", "json")
    assert lower.code == 0 and json.loads(lower.stdout) == json.loads(exact.stdout), lower
    typo = charter("-C", registry, "monitor", "history", "sepsis-risk", "--metric", "alertPerDay")
    no_traceback(typo)
    assert typo.code == 2 and "did you mean alertsPerDay" in typo.stderr, typo


def test_lineage_records_without_impact_is_a_usage_error(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "lineage", "model:sepsis-risk@1.0.0", "--records")
    no_traceback(result)
    assert result.code == 2 and "--impact" in result.stderr, result
    assert charter("-C", registry, "lineage", "model:sepsis-risk@1.0.0", "--records", "--impact").code == 0


def test_the_report_shows_each_environment_its_own_last_record(registry: Path, charter: Charter,
                                                               tmp_path: Path) -> None:
    dev = registry / "environments/dev.yaml"
    dev.write_text(dev.read_text().replace("model:sepsis-risk@1.1.0", "model:sepsis-risk@1.0.0"))
    assert charter("-C", registry, "report", "-o", tmp_path / "site").code == 0
    page = (tmp_path / "site/models/sepsis-risk.html").read_text()
    running = page[page.index('id="running"'):page.index('id="versions"')]
    rows = {re.search(r"<td>(\w+)</td>", row).group(1): row  # type: ignore[union-attr]
            for row in running.split("<tr>")[2:]}
    assert "sepsis-risk-1-0-0-production-health" in rows["production"], rows["production"]
    assert "records/" not in rows["dev"] and "no record" in rows["dev"], rows["dev"]


def test_evaluate_record_shows_the_warnings_promote_later_refuses_on(registry: Path, charter: Charter,
                                                                    tmp_path: Path) -> None:
    data = json.loads((PROJECT / "tests/data/evaluate/sepsis-risk-1.2.0.json").read_text())
    data["invariants"] = [i for i in data["invariants"] if i["name"] != "septic-picture-scores-high"]
    results = tmp_path / "results.json"
    results.write_text(json.dumps(data))
    args = ("-C", registry, "evaluate", "record", "model:sepsis-risk@1.1.0", "--cohort",
            "cohort:sepsis-adult-inpatients-eval@1.0.0", "--results", results)
    recorded = charter(*args)
    assert recorded.code == 0, recorded
    assert "CH803" in recorded.stdout and "septic-picture-scores-high" in recorded.stdout, recorded
    as_json = charter(*args, "--version", "1.2.0", "--format", "json")
    assert as_json.code == 0, as_json
    assert [f["code"] for f in json.loads(as_json.stdout)["findings"]] == ["CH803"]


def test_ch508_names_the_new_folder_owner_rather_than_the_policy(registry: Path, charter: Charter) -> None:
    source = registry / "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml"
    copy = registry / "cohorts/sepsis-copy/1.0.0.yaml"
    copy.parent.mkdir()
    copy.write_text(source.read_text().replace("name: sepsis-adult-inpatients-eval", "name: sepsis-copy", 1)
                    .replace("owner: ", "owner: team-newcomers  # was: ", 1))
    result = charter("-C", registry, "validate", "--format", "json")
    [ch508] = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "CH508"]
    assert "/cohorts/sepsis-copy/ @team-newcomers" in ch508["message"], ch508
    assert "policy" not in ch508["message"], ch508

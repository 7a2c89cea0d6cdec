"""Evaluations computed from predictions (issue 14), end to end on a real `charter init` registry with real DVC.

`evaluate record --predictions` on synthetic rows (tests/helpers.py `write_predictions`): every figure it writes is
computed again here by other libraries (scikit-learn, statsmodels, a numpy loop) on the same rows. `evaluate verify`
and `validate --verify-evidence` find hand edits, a swapped file and a file no one can fetch; bad files are refused
at file:line:column with nothing written; the production policy's statistical requirements pass and fail as
docs/policy.md says, through `gate` and `promote`.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import Charter, git, md5, no_traceback, object_path, remote_folder, write_predictions

np = pytest.importorskip("numpy")
metrics = pytest.importorskip("sklearn.metrics")
sm = pytest.importorskip("statsmodels.api")
proportion = pytest.importorskip("statsmodels.stats.proportion")
contingency = pytest.importorskip("statsmodels.stats.contingency_tables")

MODEL, CURRENT = "model:sepsis-risk@1.1.0", "model:sepsis-risk@1.0.0"
COHORT = "cohort:sepsis-adult-inpatients-eval@1.0.0"
REF = "evaluation:sepsis-risk-1-1-0-retro@1.1.0"
ENTRY = "evaluations/sepsis-risk-1-1-0-retro/1.1.0.yaml"
EVIDENCE = "evidence/sepsis-risk-1-1-0-retro/1.1.0"
COUNTS_REF = "evaluation:sepsis-risk-1-1-0-retro@1.0.0"  # the template's, recorded from counts
PAIRED = ("--baseline", CURRENT, "--baseline-score", "baseline")


def record(charter: Charter, registry: Path, predictions: Path, *extra: str, model: str = MODEL) -> Any:
    return charter("-C", registry, "evaluate", "record", model, "--cohort", COHORT, "--predictions", predictions,
                   "--subgroup", "site", "--seed", "7", *extra)


def recorded(registry: Path, relpath: str = ENTRY) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((registry / relpath).read_text(encoding="utf-8"))["spec"]
    return spec


def rows_of(path: Path) -> dict[str, Any]:
    """The file's columns as numpy arrays, read without Charter (csv module or pyarrow)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path).to_pydict()
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            found = list(csv.DictReader(handle))
        table = {k: [r[k] for r in found] for k in found[0]}
    times = np.array([np.datetime64(str(t).removesuffix("Z")) for t in table["time"]], dtype="datetime64[s]")
    return {"score": np.array(table["score"], dtype=float), "baseline": np.array(table["baseline"], dtype=float),
            "label": np.array(table["label"], dtype=int), "site": np.array(table["site"]), "time": times}


def edit(path: Path, old: str, new: str, after: str = "") -> int:
    """Replace the first line holding `old` at or after the first line holding `after`; its 1-based number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if after in line)
    at = next(i for i in range(start, len(lines)) if old in lines[i])
    lines[at] = lines[at].replace(old, new)
    path.write_text("\n".join(lines), encoding="utf-8")
    return at + 1


def verify(charter: Charter, registry: Path, ref: str = REF) -> Any:
    return charter("-C", registry, "evaluate", "verify", ref)


def commit(registry: Path, message: str) -> None:
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", message)


# --- 1. every figure, computed again by other libraries ----------------------------------------------------------


def test_record_from_predictions_computes_what_other_libraries_compute(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    predictions = write_predictions(tmp_path / "scores.csv")
    result = record(charter, registry, predictions, *PAIRED)
    assert result.code == 0, result
    no_traceback(result)
    assert set(git(registry, "show", "--name-only", "--format=", "HEAD").split()) == {
        ENTRY, f"{EVIDENCE}/scores.csv.dvc", f"{EVIDENCE}/.gitignore"}
    assert git(registry, "status", "--porcelain") == ""
    assert (registry / EVIDENCE / ".gitignore").read_text().split() == ["/scores.csv"]
    digest = md5(predictions)
    assert f"md5: {digest}" in (registry / EVIDENCE / "scores.csv.dvc").read_text()
    assert object_path(remote_folder(registry), digest).is_file()  # pushed
    assert (registry / EVIDENCE / "scores.csv").read_bytes() == predictions.read_bytes()

    spec, rows = recorded(registry), rows_of(predictions)
    score, label, base, site = rows["score"], rows["label"], rows["baseline"], rows["site"]
    evidence = spec["evidence"]
    assert evidence["source"] == "predictions" and evidence["seed"] == 7
    assert evidence["predictions"] == {
        "path": f"{EVIDENCE}/scores.csv", "md5": digest, "rows": 6000, "format": "csv",
        "columns": {"score": "score", "label": "label", "time": "time", "id": "id", "baseline": "baseline"},
        "subgroups": ["site"]}
    assert {"auroc", "auprc", "brier", "rates", "calibration.slope", "comparison.auroc"} <= set(evidence["methods"])

    figures = spec["metrics"]
    assert figures["prevalence"]["value"] == pytest.approx(label.mean(), rel=1e-5)
    assert figures["auroc"]["value"] == pytest.approx(metrics.roc_auc_score(label, score), rel=1e-5)
    assert figures["auroc"]["ciLower"] < figures["auroc"]["value"] < figures["auroc"]["ciUpper"]
    assert figures["auprc"]["value"] == pytest.approx(metrics.average_precision_score(label, score), rel=1e-5)
    assert figures["brier"]["value"] == pytest.approx(metrics.brier_score_loss(label, score), rel=1e-5)

    days = float((rows["time"].max() - rows["time"].min()).astype(int)) / 86400
    assert spec["periodDays"] == pytest.approx(days, rel=1e-5) and days == pytest.approx(30)
    assert [r["threshold"] for r in spec["thresholds"]] == [0.3, 0.6] and spec["operatingThreshold"] == 0.3
    for row in spec["thresholds"]:
        tp = fp = tn = fn = 0
        for s, y in zip(score, label, strict=True):  # a plain loop, row by row
            alert = s >= row["threshold"]
            tp, fp = tp + (alert and y == 1), fp + (alert and y == 0)
            tn, fn = tn + (not alert and y == 0), fn + (not alert and y == 1)
        assert (row["tp"], row["fp"], row["tn"], row["fn"]) == (tp, fp, tn, fn)
        assert row["sensitivity"] == pytest.approx(tp / (tp + fn), abs=5e-7)
        assert row["ppv"] == pytest.approx(tp / (tp + fp), abs=5e-7)
        assert row["alertsPerDay"] == pytest.approx((tp + fp) / days, abs=5e-4)
        for rate, (k, n) in {"sensitivity": (tp, tp + fn), "specificity": (tn, tn + fp), "ppv": (tp, tp + fp),
                             "npv": (tn, tn + fn), "alertRate": (tp + fp, len(label))}.items():
            low, high = proportion.proportion_confint(k, n, alpha=0.05, method="wilson")
            assert row["intervals"][rate] == {"lower": pytest.approx(low, abs=5e-7),
                                              "upper": pytest.approx(high, abs=5e-7)}, rate

    logit = np.log(score / (1 - score))
    binomial = sm.families.Binomial()
    slope = sm.GLM(label, sm.add_constant(logit), family=binomial).fit().params[1]
    intercept = sm.GLM(label, np.ones_like(logit), family=binomial, offset=logit).fit().params[0]
    calibration = spec["calibration"]
    assert calibration["slope"] == pytest.approx(slope, rel=1e-5)
    assert calibration["intercept"] == pytest.approx(intercept, rel=1e-5)
    assert calibration["observedExpected"] == pytest.approx(label.sum() / score.sum(), rel=1e-5)
    assert sum(b["n"] for b in calibration["bins"]) == 6000 and sum(b["events"] for b in calibration["bins"]) == \
        label.sum()

    groups = {g["value"]: g for g in spec["subgroups"]}
    assert set(groups) == {"A", "B", "C", "tiny"}
    for value, group in groups.items():
        mask = site == value
        assert (group["n"], group["events"]) == (mask.sum(), label[mask].sum())
        assert group["prevalence"] == pytest.approx(label[mask].mean(), rel=1e-5)
        assert group["metrics"]["auroc"] == pytest.approx(metrics.roc_auc_score(label[mask], score[mask]), rel=1e-5)
        assert group["smallSample"] is (value == "tiny")
    assert groups["tiny"]["n"] == 7 and groups["tiny"]["metrics"]["auroc"] == 0.6

    comparison = spec["comparison"]
    assert (comparison["baseline"], comparison["paired"], comparison["rows"]) == (CURRENT, True, 6000)
    delta = metrics.roc_auc_score(label, score) - metrics.roc_auc_score(label, base)
    assert comparison["auroc"]["delta"] == pytest.approx(delta, rel=1e-5)
    assert comparison["auroc"]["ciLower"] > 0  # the candidate is clearly better
    events = label == 1
    new, old = score[events] >= 0.3, base[events] >= 0.3
    table = [[int((new & old).sum()), int((new & ~old).sum())], [int((~new & old).sum()), int((~new & ~old).sum())]]
    exact = table[0][1] + table[1][0] < 25
    test = contingency.mcnemar(table, exact=exact, correction=True)
    sensitivity = comparison["atOperatingThreshold"]["sensitivity"]
    assert sensitivity["pValue"] == pytest.approx(test.pvalue, rel=1e-5)
    assert sensitivity["delta"] == pytest.approx(new.mean() - old.mean(), rel=1e-5)
    assert "mcnemar" in sensitivity["method"]

    assert verify(charter, registry).code == 0


def test_record_from_parquet_reads_the_same_rows(registry: Path, charter: Charter, tmp_path: Path) -> None:
    predictions = write_predictions(tmp_path / "scores.parquet", rows=3000, seed=3)
    result = record(charter, registry, predictions)
    assert result.code == 0, result
    spec, rows = recorded(registry), rows_of(predictions)
    assert spec["evidence"]["predictions"]["format"] == "parquet" and spec["evidence"]["predictions"]["rows"] == 3000
    assert spec["metrics"]["auroc"]["value"] == pytest.approx(metrics.roc_auc_score(rows["label"], rows["score"]),
                                                              rel=1e-5)
    assert "comparison" not in spec and "baseline" not in spec
    assert verify(charter, registry).code == 0


# --- 2. verify --------------------------------------------------------------------------------------------------


@pytest.fixture
def evaluated(registry: Path, charter: Charter, tmp_path: Path) -> Path:
    """The registry with REF recorded from 6,000 predictions (paired with the version in production)."""
    result = record(charter, registry, write_predictions(tmp_path / "scores.csv"), *PAIRED)
    assert result.code == 0, result
    return registry


def test_verify_names_every_hand_edited_figure_at_its_line(evaluated: Path, charter: Charter) -> None:
    registry, path = evaluated, evaluated / ENTRY
    ok = verify(charter, registry)
    assert ok.code == 0 and "every figure is what its predictions give" in ok.stdout, ok
    spec = recorded(registry)
    pristine = path.read_text(encoding="utf-8")
    auroc, tp, n = spec["metrics"]["auroc"]["value"], spec["thresholds"][0]["tp"], spec["subgroups"][0]["n"]
    edits = [
        (f"value: {auroc}", "value: 0.9", "  metrics:", f"spec.metrics.auroc.value is 0.9, but the predictions "
                                                      f"give {auroc:g}"),
        (f"tp: {tp}", f"tp: {tp + 1}", "  thresholds:", f"spec.thresholds[0].tp is {tp + 1}, but the predictions "
                                                        f"give {tp}"),
        (f"n: {n}", f"n: {n - 28}", "  subgroups:", f"spec.subgroups[0].n is {n - 28}, but the predictions give {n}"),
    ]
    for old, new, after, message in edits:
        line = edit(path, old, new, after)
        result = verify(charter, registry)
        assert result.code == 1, result
        assert f"{ENTRY}:{line}:" in result.stdout and f"error CH820 {message}" in result.stdout, result
        assert "1 figure(s) differ" in result.stdout
        path.write_text(pristine, encoding="utf-8")

    brier = spec["metrics"]["brier"]["value"]
    path.write_text(pristine.replace(f"    brier:\n      value: {brier}\n      method: brier\n", ""), encoding="utf-8")
    missing = verify(charter, registry)
    assert missing.code == 1 and f"CH820 spec.metrics.brier.value is missing; the predictions give {brier:g}" in \
        missing.stdout, missing
    path.write_text(pristine.replace("  metrics:\n", "  metrics:\n    bogus:\n      value: 0.5\n", 1),
                    encoding="utf-8")
    extra = verify(charter, registry)
    assert extra.code == 1 and "CH820 spec.metrics.bogus.value (0.5) is not a figure the predictions give" in \
        extra.stdout, extra
    assert f"{ENTRY}:20:" in extra.stdout  # the line of the bogus value
    as_json = charter("-C", registry, "evaluate", "verify", REF, "--format", "json")
    data = json.loads(as_json.stdout)
    assert as_json.code == 1 and data["verified"] is False and [f["code"] for f in data["findings"]] == ["CH820"]


def test_verify_fetches_from_the_remote_and_says_when_the_file_is_gone_or_swapped(
        evaluated: Path, charter: Charter) -> None:
    registry = evaluated
    digest = recorded(registry)["evidence"]["predictions"]["md5"]
    work_copy, cache = registry / EVIDENCE / "scores.csv", registry / ".dvc" / "cache"
    original = work_copy.read_bytes()
    work_copy.unlink()
    shutil.rmtree(cache, ignore_errors=True)
    fetched = verify(charter, registry)
    assert fetched.code == 0, fetched  # from the DVC remote

    swapped = original.replace(b"\nu00001,", b"\nu99999,", 1)  # other bytes, same figures
    work_copy.unlink(missing_ok=True)
    work_copy.write_bytes(swapped)
    if object_path(cache, digest).exists():
        object_path(cache, digest).chmod(0o644)
        object_path(cache, digest).write_bytes(swapped)
    remote = object_path(remote_folder(registry), digest)
    remote.chmod(0o644)
    remote.write_bytes(swapped)
    changed = verify(charter, registry)
    assert changed.code == 1 and f"CH822 the predictions file {EVIDENCE}/scores.csv does not have the recorded " \
                                 f"md5 {digest}" in changed.stdout, changed

    work_copy.unlink()
    shutil.rmtree(cache, ignore_errors=True)
    remote.unlink()
    gone = verify(charter, registry)
    assert gone.code == 1 and f"CH821 cannot fetch the predictions file {EVIDENCE}/scores.csv" in gone.stdout, gone
    no_traceback(fetched, changed, gone)


def test_verify_an_evaluation_recorded_from_counts_is_a_warning(registry: Path, charter: Charter) -> None:
    result = verify(charter, registry, COUNTS_REF)
    assert result.code == 0, result
    assert "warning CH823 this evaluation was recorded from counts" in result.stdout


def test_validate_verify_evidence_recomputes_every_or_only_the_changed_evaluations(
        evaluated: Path, charter: Charter, tmp_path: Path) -> None:
    registry = evaluated
    assert charter("-C", registry, "validate", "--verify-evidence").code == 0
    auroc = recorded(registry)["metrics"]["auroc"]["value"]
    edit(registry / ENTRY, f"value: {auroc}", "value: 0.9", "  metrics:")
    commit(registry, "tampered")
    other = record(charter, registry, write_predictions(tmp_path / "other.csv", rows=2000, seed=5),
                   model=CURRENT)
    assert other.code == 0, other
    other_entry = "evaluations/sepsis-risk-1-0-0-retro/1.1.0.yaml"
    everything = charter("-C", registry, "validate", "--verify-evidence")
    assert everything.code == 1 and f"{ENTRY}:" in everything.stdout and "CH820" in everything.stdout, everything
    changed = charter("-C", registry, "validate", "--verify-evidence", "--base", "HEAD~1")
    assert changed.code == 0, changed  # only the new one, which is right
    tp = recorded(registry, other_entry)["thresholds"][1]["tp"]
    line = edit(registry / other_entry, f"tp: {tp}", f"tp: {tp + 5}", "  - threshold: 0.6")
    changed = charter("-C", registry, "validate", "--verify-evidence", "--base", "HEAD")
    assert changed.code == 1, changed
    assert f"{other_entry}:{line}:" in changed.stdout and f"spec.thresholds[1].tp is {tp + 5}" in changed.stdout
    assert f"{ENTRY}:" not in changed.stdout  # tampered, but not part of the change


# --- 3. bad input --------------------------------------------------------------------------------------------------


def _cell(line: int, column: int, value: str) -> Any:
    def change(rows: list[list[str]]) -> None:
        rows[line - 1][column - 1] = value
    return change


def _every(column: int, value: str) -> Any:
    def change(rows: list[list[str]]) -> None:
        for row in rows[1:]:
            row[column - 1] = value
    return change


BAD = [
    ("nan-score", _cell(6, 2, "NaN"), (), ":6:2 (score): the score is NaN"),
    ("score-above-one", _cell(6, 2, "1.5"), (), ":6:2 (score): '1.5' is outside [0, 1]"),
    ("label-two", _cell(9, 3, "2"), (), ":9:3 (label): '2' is not a label"),
    ("bad-time", _cell(6, 4, "yesterday"), (), ":6:4 (time): 'yesterday' is not a date-time"),
    ("duplicate-id", _cell(6, 1, "u00004"), (), ":6:1 (id): id 'u00004' is given twice (also line 5)"),
    ("nan-baseline", _cell(6, 6, "NaN"), PAIRED, ":6:6 (baseline): the baseline is NaN"),
    ("one-instant", _every(4, "2026-01-01T00:00:00Z"), (), ": every row has the same time (2026-01-01T00:00:00Z)"),
    ("no-events", _every(3, "0"), (), ": every label is 0, so sensitivity, specificity and AUROC are undefined"),
]


@pytest.mark.parametrize(("change", "extra", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_bad_predictions_file_is_one_line_at_its_place_and_nothing_is_written(
        registry: Path, charter: Charter, tmp_path: Path, change: Any, extra: tuple[str, ...], message: str) -> None:
    good = write_predictions(tmp_path / "good.csv", rows=500, seed=2)
    rows = [line.split(",") for line in good.read_text().splitlines()]
    change(rows)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(",".join(r) for r in rows) + "\n")
    head = git(registry, "rev-parse", "HEAD")
    result = record(charter, registry, bad, *extra)
    assert result.code == 2, result
    no_traceback(result)
    error, *rest = result.stderr.strip().splitlines()
    assert error == f"error: {bad}{message}" or error.startswith(f"error: {bad}{message}"), result
    assert all(line.startswith("  hint: ") for line in rest) and len(rest) == 1
    assert git(registry, "status", "--porcelain") == "" and not (registry / EVIDENCE).exists()
    assert git(registry, "rev-parse", "HEAD") == head


def test_rows_that_give_no_figures_leave_no_copy_in_the_cache_or_the_remote(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    """The figures are computed while the file is copied and tracked by DVC, so a file that reads but gives no
    figures (no events) fails after DVC has cached its copy: the copy, its cache object and its pointer all go."""
    rows = [line.split(",") for line in write_predictions(tmp_path / "good.csv", rows=500, seed=3).read_text()
            .splitlines()]
    _every(3, "0")(rows)
    bad = tmp_path / "no-events.csv"
    bad.write_text("\n".join(",".join(r) for r in rows) + "\n")
    cache = registry / ".dvc" / "cache"
    before = {p for p in cache.rglob("*") if p.is_file()} if cache.is_dir() else set()
    result = record(charter, registry, bad)
    assert result.code == 2 and "every label is 0" in result.stderr, result
    assert {p for p in cache.rglob("*") if p.is_file()} == before if cache.is_dir() else not before
    assert not object_path(cache, md5(bad)).exists() and not object_path(remote_folder(registry), md5(bad)).exists()
    assert git(registry, "status", "--porcelain", "--ignored", str(Path(EVIDENCE).parent)) == ""
    assert not (registry / EVIDENCE).exists()


def test_an_empty_file_or_results_and_predictions_together_are_refused(
        registry: Path, charter: Charter, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = record(charter, registry, empty)
    assert result.code == 2 and result.stderr.startswith(f"error: {empty}: empty file"), result
    both = record(charter, registry, write_predictions(tmp_path / "p.csv", rows=300), "--results", empty)
    assert both.code == 2 and "give --predictions (one row per scored unit) or --results" in both.stderr, both
    assert git(registry, "status", "--porcelain") == "" and not (registry / EVIDENCE).exists()


def test_a_baseline_score_column_needs_the_baseline_version(registry: Path, charter: Charter, tmp_path: Path) -> None:
    """Regression: --baseline-score without --baseline was silently left unread (no comparison, no word)."""
    predictions = write_predictions(tmp_path / "p.csv", rows=1000)
    result = record(charter, registry, predictions, "--baseline-score", "baseline")
    assert result.code == 2, result
    assert result.stderr.startswith("error: --baseline-score baseline names the scores of a version compared "
                                    "against, but no --baseline says which"), result
    assert git(registry, "status", "--porcelain") == "" and not (registry / EVIDENCE).exists()
    # --baseline alone names the version compared against, as with counts; with no column, nothing is paired
    unpaired = record(charter, registry, predictions, "--baseline", CURRENT)
    assert unpaired.code == 0, unpaired
    spec = recorded(registry)
    assert spec["baseline"] == CURRENT and "comparison" not in spec
    assert "baseline" not in spec["evidence"]["predictions"]["columns"]


# --- 4. the policy's statistical requirements, through gate and promote ------------------------------------------

POLICY = """\
      requireVerifiedEvidence: true
      nonInferiority: {auroc: 0.01}
      calibration:
        slope: {min: 0.8, max: 1.2}
        intercept: {min: 0.5}
      subgroupFloors: {auroc: 0.7}
      maxSubgroupDrop: {auroc: 0.05}
"""


def with_policy(registry: Path) -> None:
    path = registry / "registry.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "      minApprovals: 2\n"
    assert text.count(anchor) == 1
    path.write_text(text.replace(anchor, anchor + POLICY), encoding="utf-8")
    commit(registry, "production requires verified, non-inferior, calibrated evidence")


def gate_checks(registry: Path, charter: Charter) -> dict[str, dict[str, Any]]:
    """Promote 1.1.0 to production by hand and gate the change: its checks by name."""
    path = registry / "environments" / "production.yaml"
    path.write_text(path.read_text().replace(CURRENT, MODEL))
    commit(registry, "promote by hand")
    result = charter("-C", registry, "gate", "--base", "HEAD~1", "--format", "json")
    no_traceback(result)
    [verdict] = json.loads(result.stdout)["promotions"]
    return {c["name"]: c for c in verdict["checks"]}


VERIFIED, NON_INFERIOR = "evidence verified", "auroc non-inferior (margin 0.01)"
SLOPE, INTERCEPT = "calibration slope in [0.8, 1.2]", "calibration intercept in [0.5, ∞]"
FLOOR, DROP = "every subgroup's auroc ≥ 0.7", "no subgroup's auroc drops significantly by more than 0.05"


def test_gate_passes_a_verified_non_inferior_candidate(
        evaluated: Path, origin: Path, charter: Charter) -> None:
    registry = evaluated
    with_policy(registry)
    checks = gate_checks(registry, charter)
    assert checks[VERIFIED]["passed"], checks[VERIFIED]
    assert "every figure recomputed from its 6,000 pinned rows" in checks[VERIFIED]["detail"]
    assert checks[NON_INFERIOR]["passed"] and "the lower bound is above -0.01" in checks[NON_INFERIOR]["detail"]
    assert f"against {CURRENT}" in checks[NON_INFERIOR]["detail"]
    assert checks[SLOPE]["passed"] and not checks[INTERCEPT]["passed"], (checks[SLOPE], checks[INTERCEPT])
    assert checks[FLOOR]["passed"], checks[FLOOR]  # site=tiny: 0.6, but 7 units and an interval reaching 0.7
    assert "4 subgroups at or above 0.7" in checks[FLOOR]["detail"]
    assert checks[DROP]["passed"] and "4 subgroups compared with" in checks[DROP]["detail"]


def test_gate_fails_hand_edited_evidence_naming_the_figure(
        evaluated: Path, origin: Path, charter: Charter) -> None:
    registry = evaluated
    auroc = recorded(registry)["metrics"]["auroc"]["value"]
    edit(registry / ENTRY, f"value: {auroc}", "value: 0.95", "  metrics:")
    commit(registry, "a better figure")
    with_policy(registry)
    check = gate_checks(registry, charter)[VERIFIED]
    assert not check["passed"], check
    assert f"{REF}: CH820 spec.metrics.auroc.value is 0.95, but the predictions give {auroc:g}" in check["detail"]


def test_gate_fails_a_worse_candidate_and_a_weak_subgroup(
        registry: Path, origin: Path, charter: Charter, tmp_path: Path) -> None:
    worse = write_predictions(tmp_path / "worse.csv", swap=True, weak_site="C")
    assert record(charter, registry, worse, *PAIRED).code == 0
    with_policy(registry)
    checks = gate_checks(registry, charter)
    assert checks[VERIFIED]["passed"]
    assert not checks[NON_INFERIOR]["passed"], checks[NON_INFERIOR]
    assert "the lower bound is not above -0.01" in checks[NON_INFERIOR]["detail"]
    assert not checks[FLOOR]["passed"] and "below the floor: site=C" in checks[FLOOR]["detail"], checks[FLOOR]
    assert "site=tiny" not in checks[FLOOR]["detail"]
    assert not checks[DROP]["passed"] and "significant drops: site=A" in checks[DROP]["detail"], checks[DROP]


def test_non_inferiority_against_another_version_than_the_one_assigned_fails(
        registry: Path, origin: Path, charter: Charter, tmp_path: Path) -> None:
    predictions = write_predictions(tmp_path / "scores.csv")
    result = record(charter, registry, predictions, "--baseline", "model:card-fraud@3.2.0", "--baseline-score",
                    "baseline")
    assert result.code == 0, result
    with_policy(registry)
    checks = gate_checks(registry, charter)
    for name in (NON_INFERIOR, DROP):
        assert not checks[name]["passed"]
        assert checks[name]["detail"] == f"{REF} is compared with model:card-fraud@3.2.0, but {CURRENT} is " \
                                         "assigned now"


def test_promote_shows_the_statistical_checks_with_their_numbers(
        evaluated: Path, origin: Path, charter: Charter) -> None:
    registry = evaluated
    with_policy(registry)
    result = charter("-C", registry, "promote", MODEL, "--to", "production", "--format", "json")
    no_traceback(result)
    data = json.loads(result.stdout)
    checks = {c["name"]: c for c in data["verdict"]["checks"]}
    delta = recorded(registry)["comparison"]["auroc"]
    assert f"Δauroc {delta['delta']:+.4f} ({delta['ciLower']:+.4f} to {delta['ciUpper']:+.4f})" in \
        checks[NON_INFERIOR]["detail"]
    # refused (the intercept bound, the template's invariants): the refusal's table shows the same checks
    assert data["refused"] is True
    shown = charter("-C", registry, "promote", MODEL, "--to", "production")
    text = " ".join((shown.stdout + shown.stderr).replace("\\[", "[").replace("\\]", "]").split())
    for name in (VERIFIED, NON_INFERIOR, SLOPE, INTERCEPT, FLOOR, DROP):
        assert name in text, name
    assert f"Δauroc {delta['delta']:+.4f}" in text and "6,000 pinned rows" in text
    assert f"calibration slope = {recorded(registry)['calibration']['slope']:g}" in text

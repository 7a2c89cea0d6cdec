"""Only comparable evaluations are compared (issue 14, part 5), differences come with an interval, a p-value and the
test that gave them, alert volume is computed from counts, and thresholds match in one canonical form.

`evaluate compare`, `promote` and `gate` run on a real `charter init` registry whose two sepsis-risk evaluations are
rewritten per test; the unpaired statistics are checked against statsmodels.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from charter.evaluation.confusion import Confusion, canonical_threshold, threshold_row
from charter.evaluation.unpaired import FROM_INTERVALS, NEWCOMBE, POOLED_Z, estimate_difference, rate_difference
from tests.conftest import Charter, git

BASE = "evaluations/sepsis-risk-1-0-0-retro/1.0.0.yaml"  # of model:sepsis-risk@1.0.0, in production now
CANDIDATE = "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml"  # of model:sepsis-risk@1.1.0, in staging
BASE_REF = "evaluation:sepsis-risk-1-0-0-retro@1.0.0"
CANDIDATE_REF = "evaluation:sepsis-risk-1-1-0-retro@1.0.0"
PRODUCTION = "environments/production.yaml"


def rewrite(registry: Path, relpath: str, target: str | None = None, **spec: Any) -> None:
    """An evaluation with some of its spec replaced (None removes a field), written over itself or to `target`."""
    data = yaml.safe_load((registry / relpath).read_text(encoding="utf-8"))
    for key, value in spec.items():
        if value is None:
            data["spec"].pop(key, None)
        else:
            data["spec"][key] = value
    path = registry / (target or relpath)
    if target is not None:
        name, version = target.split("/")[1:]
        data["metadata"].update(name=name, version=version.removesuffix(".yaml"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def operating_only(tp: int, fp: int, tn: int, fn: int, days: float) -> list[dict[str, Any]]:
    """A threshold table of the operating row (0.6) alone, as `evaluate record` writes it."""
    return [threshold_row(0.6, Confusion(tp, fp, tn, fn), days)]


def commit(registry: Path, message: str = "evaluations") -> None:
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", message)


def promote_by_hand(registry: Path) -> None:
    path = registry / PRODUCTION
    path.write_text(path.read_text().replace("model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0"))
    commit(registry, "promote by hand")


# --- unpaired differences against statsmodels ------------------------------------------------------------------

CASES = [(56, 70, 48, 80), (9, 10, 3, 10), (6, 7, 2, 7), (5, 56, 0, 29), (0, 10, 0, 20), (10, 10, 0, 20),
         (566, 1490, 507, 1490), (1, 7, 0, 5), (977, 33120, 934, 33120)]


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), CASES)
@pytest.mark.parametrize("level", [0.95, 0.9])
def test_rate_difference_equals_statsmodels(k1: int, n1: int, k2: int, n2: int, level: float) -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    ours = rate_difference(k1, n1, k2, n2, level)
    low, high = proportion.confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff",
                                                      alpha=1 - level)
    assert ours.delta == pytest.approx(k1 / n1 - k2 / n2, abs=1e-15)
    assert (ours.lower, ours.upper) == (pytest.approx(float(low), abs=1e-12), pytest.approx(float(high), abs=1e-12))
    test = proportion.test_proportions_2indep(k1, n1, k2, n2, method="score", correction=False)
    if math.isnan(float(test.pvalue)):  # both rates 0 or both 1: no difference at all
        assert (ours.p_value, ours.statistic) == (1.0, 0.0)
    else:
        assert ours.p_value == pytest.approx(float(test.pvalue), rel=1e-9, abs=1e-300)
        assert ours.statistic == pytest.approx(float(test.statistic), rel=1e-9)
        z, p = proportion.proportions_ztest([k1, k2], [n1, n2])  # the textbook pooled z-test, the same figures
        assert (ours.statistic, ours.p_value) == (pytest.approx(float(z), rel=1e-9), pytest.approx(float(p), rel=1e-9))
    assert (ours.method, ours.test, ours.level) == (NEWCOMBE, POOLED_Z, level)


def test_newcombes_published_example() -> None:
    """Newcombe (1998), table II, example (a): 56/70 - 48/80 = 0.2000, method 10 gives 0.0524 to 0.3339."""
    ours = rate_difference(56, 70, 48, 80)
    assert (round(ours.delta, 4), round(ours.lower, 4), round(ours.upper, 4)) == (0.2, 0.0524, 0.3339)


def test_estimate_difference_from_two_intervals() -> None:
    """Altman & Bland (2003): each interval gives SE = width / (2 x 1.96); the difference's SE is their root sum."""
    ours = estimate_difference(0.861, (0.851, 0.871), 0.842, (0.831, 0.853))
    assert ours is not None and ours.method == FROM_INTERVALS
    se = math.hypot(0.02 / (2 * 1.959963984540054), 0.022 / (2 * 1.959963984540054))
    assert ours.delta == pytest.approx(0.019) and ours.upper - ours.delta == pytest.approx(1.959963984540054 * se)
    assert ours.p_value == pytest.approx(math.erfc(0.019 / se / math.sqrt(2)))
    assert estimate_difference(0.5, (0.5, 0.5), 0.4, (0.4, 0.4)) is None  # no width, no test


def test_canonical_threshold_is_twelve_significant_digits() -> None:
    assert canonical_threshold(0.1 + 0.2) == canonical_threshold(0.3) == 0.3
    assert canonical_threshold(0.1 * 6) == 0.6 and canonical_threshold(0.123456789012345) == 0.123456789012
    assert canonical_threshold(0.31) != canonical_threshold(0.3)


# --- the scenario: same cohort name, other event version, snapshot, units and period --------------------


def make_incomparable(registry: Path) -> None:
    """1.0.0 was evaluated on the old event definition, another snapshot, 20,000 units over 90 days (900 alerts,
    10 a day); 1.1.0 on the current one, 8,000 units over 365 days (409 alerts, 1.12 a day): "-88.8%"."""
    rewrite(registry, BASE, event="event:sepsis-onset@1.0.0", dataSnapshot="clarity-2025-10-01", periodDays=90,
            thresholds=operating_only(400, 500, 18300, 800, 90))
    # the snapshot written out: `init` moves the template's dates by whole weeks, so its own depends on the day
    rewrite(registry, CANDIDATE, periodDays=365, dataSnapshot="clarity-2026-02-02",
            thresholds=operating_only(200, 209, 7300, 291, 365))
    commit(registry)


DIFFERENCES = [
    {"field": "event definition version", "a": "1.0.0", "b": "2.0.0"},
    {"field": "data snapshot", "a": "clarity-2025-10-01", "b": "clarity-2026-02-02"},
    {"field": "units", "a": 20000, "b": 8000},
    {"field": "period (days)", "a": 90.0, "b": 365.0},
]
NAMED = ("event definition version 1.0.0 vs 2.0.0", "data snapshot clarity-2025-10-01 vs clarity-2026-02-02",
         "units 20000 vs 8000", "period (days) 90 vs 365")


def test_compare_refuses_incomparable_evaluations_and_says_what_differs(registry: Path, charter: Charter) -> None:
    make_incomparable(registry)
    result = charter("-C", registry, "evaluate", "compare", "model:sepsis-risk@1.1.0", "--format", "json")
    assert result.code == 1, result
    data = json.loads(result.stdout)
    assert data["comparable"] is False and data["differences"] == DIFFERENCES
    assert data["thresholds"] == [] and data["metrics"] == []  # no -88.8% to misread
    table = charter("-C", registry, "evaluate", "compare", BASE_REF, CANDIDATE_REF)
    assert table.code == 1 and "is not comparable with" in table.stdout and "-88.8%" not in table.stdout
    for line in ("event definition version: A 1.0.0, B 2.0.0", "units: A 20000, B 8000", "period (days): A 90, B 365"):
        assert line in table.stdout
    markdown = charter("-C", registry, "evaluate", "compare", BASE_REF, CANDIDATE_REF, "--format", "markdown")
    assert markdown.code == 1 and all(words in markdown.stdout for words in NAMED)


def test_promote_fails_the_alert_volume_check_on_incomparable_evaluations(
        registry: Path, origin: Path, charter: Charter) -> None:
    make_incomparable(registry)
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production", "--format", "json")
    assert result.code == 1, result
    verdict = json.loads(result.stdout)["verdict"]
    check = next(c for c in verdict["checks"] if c["name"] == "alert volume increase ≤ 25%")
    assert not check["passed"] and f"is comparable with {CANDIDATE_REF}" in check["detail"]
    assert all(words in check["detail"] for words in NAMED), check
    assert verdict["baselineEvaluation"] is None
    assert verdict["comparability"]["comparable"] is False and verdict["comparability"]["differences"] == DIFFERENCES


def test_gate_fails_the_alert_volume_check_on_incomparable_evaluations(
        registry: Path, origin: Path, charter: Charter) -> None:
    make_incomparable(registry)
    promote_by_hand(registry)
    result = charter("-C", registry, "gate", "--base", "HEAD~1", "--format", "json")
    assert result.code == 1, result
    [verdict] = json.loads(result.stdout)["promotions"]
    check = next(c for c in verdict["checks"] if c["name"] == "alert volume increase ≤ 25%")
    assert not check["passed"] and all(words in check["detail"] for words in NAMED), check
    body = charter("-C", registry, "gate", "--base", "HEAD~1", "--format", "markdown")
    assert "### Comparability" in body.stdout and "**not comparable**" in body.stdout
    assert "units 20000 vs 8000" in body.stdout and "Compared with" not in body.stdout


def test_promote_compares_the_policys_evaluation_with_a_comparable_one_not_the_newest(
        registry: Path, origin: Path, charter: Charter) -> None:
    today = str(date.today())
    # newest of 1.0.0: a later snapshot with few alerts; compared with it, 1.1.0 would alert 3 times as much
    rewrite(registry, BASE, "evaluations/sepsis-risk-1-0-0-retro/1.1.0.yaml", date=today,
            dataSnapshot="clarity-2026-09-01", thresholds=operating_only(150, 150, 31740, 1080, 184))
    # newest of 1.1.0: a canary, which production's policy does not accept
    rewrite(registry, CANDIDATE, "evaluations/sepsis-risk-1-1-0-canary/1.0.0.yaml", date=today, method="canary",
            dataSnapshot="clarity-2026-09-01")
    commit(registry)
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production", "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    verdict = data["verdict"]
    assert verdict["evaluation"] == CANDIDATE_REF and verdict["baselineEvaluation"] == BASE_REF
    assert verdict["comparability"]["comparable"] is True and verdict["comparability"]["a"] == BASE_REF
    alerts = next(c for c in verdict["checks"] if c["name"] == "alert volume increase ≤ 25%")
    assert alerts["passed"] and "5.076 → 5.31 alerts/day (+4.60%)" in alerts["detail"] and BASE_REF in alerts["detail"]
    body = data["body"]
    assert "### Comparability" in body and f"`{CANDIDATE_REF}` against `{BASE_REF}`" in body
    snapshot = yaml.safe_load((registry / CANDIDATE).read_text(encoding="utf-8"))["spec"]["dataSnapshot"]
    assert "**comparable**" in body and f"data snapshot {snapshot}" in body


# --- alert volume from counts, thresholds in one form ------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "passed", "shown"), [
    (555, 694, False, "+25.05%"),  # rounded to 3 decimals: 1.521 -> 1.901, +24.98%, which passed
    (521, 651, True, "+24.95%"),   # rounded: 1.427 -> 1.784, +25.02%, which was refused
])
def test_alert_volume_change_is_computed_from_counts_not_rounded_alerts_per_day(
        registry: Path, origin: Path, charter: Charter, old: int, new: int, passed: bool, shown: str) -> None:
    half = old // 2
    # subgroups go: their events (from the template's counts) would outnumber this table's (CH817)
    rewrite(registry, BASE, periodDays=365, subgroups=None,
            thresholds=operating_only(half, old - half, 31930 - old, 1190, 365))
    rewrite(registry, CANDIDATE, periodDays=365, subgroups=None,
            thresholds=operating_only(half, new - half, 31930 - new, 1190, 365))
    commit(registry)
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production", "--format", "json")
    assert result.code == (0 if passed else 1), result
    data = json.loads(result.stdout)
    check = next(c for c in data["verdict"]["checks"] if c["name"] == "alert volume increase ≤ 25%")
    assert check["passed"] is passed and shown in check["detail"], check
    compared = charter("-C", registry, "evaluate", "compare", "model:sepsis-risk@1.1.0", "--format", "json")
    [row] = json.loads(compared.stdout)["thresholds"]
    assert row["alertVolumeChange"] == pytest.approx(new / old - 1, rel=1e-12)
    assert row["alertsPerDay"] == {"a": pytest.approx(old / 365), "b": pytest.approx(new / 365)}


def test_thresholds_that_differ_only_by_float_noise_are_one_threshold(
        registry: Path, origin: Path, charter: Charter) -> None:
    data = yaml.safe_load((registry / CANDIDATE).read_text())
    rows = data["spec"]["thresholds"]
    rows[2]["threshold"], rows[4]["threshold"] = 0.1 + 0.2, 0.1 * 6  # 0.30000000000000004, 0.6000000000000001
    rewrite(registry, CANDIDATE, thresholds=rows)
    commit(registry)
    assert "threshold: 0.30000000000000004" in (registry / CANDIDATE).read_text()
    result = charter("-C", registry, "evaluate", "compare", "model:sepsis-risk@1.1.0", "--format", "json")
    assert result.code == 0, result
    compared = json.loads(result.stdout)
    assert [t["threshold"] for t in compared["thresholds"]] == [0.1, 0.2, 0.3, 0.45, 0.6]
    assert compared["thresholdsOnlyInA"] == compared["thresholdsOnlyInB"] == []
    assert next(t for t in compared["thresholds"] if t["threshold"] == 0.6)["operating"] is True
    # the policy finds the operating row (operatingThreshold 0.6) too
    promoted = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production", "--format", "json")
    assert promoted.code == 0, promoted
    check = next(c for c in json.loads(promoted.stdout)["verdict"]["checks"] if c["name"].startswith("alert volume"))
    assert check["passed"] and "+4.60%" in check["detail"]


# --- what a comparison shows -------------------------------------------------------------------------------------


def test_compare_shows_differences_with_interval_p_value_and_test_never_overlap(
        registry: Path, charter: Charter) -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    result = charter("-C", registry, "evaluate", "compare", "model:sepsis-risk@1.1.0", "--format", "json")
    data = json.loads(result.stdout)
    assert result.code == 0 and data["comparable"] is True and data["differences"] == []
    assert "intervalsOverlap" not in result.stdout
    operating = next(t for t in data["thresholds"] if t["operating"])
    sensitivity = operating["differences"]["sensitivity"]  # 566/1490 (1.1.0) against 507/1490 (1.0.0)
    low, high = proportion.confint_proportions_2indep(566, 1490, 507, 1490, method="newcomb")
    test = proportion.test_proportions_2indep(566, 1490, 507, 1490, method="score", correction=False)
    assert (sensitivity["lower"], sensitivity["upper"]) == (pytest.approx(float(low)), pytest.approx(float(high)))
    assert sensitivity["pValue"] == pytest.approx(float(test.pvalue))
    assert (sensitivity["method"], sensitivity["test"]) == ("newcombe-hybrid-score", "z-test-pooled")
    auroc = next(m for m in data["metrics"] if m["metric"] == "auroc")
    assert auroc["difference"]["method"] == "normal-from-intervals" and auroc["difference"]["pValue"] < 0.05
    for fmt in ("table", "markdown"):
        shown = charter("-C", registry, "evaluate", "compare", "model:sepsis-risk@1.1.0", "--format", fmt).stdout
        assert "overlap" not in shown and "apart" not in shown
        assert "Newcombe hybrid score interval" in shown and "pooled z-test" in shown


def test_subgroups_are_ranked_by_change_for_its_uncertainty_not_by_raw_change(
        registry: Path, charter: Charter) -> None:
    def groups(tiny: float, big: float) -> list[dict[str, Any]]:
        return [{"name": "ward=tiny", "attribute": "ward", "value": "tiny", "n": 7, "prevalence": 0.285714,
                 "metrics": {"sensitivity": tiny}},
                {"name": "ward=big", "attribute": "ward", "value": "big", "n": 17000, "prevalence": 0.04,
                 "metrics": {"sensitivity": big}}]

    # 2 of 2 cases found instead of none (z 2.0) against 272 of 680 instead of 224 (z 2.7)
    rewrite(registry, BASE, subgroups=groups(0.0, 0.33))
    rewrite(registry, CANDIDATE, subgroups=groups(1.0, 0.40))
    commit(registry)
    result = charter("-C", registry, "evaluate", "compare", "model:sepsis-risk@1.1.0", "--format", "json")
    big, tiny = json.loads(result.stdout)["subgroups"]
    assert (big["subgroup"], big["n"], big["delta"]) == ("ward=big", 17000, pytest.approx(0.07))
    assert (tiny["subgroup"], tiny["n"], tiny["delta"]) == ("ward=tiny", 7, 1.0)
    assert abs(big["difference"]["z"]) > abs(tiny["difference"]["z"])
    assert tiny["difference"]["upper"] - tiny["difference"]["lower"] > 5 * (
        big["difference"]["upper"] - big["difference"]["lower"])  # n and the interval say how little 7 units show
    markdown = charter("-C", registry, "evaluate", "compare", "model:sepsis-risk@1.1.0", "--format", "markdown")
    assert markdown.stdout.index("| ward=big | 17000 → 17000 |") < markdown.stdout.index("| ward=tiny | 7 → 7 |")


# --- comparability itself ------------------------------------------------------------------------------------------


def test_comparability_reads_what_an_evaluation_leaves_out_from_its_cohort(registry: Path) -> None:
    import charter
    from charter.evaluation.comparability import comparability

    rewrite(registry, BASE, dataSnapshot=None)  # the cohort's snapshot, as `init` dated it
    rewrite(registry, CANDIDATE, periodDays=184.5)  # the cohort's period is 184 days: within a day
    index = charter.Registry(registry).index
    a, b = index.get(BASE_REF), index.get(CANDIDATE_REF)
    assert a is not None and b is not None
    verdict = comparability(a, b, index)
    assert verdict.comparable and verdict.basis_a.snapshot == b.spec["dataSnapshot"]
    assert verdict.basis_a.period_days == 184.0 and verdict.basis_a.units == verdict.basis_b.units == 33120
    rewrite(registry, CANDIDATE, periodDays=200, cohort="cohort:sepsis-adult-inpatients-eval@1.1.0")
    index = charter.Registry(registry).index
    later = index.get(CANDIDATE_REF)
    assert later is not None
    assert [str(d) for d in comparability(a, later, index).differences] == [
        "cohort version 1.0.0 vs 1.1.0", "period (days) 184 vs 200"]


def test_paired_only_when_both_were_computed_on_the_same_prediction_rows(registry: Path) -> None:
    import charter
    from charter.evaluation.comparability import comparability

    rows = {"md5": "9e107d9d372bb6826bd81d3542a419d6", "rows": 33120}
    rewrite(registry, BASE, evidence={"predictions": rows})
    rewrite(registry, CANDIDATE, evidence={"predictions": rows})
    index = charter.Registry(registry).index
    a, b = index.get(BASE_REF), index.get(CANDIDATE_REF)
    assert a is not None and b is not None
    same = comparability(a, b, index)
    assert same.comparable and same.paired and "paired" in same.summary
    rewrite(registry, CANDIDATE, evidence={"predictions": {**rows, "md5": "e4d909c290d0fb1ca068ffaddf22cbd0"}})
    index = charter.Registry(registry).index
    other = comparability(a, index.get(CANDIDATE_REF), index)  # type: ignore[arg-type]
    assert other.comparable and not other.paired and [d.what for d in other.pairing] == ["predictions md5"]
    rewrite(registry, CANDIDATE, evidence=None)
    index = charter.Registry(registry).index
    unpaired = comparability(a, index.get(CANDIDATE_REF), index)  # type: ignore[arg-type]
    assert unpaired.comparable and not unpaired.paired and unpaired.to_dict()["unpairedBecause"] == [
        {"field": "predictions", "a": "recorded", "b": None}]

"""Monitoring held against expectation: records carry denominators, `status` and `monitor history` compare each
monitored figure with the evaluation the version was promoted on, flag what lies outside, and exit 1 on it.

A real registry (`charter init`'s example), records written with `charter monitor record` as a monitoring job would,
and the interval arithmetic checked against SciPy and statsmodels (test-only dependencies: `status` uses neither).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from charter import Registry
from charter.deployment.expectation import observe, promotion_evaluation
from charter.evaluation.poisson import gamma_p, gamma_quantile, poisson_interval
from tests.conftest import Charter

stats = pytest.importorskip("scipy.stats")
proportion = pytest.importorskip("statsmodels.stats.proportion")

NOW = datetime.now(UTC).replace(microsecond=0)


def stamp(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def week(body: str, kind: str = "health", *, days: int = 7, reporter: str = "monitoring/weekly-health") -> str:
    """A report over exactly `days` days that ended a day ago, made half a day later."""
    return (f"type: {kind}\nreporter: {reporter}\nat: {stamp(0.5)}\nperiod:\n  start: {stamp(1 + days)}\n"
            f"  end: {stamp(1)}\n{body}")


def record(charter: Charter, registry: Path, tmp_path: Path, text: str, model: str = "model:sepsis-risk@1.0.0",
           name: str = "report.yaml", *extra: str) -> Any:
    (tmp_path / name).write_text(text)
    return charter("-C", registry, "monitor", "record", model, "--env", "production", "--file", tmp_path / name,
                   *extra)


def deploy_card_fraud(charter: Charter, registry: Path, tmp_path: Path) -> None:
    """The example's production lacks a report of card-fraud running: report it, so drift leaves exit 0 alone."""
    done = record(charter, registry, tmp_path, f"type: deployed\nreporter: argo-cd\nat: {stamp(3)}\n",
                  "model:card-fraud@3.2.0", "deployed.yaml")
    assert done.code == 0, done


def status(charter: Charter, registry: Path) -> tuple[int, dict[str, Any], str]:
    as_json = charter("-C", registry, "status", "--env", "production", "--format", "json")
    text = charter("-C", registry, "status", "--env", "production")
    assert as_json.code == text.code
    return as_json.code, json.loads(as_json.stdout), text.stdout


def sepsis(answer: dict[str, Any]) -> dict[str, Any]:
    return next(row for row in answer["models"] if row["model"] == "sepsis-risk")


def figures(section: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(f["figure"], f["subgroup"]): f for f in section["expectation"]["figures"]}


# --- the scenario: 9.6 alerts a day against an evaluated 5.1 ----------------------------------------------


def test_alerts_per_day_far_above_the_evaluation_is_outside_expectation(registry: Path, charter: Charter,
                                                                        tmp_path: Path) -> None:
    deploy_card_fraud(charter, registry, tmp_path)
    assert status(charter, registry)[0] == 0  # the example's own reports are within expectation
    done = record(charter, registry, tmp_path, week("health:\n  alertsPerDay: 9.6\n  unitsScored: 1260\n"
                                                    "  alerts: 67\n"))
    assert done.code == 0, done
    code, answer, text = status(charter, registry)
    assert code == 1
    assert answer["inSync"] is True and answer["withinExpectation"] is False
    row = sepsis(answer)
    assert row["withinExpectation"] is False
    health = row["health"]
    assert health["counts"] == {"unitsScored": 1260, "alerts": 67} and health["periodDays"] == 7
    expectation = health["expectation"]
    assert expectation["evaluation"] == "evaluation:sepsis-risk-1-0-0-retro@1.0.0"
    assert expectation["threshold"] == 0.6 and expectation["withinExpectation"] is False
    alerts = figures(health)[("alertsPerDay", None)]
    low, high = stats.chi2.ppf(0.025, 2 * 67) / 2 / 7, stats.chi2.ppf(0.975, 2 * 68) / 2 / 7
    assert alerts["observed"] == pytest.approx(67 / 7, abs=1e-6)
    assert alerts["ciLower"] == pytest.approx(low, abs=1e-6) and alerts["ciUpper"] == pytest.approx(high, abs=1e-6)
    assert (alerts["numerator"], alerts["denominator"], alerts["of"]) == (67, 7, "days")
    assert alerts["evaluated"] == 5.1 and alerts["outside"] is True
    rate = figures(health)[("alertRate", None)]
    assert rate["outside"] is True and rate["evaluated"] == 0.0282
    assert (rate["ciLower"], rate["ciUpper"]) == pytest.approx(
        proportion.proportion_confint(67, 1260, alpha=0.05, method="wilson"), abs=1e-6)
    # the person reading it gets the numbers on both sides
    assert "✗ production/sepsis-risk 1.0.0: alerts/day outside expectation" in text
    assert "    observed  9.57 [7.42, 12.2] (67 alerts in 7 d)\n    evaluated 5.1\n" in text
    assert "  ✗ alerts/day  9.57 [7.42, 12.2]" in text
    assert "everything runs as assigned" in text and "every monitored figure is within expectation" not in text


def test_alerts_per_day_near_the_evaluation_is_within_expectation(registry: Path, charter: Charter,
                                                                  tmp_path: Path) -> None:
    deploy_card_fraud(charter, registry, tmp_path)
    done = record(charter, registry, tmp_path, week("health:\n  alertsPerDay: 5.3\n  unitsScored: 1260\n"
                                                    "  alerts: 37\n"))
    assert done.code == 0, done
    code, answer, text = status(charter, registry)
    assert code == 0, text
    alerts = figures(sepsis(answer)["health"])[("alertsPerDay", None)]
    assert alerts["observed"] == pytest.approx(37 / 7, abs=1e-6) and alerts["outside"] is False
    assert answer["withinExpectation"] is True
    assert "  ✓ alerts/day  5.29 [3.72, 7.29]" in text
    assert "✓ every monitored figure is within expectation" in text


def test_a_report_without_counts_is_shown_but_not_compared(registry: Path, charter: Charter, tmp_path: Path) -> None:
    """Records written before denominators existed still validate and show; nothing is held against them."""
    deploy_card_fraud(charter, registry, tmp_path)
    assert record(charter, registry, tmp_path, week("health:\n  alertsPerDay: 9.6\n")).code == 0
    code, answer, _ = status(charter, registry)
    health = sepsis(answer)["health"]
    assert code == 0 and health["values"]["alertsPerDay"] == 9.6
    assert health["counts"] == {} and health["expectation"] is None
    assert charter("-C", registry, "validate").code == 0


# --- PPV and sensitivity once labels arrive, overall and per subgroup ---------------------------------------------


OUTCOMES = """\
outcomes:
  labelled: 5400
  events: 90
  alertsLabelled: 98
  truePositives: 30
"""


def test_ppv_and_sensitivity_from_labelled_outcomes(registry: Path, charter: Charter, tmp_path: Path) -> None:
    deploy_card_fraud(charter, registry, tmp_path)
    done = record(charter, registry, tmp_path, week(OUTCOMES, "outcome", days=30,
                                                    reporter="monitoring/monthly-outcomes"))
    assert done.code == 0, done
    code, answer, text = status(charter, registry)
    assert code == 1
    found = figures(sepsis(answer)["outcome"])
    ppv, sensitivity = found[("ppv", None)], found[("sensitivity", None)]
    assert (ppv["numerator"], ppv["denominator"], ppv["of"]) == (30, 98, "alertsLabelled")
    assert (ppv["ciLower"], ppv["ciUpper"]) == pytest.approx(
        proportion.proportion_confint(30, 98, alpha=0.05, method="wilson"), abs=1e-6)
    assert ppv["evaluated"] == 0.543 and ppv["outside"] is True
    # the evaluation's own interval: Wilson on the operating row's counts (tp 507, fp 427)
    assert (ppv["evaluatedCiLower"], ppv["evaluatedCiUpper"]) == pytest.approx(
        proportion.proportion_confint(507, 934, alpha=0.05, method="wilson"), abs=1e-6)
    assert (sensitivity["numerator"], sensitivity["denominator"], sensitivity["of"]) == (30, 90, "events")
    assert sensitivity["evaluated"] == 0.34 and sensitivity["outside"] is False
    assert "✗ production/sepsis-risk 1.0.0: PPV outside expectation" in text
    assert "observed  0.306 [0.224, 0.403] (30/98 labelled alerts)\n    evaluated 0.543 [0.511, 0.575]" in text
    assert "sensitivity outside" not in text


def test_subgroups_are_held_against_the_evaluations_subgroups(registry: Path, charter: Charter,
                                                             tmp_path: Path) -> None:
    deploy_card_fraud(charter, registry, tmp_path)
    body = """\
outcomes:
  labelled: 5410
  events: 252
  alertsLabelled: 158
  truePositives: 86
subgroups:
  - {attribute: age_band, value: 80+, labelled: 700, events: 24, alertsLabelled: 40, truePositives: 8}
  - {attribute: ward, value: icu, labelled: 300, events: 30, alertsLabelled: 20, truePositives: 11}
"""
    assert record(charter, registry, tmp_path, week(body, "outcome", days=31)).code == 0
    code, answer, text = status(charter, registry)
    assert code == 1
    found = figures(sepsis(answer)["outcome"])
    assert found[("ppv", None)]["outside"] is False and found[("sensitivity", None)]["outside"] is False
    old_ppv = found[("ppv", "age_band=80+")]
    assert old_ppv["observed"] == 0.2 and old_ppv["evaluated"] == 0.58 and old_ppv["outside"] is True
    assert old_ppv["evaluatedCiLower"] is None  # the evaluation gives the subgroup's point value only
    assert found[("sensitivity", "age_band=80+")]["outside"] is False
    icu = found[("ppv", "ward=icu")]
    assert icu["evaluated"] is None and icu["outside"] is False  # the evaluation has no such subgroup
    assert "✗ production/sepsis-risk 1.0.0: age_band=80+ PPV outside expectation" in text
    assert "observed  0.2 [0.105, 0.348] (8/40 labelled alerts)\n    evaluated 0.58\n" in text
    block = text[text.index("outcome of 1.0.0 over 31 d against"):text.index("\n\n", text.index("over 31 d"))]
    assert "  age_band=80+:\n  ✗ PPV" in block and "  ward=icu:\n  - PPV" in block
    assert max(len(line) for line in block.splitlines()) <= 80, block


def test_monitor_history_flags_each_record_and_exits_on_the_latest(registry: Path, charter: Charter,
                                                                   tmp_path: Path) -> None:
    storm = week("health:\n  alertsPerDay: 9.6\n  alerts: 67\n").replace(stamp(0.5), stamp(3))
    assert record(charter, registry, tmp_path, storm, name="storm.yaml").code == 0
    history = charter("-C", registry, "monitor", "history", "sepsis-risk", "--metric", "alertsPerDay",
                      "--format", "json")
    assert history.code == 1
    answer = json.loads(history.stdout)
    assert answer["withinExpectation"] is False
    [seen] = [p for p in answer["points"] if p["source"] == "record" and p["value"] == 9.6]
    assert seen["value"] == 9.6 and seen["counts"] == {"numerator": 67, "denominator": 7, "of": "days"}
    assert seen["ciLower"] == pytest.approx(stats.chi2.ppf(0.025, 134) / 14)
    assert seen["expectation"] == {"evaluated": 5.1, "ciLower": None, "ciUpper": None, "outside": True}
    table = charter("-C", registry, "monitor", "history", "sepsis-risk", "--metric", "alertsPerDay")
    assert table.code == 1 and "5.1 ✗" in table.stdout and "67 in 7 d" in table.stdout
    assert "✗ production/sepsis-risk 1.0.0: alerts/day outside expectation" in table.stdout
    # a later week within expectation: the storm stays flagged in the history, the exit code follows the latest
    calm = week("health:\n  alertsPerDay: 5.3\n  alerts: 37\n")
    assert record(charter, registry, tmp_path, calm, name="calm.yaml").code == 0
    again = charter("-C", registry, "monitor", "history", "sepsis-risk", "--format", "json")
    assert again.code == 0
    flagged = [p["expectation"]["outside"] for p in json.loads(again.stdout)["points"]
               if p["metric"] == "alertsPerDay" and p["expectation"]]
    assert flagged == [False, True, False]  # the example's week, the storm, the calm week
    subgroups = [p for p in json.loads(again.stdout)["points"] if p["subgroup"]]
    assert {(p["metric"], p["subgroup"]) for p in subgroups} >= {("ppv", "sex=female"), ("sensitivity", "sex=male")}


# --- bad denominators are refused where they were written ---------------------------------------------------------


@pytest.mark.parametrize(("body", "expected"), [
    ("health:\n  unitsScored: 70\n  alerts: 80\n",
     "report.yaml:9:11: error CH840 spec.health.alerts is 80, more than spec.health.unitsScored (70)"),
    ("outcomes:\n  alertsLabelled: 50\n  truePositives: 60\n  events: 70\n",
     "report.yaml:9:18: error CH840 spec.outcomes.truePositives is 60, more than spec.outcomes.alertsLabelled (50)"),
    ("outcomes:\n  labelled: 100\n  events: 90\n  alertsLabelled: 30\n  truePositives: 15\n",
     "report.yaml:10:19: error CH841 15 labelled alerts without the event (alertsLabelled - truePositives), but "
     "only 10 labelled units without it"),
    ("health:\n  alertsPerDay: 9.6\n  alerts: 37\n",
     "report.yaml:8:17: error CH842 alertsPerDay is 9.6, but 37 alerts over 7 days is 5.286"),
    ("health:\n  alerts: 37\nsubgroups:\n  - {attribute: sex, value: female, alerts: 20}\n"
     "  - {attribute: sex, value: female, alerts: 40}\n",
     "report.yaml:11:5: error CH843 subgroup sex=female is reported twice (first at line 10)"),
    ("health:\n  alerts: 37\nsubgroups:\n  - {attribute: sex, value: female, alerts: 40}\n",
     "report.yaml:10:45: error CH840 spec.subgroups[0].alerts is 40, more than spec.health.alerts (37)"),
])
def test_inconsistent_counts_are_refused_at_their_line(registry: Path, charter: Charter, tmp_path: Path, body: str,
                                                       expected: str) -> None:
    before = sorted((registry / "records").iterdir())
    done = record(charter, registry, tmp_path, week(body))
    assert done.code == 1, done
    assert expected in done.stdout, done.stdout
    assert sorted((registry / "records").iterdir()) == before


def test_counts_that_give_no_figure_are_warnings(registry: Path, charter: Charter, tmp_path: Path) -> None:
    only_tp = record(charter, registry, tmp_path, week("outcomes:\n  truePositives: 12\n", "outcome"))
    assert only_tp.code == 0, only_tp
    assert ("report.yaml:8:18: warning CH844 spec.outcomes.truePositives without alertsLabelled or events"
            in only_tp.stdout)
    alerts_only = "outcomes:\n  labelled: 40\n  alertsLabelled: 40\n  events: 25\n  truePositives: 25\n"
    later = week(alerts_only, "outcome").replace(stamp(0.5), stamp(0.25))
    chart_review = record(charter, registry, tmp_path, later, name="review.yaml")
    assert chart_review.code == 0, chart_review
    assert "review.yaml:10:11: warning CH845 spec.outcomes.events: labelled equals alertsLabelled" \
        in chart_review.stdout
    row = next(r for r in Registry(registry).status("production").rows if r.model == "sepsis-risk")
    assert row.outcome is not None and row.outcome.expectation is not None
    assert [c.figure for c in row.outcome.expectation.comparisons] == ["ppv"]  # sensitivity is not estimable


def test_validate_checks_the_counts_of_records_other_tools_wrote(registry: Path, charter: Charter) -> None:
    (registry / "records" / "hand-written.yaml").write_text(f"""\
apiVersion: charter/v1
kind: DeploymentRecord
metadata:
  name: hand-written
  owner: team-ml-platform
  description: Counts that cannot all be true.
  status: active
spec:
  model: model:sepsis-risk@1.0.0
  environment: production
  type: outcome
  at: {stamp(1)}
  reporter: a person
  period: {{start: {stamp(30)}, end: {stamp(2)}}}
  outcomes: {{labelled: 50, events: 60}}
""")
    result = charter("-C", registry, "validate", "records/hand-written.yaml")
    assert result.code == 1
    assert ("records/hand-written.yaml:15:36: error CH840 spec.outcomes.events is 60, more than "
            "spec.outcomes.labelled (50)") in result.stdout


# --- which evaluation is the expectation -----------------------------------------------------------------------


def test_the_expectation_is_the_evaluation_the_policy_reads(registry: Path) -> None:
    source = registry / "evaluations/sepsis-risk-1-0-0-retro/1.0.0.yaml"
    text = source.read_text()
    newer = text.replace("cohort:sepsis-adult-inpatients-eval@1.0.0", "cohort:sepsis-adult-inpatients-train@1.0.0")
    newer = newer.replace("  version: 1.0.0\n", "  version: 2.0.0\n").replace("method: retrospective",
                                                                                "method: shadow")
    newer = newer.replace("  date: ", "  date: 2999-01-01\n  old_date: ", 1).replace("  old_date: ", "  # ")
    (source.parent / "2.0.0.yaml").write_text(newer)
    opened = Registry(registry)
    production = promotion_evaluation(opened.index, opened.config, "production", "model:sepsis-risk@1.0.0")
    assert production is not None and str(production.ref) == "evaluation:sepsis-risk-1-0-0-retro@1.0.0"
    dev = promotion_evaluation(opened.index, opened.config, "dev", "model:sepsis-risk@1.0.0")
    assert dev is not None and str(dev.ref) == "evaluation:sepsis-risk-1-0-0-retro@2.0.0"  # no policy: the newest


# --- the interval arithmetic against SciPy and statsmodels --------------------------------------------------------


COUNTS = [0, 1, 2, 3, 5, 9, 10, 37, 67, 100, 934, 5000, 123_456, 2_000_000, 10**12]


@pytest.mark.parametrize("count", COUNTS)
def test_poisson_interval_is_garwoods_exact_interval(count: int) -> None:
    low, high = poisson_interval(count)
    assert low == (pytest.approx(stats.chi2.ppf(0.025, 2 * count) / 2, rel=1e-10) if count else 0.0)
    assert high == pytest.approx(stats.chi2.ppf(0.975, 2 * count + 2) / 2, rel=1e-10)
    # what makes it exact: each bound leaves 2.5% of the Poisson distribution beyond the count
    if count:
        assert stats.poisson.sf(count - 1, low) == pytest.approx(0.025, abs=1e-9)
    assert stats.poisson.cdf(count, high) == pytest.approx(0.025, abs=1e-9)


@pytest.mark.parametrize(("a", "x"), [(0.5, 0.01), (1, 1), (3, 2), (3, 40), (67, 50), (68, 90), (1e4, 1e4 - 150),
                                      (1e4, 1e4 + 150)])
def test_regularized_gamma_and_its_quantile_agree_with_scipy(a: float, x: float) -> None:
    assert gamma_p(a, x) == pytest.approx(stats.gamma.cdf(x, a), rel=1e-9, abs=1e-14)
    for q in (0.001, 0.025, 0.5, 0.975, 0.999):
        assert gamma_quantile(q, a) == pytest.approx(stats.gamma.ppf(q, a), rel=1e-9)


@pytest.mark.parametrize(("successes", "trials"), [(0, 1), (0, 40), (1, 3), (8, 40), (30, 98), (86, 158),
                                                   (507, 934), (40, 40), (3, 100_000)])
def test_observed_proportions_have_wilson_intervals(successes: int, trials: int) -> None:
    seen = observe({"truePositives": successes, "alertsLabelled": trials, "events": trials}, None)
    expected = proportion.proportion_confint(successes, trials, alpha=0.05, method="wilson")
    for figure in ("ppv", "sensitivity"):
        assert (seen[figure].lower, seen[figure].upper) == pytest.approx(expected, abs=1e-12)
        assert seen[figure].value == successes / trials


@pytest.mark.parametrize("count", [0, 3, 20, 37, 67])
def test_outside_expectation_is_the_exact_poisson_test(count: int) -> None:
    """The interval leaves the evaluated rate out exactly when the two-sided exact test (each tail at 2.5%)
    rejects it: the rule the docs state."""
    seen = observe({"alerts": count}, 7.0)["alertsPerDay"]
    for rate in [r / 10 for r in range(1, 160)]:
        mean = rate * 7
        rejected = min(stats.poisson.sf(count - 1, mean), stats.poisson.cdf(count, mean)) < 0.025
        assert (not seen.lower <= rate <= seen.upper) == rejected, (count, rate)


@pytest.mark.parametrize(("successes", "trials"), [(30, 98), (8, 40), (86, 158)])
def test_outside_expectation_is_the_score_test_for_proportions(successes: int, trials: int) -> None:
    seen = observe({"truePositives": successes, "alertsLabelled": trials}, None)["ppv"]
    for p0 in [p / 100 for p in range(1, 100)]:
        _, pvalue = proportion.proportions_ztest(successes, trials, value=p0, prop_var=p0)
        if not math.isclose(pvalue, 0.05, abs_tol=1e-6):
            assert (not seen.lower <= p0 <= seen.upper) == (pvalue < 0.05), (successes, trials, p0)

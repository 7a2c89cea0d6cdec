"""Counts at thresholds, the scored span and subgroup rows (charter.evaluation.threshold_counts), against loops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.errors import PredictionsError
from charter.evaluation.confusion import Confusion
from charter.evaluation.predictions import MISSING, ColumnMap, Predictions, read_predictions
from charter.evaluation.threshold_counts import (
    alerts_per_day,
    canonical_threshold,
    canonical_thresholds,
    counts_at,
    scored_span_days,
    subgroup_masks,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def brute_force(scores: list[float], labels: list[int], threshold: float) -> Confusion:
    tp = fp = tn = fn = 0
    for score, label in zip(scores, labels, strict=True):
        alert = score >= threshold
        if alert and label == 1:
            tp += 1
        elif alert:
            fp += 1
        elif label == 1:
            fn += 1
        else:
            tn += 1
    return Confusion(tp, fp, tn, fn)


#: Scores on a coarse grid, so that ties and scores exactly at a threshold are common.
grid_scores = st.integers(0, 20).map(lambda i: i / 20)
any_scores = st.one_of(grid_scores, st.floats(0, 1))


@SETTINGS
@given(rows=st.lists(st.tuples(any_scores, st.integers(0, 1)), max_size=60),
       thresholds=st.lists(st.one_of(grid_scores, st.floats(-0.5, 1.5), st.just(float("inf"))), min_size=1,
                           max_size=8))
def test_counts_at_every_threshold_match_a_loop(rows: list[tuple[float, int]], thresholds: list[float]) -> None:
    scores = [s for s, _ in rows]
    labels = [y for _, y in rows]
    found = counts_at(np.array(scores), np.array(labels, dtype=np.int8), thresholds)
    assert found.thresholds.tolist() == sorted({canonical_threshold(t) for t in thresholds})
    for i, threshold in enumerate(found.thresholds.tolist()):
        expected = brute_force(scores, labels, threshold)
        assert (found.tp[i], found.fp[i], found.tn[i], found.fn[i]) == (expected.tp, expected.fp, expected.tn,
                                                                         expected.fn)
        assert found.at(threshold) == expected
    assert (found.tp + found.fp + found.tn + found.fn == len(rows)).all()
    assert (np.diff(found.alerts) <= 0).all()  # alerts fall as the threshold rises


def test_an_alert_is_a_score_at_or_above_the_threshold() -> None:
    found = counts_at([0.2, 0.3, 0.3, 0.7], [0, 1, 0, 1], [0.3])
    assert found.at(0.3) == Confusion(tp=2, fp=1, tn=1, fn=0)
    assert found.tp.dtype == np.int64


def test_thresholds_match_canonically() -> None:
    """0.1 + 0.2 is 0.30000000000000004: it and 0.3 are one threshold, asked for or looked up."""
    assert 0.1 + 0.2 != 0.3
    assert canonical_threshold(0.1 + 0.2) == canonical_threshold(0.3) == 0.3
    found = counts_at([0.3, 0.30000000000000004, 0.29999999999999993], [1, 1, 0], [0.1 + 0.2, 0.3])
    assert found.thresholds.tolist() == [0.3]
    assert found.at(0.30000000000000004) == found.at(0.3) == Confusion(tp=2, fp=0, tn=1, fn=0)
    assert found.index(1 - 0.7) == 0  # 0.30000000000000004 once more, by another route
    with pytest.raises(KeyError):
        found.index(0.31)
    assert canonical_threshold(0.123456789012345) == 0.123456789012
    assert canonical_threshold(1e-15 + 0.5) == 0.5 and canonical_threshold(0.5000000001) == 0.5000000001
    assert canonical_thresholds([0.5, 0.1 + 0.2, 0.3, 0.5]).tolist() == [0.3, 0.5]
    with pytest.raises(ValueError, match="NaN"):
        canonical_threshold(float("nan"))


@SETTINGS
@given(value=st.floats(allow_nan=False))
def test_the_canonical_form_is_stable(value: float) -> None:
    once = canonical_threshold(value)
    assert canonical_threshold(once) == once
    assert once == value or abs(once - value) <= abs(value) * 1e-11


def test_counts_refuse_what_cannot_be_compared() -> None:
    with pytest.raises(ValueError, match="NaN"):
        counts_at([0.1, float("nan")], [0, 1], [0.5])
    with pytest.raises(ValueError, match="0 or 1"):
        counts_at([0.1, 0.2], [0, 2], [0.5])
    with pytest.raises(ValueError, match="alike"):
        counts_at([0.1, 0.2], [0], [0.5])


def test_a_million_rows_at_a_thousand_thresholds() -> None:
    rng = np.random.default_rng(5)
    scores = rng.random(1_000_000)
    labels = (rng.random(1_000_000) < scores * 0.2).astype(np.int8)
    thresholds = np.linspace(0, 1, 1001)
    found = counts_at(scores, labels, thresholds)
    for i in (0, 137, 500, 1000):
        t = found.thresholds[i]
        alerts = scores >= t
        assert found.tp[i] == int((alerts & (labels == 1)).sum()) and found.fp[i] == int((alerts & (labels == 0)).sum())


# ------------------------------------------------------------------------------------------- span and alerts per day


def _times(*texts: str) -> np.ndarray:
    return np.array(texts, dtype="datetime64[s]")


def test_the_scored_span_is_the_last_time_minus_the_first() -> None:
    assert scored_span_days(_times("2025-07-01T00:00:00", "2025-07-31T12:00:00", "2025-07-10T00:00:00")) == 30.5
    assert scored_span_days(_times("2025-07-01T00:00:00")) == 0.0
    with pytest.raises(ValueError):
        scored_span_days(_times())


def test_alerts_per_day_need_a_span(tmp_path: Path) -> None:
    spread = tmp_path / "spread.csv"
    spread.write_text("score,label,time\n0.9,1,2025-07-01T00:00:00Z\n0.8,0,2025-07-03T00:00:00Z\n"
                      "0.1,0,2025-07-05T00:00:00Z\n")
    predictions = read_predictions(spread)
    counts = counts_at(predictions.score, predictions.label, [0.5, 0.85])
    assert alerts_per_day(counts, predictions).tolist() == [0.5, 0.25]

    instant = tmp_path / "instant.csv"
    instant.write_text("score,label,time\n0.9,1,2025-07-01T08:00:00+02:00\n0.1,0,2025-07-01T06:00:00Z\n")
    predictions = read_predictions(instant)
    with pytest.raises(PredictionsError) as caught:
        alerts_per_day(counts_at(predictions.score, predictions.label, [0.5]), predictions)
    assert caught.value.message == (f"{instant}: every row has the same time (2025-07-01T06:00:00Z), so alerts per "
                                    "day have no span to spread over")
    assert "\n" not in caught.value.hint


# ------------------------------------------------------------------------------------------- subgroups


def test_subgroup_masks_in_a_stable_order(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("score,label,time,site,sex\n"
                    "0.1,0,2025-07-01,north,m\n0.2,1,2025-07-01,,f\n0.3,0,2025-07-01,east,f\n"
                    "0.4,1,2025-07-01,north,\n0.5,0,2025-07-01,(missing),m\n")
    predictions = read_predictions(path, ColumnMap(subgroups=("site", "sex")))
    masks = subgroup_masks(predictions)
    assert list(masks) == [("site", "east"), ("site", "north"), ("site", MISSING), ("sex", "f"), ("sex", "m"),
                           ("sex", MISSING)]
    assert masks[("site", MISSING)].tolist() == [False, True, False, False, True]
    for (column, value), mask in masks.items():
        assert mask.tolist() == [v == value for v in predictions.subgroups[column].tolist()]


def test_subgroup_masks_of_predictions_built_by_hand() -> None:
    n = 4
    built = Predictions(path=Path("x.csv"), format="csv", rows=n, score=np.zeros(n), label=np.zeros(n, np.int8),
                        time=np.zeros(n, "datetime64[s]"), ids=None, baseline=None, md5="", columns=ColumnMap(),
                        subgroups={"sex": np.array(["m", MISSING, "f", "m"], dtype=object)})
    masks = subgroup_masks(built)
    assert list(masks) == [("sex", "f"), ("sex", "m"), ("sex", MISSING)]
    assert masks[("sex", "m")].tolist() == [True, False, False, True]
    assert masks[("sex", MISSING)].tolist() == [False, True, False, False]

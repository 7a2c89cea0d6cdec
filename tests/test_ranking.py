"""One sort per score column, shared by every figure: a subset's ranking, and everything computed from it, must be
exactly what sorting the subset itself gives, and each subgroup's figures must come from that subgroup's rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from charter.evaluation.calibration import reliability_bins
from charter.evaluation.figures import FigureSettings, compute_figures, rounded
from charter.evaluation.predictions import ColumnMap, read_predictions
from charter.evaluation.ranking import Ranking
from charter.evaluation.statistics import (
    auroc_delong,
    average_precision,
    average_precision_bootstrap,
    paired_auroc_delong,
    paired_rate_differences,
    placements,
    precision_recall_cells,
)
from charter.evaluation.threshold_counts import subgroup_masks


def _tied(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores with many ties (two decimals, and both zeros), and events."""
    rng = np.random.default_rng(seed)
    score = np.round(rng.beta(1.0, 6.0, rows), 2)
    score[rng.random(rows) < 0.05] = -0.0  # -0.0 ties with 0.0
    event = rng.random(rows) < np.clip(score, 0.02, 1.0)
    return score, event


def test_a_subset_ranks_as_a_sort_of_the_subset_would() -> None:
    score, event = _tied(5000, 3)
    ranking = Ranking.of(score, event)
    rng = np.random.default_rng(4)
    for mask in (rng.random(score.size) < 0.3, score > 0.1, np.zeros(score.size, bool), np.ones(score.size, bool)):
        subset = ranking.subset(mask)
        alone = Ranking.of(score[mask], event[mask])
        assert np.array_equal(subset.order, alone.order)
        assert np.array_equal(subset.score, score[mask]) and np.array_equal(subset.event, event[mask])
    with pytest.raises(ValueError, match="boolean mask"):
        ranking.subset(np.ones(score.size, dtype=np.int8))


def test_a_split_ranks_each_code_as_its_subset_would() -> None:
    score, event = _tied(5000, 11)
    ranking = Ranking.of(score, event)
    codes = np.random.default_rng(12).choice(4, score.size, p=[0.5, 0.3, 0.2, 0.0])  # code 3: no rows
    parts = ranking.split(codes, 4)
    assert len(parts) == 4 and parts[3].size == 0
    for code, part in enumerate(parts):
        alone = ranking.subset(codes == code)
        assert np.array_equal(part.order, alone.order)
        assert np.array_equal(part.score, alone.score) and np.array_equal(part.event, alone.event)
    with pytest.raises(ValueError, match=r"0 \.\. 1"):
        ranking.split(codes, 2)  # a code 2 with only two codes


def test_placements_cells_and_bins_from_a_ranking_are_bit_for_bit_those_from_a_sort() -> None:
    score, event = _tied(4000, 5)
    ranking = Ranking.of(score, event)
    mask = np.random.default_rng(6).random(score.size) < 0.4
    shared, own = placements(ranking.subset(mask)), placements(Ranking.of(score[mask], event[mask]))
    assert shared is not None and own is not None
    assert np.array_equal(shared.events, own.events) and np.array_equal(shared.non_events, own.non_events)
    found = auroc_delong(score[mask], event[mask])
    assert found is not None and found.value == shared.auroc
    for got, expected in zip(precision_recall_cells(score, event, ranking.order),
                             precision_recall_cells(score, event), strict=True):
        assert np.array_equal(got, expected)
    assert average_precision(ranking, replicates=50, seed=3) == average_precision_bootstrap(score, event,
                                                                                            replicates=50, seed=3)
    assert reliability_bins(score, event, order=ranking.order) == reliability_bins(score, event)


def _midranks(ascending: np.ndarray) -> np.ndarray:
    starts = np.flatnonzero(np.concatenate(([True], ascending[1:] != ascending[:-1])))
    ends = np.append(starts[1:], ascending.size)
    return np.repeat((starts + ends + 1) / 2.0, ends - starts)


def test_placements_are_bit_for_bit_the_midrank_differences_of_sun_and_xu() -> None:
    """Placements count the other class below each row (ties 1/2); Sun & Xu's midrank in the whole sample minus
    the midrank within the class is the same exact half-integer, so the two agree to the bit (recorded figures
    were computed the second way)."""
    for score, event in (_tied(3000, 13), (np.random.default_rng(14).random(2000),
                                           np.random.default_rng(15).random(2000) < 0.2)):
        order = np.argsort(score, kind="stable")
        ascending, sorted_event = score[order], event[order]
        overall = _midranks(ascending)
        expected = np.empty(score.size)
        expected[order[sorted_event]] = ((overall[sorted_event] - _midranks(ascending[sorted_event]))
                                         / int((~event).sum()))
        expected[order[~sorted_event]] = 1.0 - ((overall[~sorted_event] - _midranks(ascending[~sorted_event]))
                                                / int(event.sum()))
        found = placements(Ranking.of(score, event))
        assert found is not None
        assert np.array_equal(found.events, expected[event]) and np.array_equal(found.non_events, expected[~event])


def test_each_subgroup_figure_comes_from_its_own_rows(tmp_path: Path) -> None:
    """The figures keep placements per (score column, subgroup) and each row's paired cell: each subgroup's AUROC,
    paired difference and rate differences must be what its own rows give, not another subgroup's or the whole
    cohort's."""
    score, event = _tied(6000, 7)
    rng = np.random.default_rng(8)
    baseline = np.clip(np.round(score + rng.normal(0.0, 0.08, score.size), 2), 0.0, 1.0)
    site = rng.choice(np.array(["A", "B", "C"]), score.size, p=[0.5, 0.3, 0.2])
    band = rng.choice(np.array(["young", "old"]), score.size)
    path = tmp_path / "predictions.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("id,score,label,time,site,band,baseline\n")
        for i in range(score.size):
            out.write(f"u{i},{abs(score[i])},{int(event[i])},2026-01-{1 + i % 28:02d}T00:00:00Z,{site[i]},{band[i]},"
                      f"{baseline[i]}\n")
    predictions = read_predictions(path, ColumnMap(subgroups=("site", "band"), baseline="baseline"))
    figures = compute_figures(predictions, FigureSettings((0.2,), 0.2, 14, replicates=50, baseline="model:m@1.0.0"))
    masks = subgroup_masks(predictions)
    assert len(figures["subgroups"]) == len(masks) == 5
    aurocs = set()
    for entry, comparison in zip(figures["subgroups"], figures["comparison"]["subgroups"], strict=True):
        mask = masks[(entry["attribute"], entry["value"])]
        new, base, label = predictions.score[mask], predictions.baseline[mask], predictions.label[mask]
        alone = auroc_delong(new, label)
        paired = paired_auroc_delong(new, base, label)
        assert alone is not None and paired is not None and alone.lower is not None and paired.lower is not None
        assert entry["metrics"]["auroc"] == rounded(alone.value)
        assert entry["intervals"]["auroc"]["lower"] == rounded(alone.lower)
        assert comparison["auroc"]["delta"] == rounded(paired.delta)
        assert comparison["auroc"]["ciLower"] == rounded(paired.lower)
        rates = paired_rate_differences(new >= 0.2, base >= 0.2, label, None, replicates=2000, seed=14)
        for rate in ("sensitivity", "specificity"):
            assert comparison[rate]["delta"] == rounded(rates[rate].delta)
            assert comparison[rate]["pValue"] == rounded(rates[rate].p_value or 0.0)
        assert (comparison["n"], comparison["events"]) == (int(mask.sum()), int(label.sum()))
        aurocs.add(entry["metrics"]["auroc"])
    assert len(aurocs) == 5  # the subgroups differ, so a figure taken from the wrong rows would show
    whole = auroc_delong(predictions.score, predictions.label)
    assert whole is not None and figures["metrics"]["auroc"]["value"] == rounded(whole.value)

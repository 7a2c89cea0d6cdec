"""Confusion counts at many thresholds from scores and labels, the scored span, and the subgroups' rows.

An alert is a score at or above the threshold (as in `confusion.Confusion`). The scores are sorted once, by label,
and each threshold is placed in them by binary search: O(n log n) for the sort and O(k log n) for k thresholds,
so a thousand thresholds over a million rows cost little more than one.

Thresholds are matched by their canonical value, the float nearest their 12 significant digits
(`canonical_threshold`): 0.1 + 0.2 (0.30000000000000004) and 0.3 are one threshold, so a threshold computed by
arithmetic meets the same threshold written in a file or a contract. Twelve digits is far more than any threshold
is written with and far less than a float carries (about 16), so two thresholds people mean to be different stay
different. Scores are compared with the canonical threshold as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from charter.errors import PredictionsError
from charter.evaluation.confusion import Confusion, canonical_threshold

if TYPE_CHECKING:
    from charter.evaluation.predictions import Predictions

SECONDS_PER_DAY = 86400

Counts = npt.NDArray[np.int64]


def canonical_thresholds(values: Iterable[float]) -> npt.NDArray[np.float64]:
    """Distinct canonical thresholds, ascending."""
    return np.unique(np.array([canonical_threshold(float(v)) for v in values], dtype=np.float64))


@dataclass(frozen=True, eq=False)
class ThresholdCounts:
    """tp, fp, tn and fn at each threshold: `thresholds` holds the distinct canonical thresholds asked for, in
    ascending order, and the count arrays (int64) are aligned with it."""

    thresholds: npt.NDArray[np.float64]
    tp: Counts
    fp: Counts
    tn: Counts
    fn: Counts

    @property
    def alerts(self) -> Counts:
        return self.tp + self.fp

    def index(self, threshold: float) -> int:
        """Where a threshold is in `thresholds`, matched canonically; KeyError if it was not asked for."""
        value = canonical_threshold(threshold)
        at = int(np.searchsorted(self.thresholds, value))
        if at == len(self.thresholds) or self.thresholds[at] != value:
            raise KeyError(threshold)
        return at

    def at(self, threshold: float) -> Confusion:
        """The counts at one threshold (matched canonically)."""
        i = self.index(threshold)
        return Confusion(int(self.tp[i]), int(self.fp[i]), int(self.tn[i]), int(self.fn[i]))


def counts_at(scores: npt.ArrayLike, labels: npt.ArrayLike, thresholds: Iterable[float]) -> ThresholdCounts:
    """tp, fp, tn, fn at each threshold (an alert is score >= threshold), from one sort of the scores."""
    score = np.asarray(scores, dtype=np.float64)
    label = np.asarray(labels)
    if score.shape != label.shape or score.ndim != 1:
        raise ValueError(f"scores {score.shape} and labels {label.shape} must be one-dimensional and alike")
    if np.isnan(score).any():
        raise ValueError("scores hold NaN, which no threshold can be compared with")
    event = label == 1
    if not (event | (label == 0)).all():
        raise ValueError("labels must be 0 or 1")
    levels = canonical_thresholds(thresholds)
    positives = np.sort(score[event])
    negatives = np.sort(score[~event])
    # below[i]: how many scores of the group lie under threshold i, i.e. are not alerts
    fn = np.searchsorted(positives, levels, side="left").astype(np.int64)
    tn = np.searchsorted(negatives, levels, side="left").astype(np.int64)
    return ThresholdCounts(levels, len(positives) - fn, len(negatives) - tn, tn, fn)


def scored_span_days(times: npt.NDArray[np.datetime64]) -> float:
    """The scored span in days: the last time minus the first (not plus a day: times are instants, not dates).

    0.0 when every row has the same time; `alerts_per_day` refuses that span. ValueError for no times.
    """
    if len(times) == 0:
        raise ValueError("no times, so no span")
    seconds = times.astype("datetime64[s]").astype(np.int64)
    return float(seconds.max() - seconds.min()) / SECONDS_PER_DAY


def alerts_per_day(counts: ThresholdCounts, predictions: Predictions) -> npt.NDArray[np.float64]:
    """Alerts (tp + fp) per day of the scored span, at each threshold of `counts`.

    A span of 0 (every row scored at one instant) has no days to spread the alerts over, and any number given for
    it would mislead: that is a PredictionsError, and the evaluation then needs the period's length from elsewhere.
    """
    span = scored_span_days(predictions.time)
    if span <= 0:
        raise PredictionsError(str(predictions.path), "span.zero", time=f"{predictions.time[0]}Z")
    alerts: npt.NDArray[np.float64] = counts.alerts / span
    return alerts


def subgroup_masks(predictions: Predictions) -> dict[tuple[str, str], npt.NDArray[np.bool_]]:
    """One boolean row mask per (subgroup column, value): columns in the order they were mapped, values sorted
    with `(missing)` last (the order of `Predictions.subgroup_levels`)."""
    masks: dict[tuple[str, str], npt.NDArray[np.bool_]] = {}
    for column, values in predictions.subgroups.items():
        if column in predictions.subgroup_levels:
            levels, codes = predictions.subgroup_levels[column]
        else:  # Predictions built by hand: the levels from the values (slower: a sort of objects)
            from charter.evaluation.predictions import MISSING

            distinct, inverse = np.unique(values.astype(str), return_inverse=True)
            order = sorted(range(len(distinct)), key=lambda i: (distinct[i] == MISSING, distinct[i]))
            levels = tuple(str(distinct[i]) for i in order)
            codes = np.argsort(np.array(order)).astype(np.int32)[inverse]
        for i, value in enumerate(levels):
            masks[(column, value)] = codes == i
    return masks

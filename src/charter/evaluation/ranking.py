"""Rows sorted by score once, and the order of any subset of them without sorting again.

The figures of an evaluation sort the same scores many times: DeLong's placements for the whole cohort and for each
subgroup, for the new model and the baseline, the average precision's cells and the reliability bins. A stable
sort orders tied scores by row, so the stable order of a subset of the rows is the stable order of all the rows with
the others left out: `Ranking.subset` gives exactly what sorting the subset would, in one pass, and a million rows
are sorted once per score column instead of once per subgroup and figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Ranking:
    """Scores, events (True: an event) and `order`, the row numbers in ascending order of score, tied scores in
    row order (`np.argsort(score, kind="stable")`)."""

    score: Floats
    event: Bools
    order: Ints

    @classmethod
    def of(cls, score: Floats, event: Bools) -> Ranking:
        """The ranking of one score column (scores and events one per row, as `scores_and_events` gives them)."""
        if score.shape != event.shape or score.ndim != 1:
            raise ValueError(f"scores {score.shape} and events {event.shape} must be one-dimensional and alike")
        return cls(score, event, np.argsort(score, kind="stable").astype(np.int64, copy=False))

    @property
    def size(self) -> int:
        return int(self.score.size)

    def subset(self, mask: Bools) -> Ranking:
        """The ranking of the rows where `mask` is True, numbered as in the subset: the same as `Ranking.of` on
        `score[mask]`, `event[mask]` (tied scores stay in row order either way), without a sort."""
        if mask.shape != self.score.shape or mask.dtype != np.bool_:
            raise ValueError(f"a subset is a boolean mask of {self.score.shape} rows, not {mask.dtype} {mask.shape}")
        position = np.cumsum(mask, dtype=np.int64)
        position -= 1  # each kept row's number in the subset
        kept = self.order[mask[self.order]]
        return Ranking(self.score[mask], self.event[mask], position[kept])

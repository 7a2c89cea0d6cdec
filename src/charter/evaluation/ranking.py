"""Rows sorted by score once, and the order of any subset of them without sorting again.

The figures of an evaluation sort the same scores many times: DeLong's placements for the whole cohort and for each
subgroup, for the new model and the baseline, the average precision's cells and the reliability bins. A stable
sort orders tied scores by row, so the stable order of a subset of the rows is the stable order of all the rows with
the others left out: `Ranking.subset` gives exactly what sorting the subset would, in one pass, and a million rows
are sorted once per score column instead of once per subgroup and figure.
"""

from __future__ import annotations

import itertools
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

    def split(self, codes: npt.NDArray[np.integer], count: int) -> list[Ranking]:
        """The ranking of the rows of each code 0 .. count-1 (a subgroup column's values): `subset(codes == i)` for
        every i, from two sorts of the codes (a radix sort: they are small integers) instead of passes per value."""
        if codes.shape != self.score.shape or count < 1:
            raise ValueError(f"a split takes one code in 0 .. count-1 per row, not {codes.dtype} {codes.shape}")
        small = codes.astype(np.int8 if count <= 127 else np.int16 if count <= 32767 else np.int64)
        sizes = np.bincount(codes, minlength=count)
        if sizes.size > count or (codes.size and int(codes.min()) < 0):
            raise ValueError(f"codes lie in 0 .. {count - 1}")
        starts = np.concatenate(([0], np.cumsum(sizes)))
        by_row = np.argsort(small, kind="stable")  # each code's rows together, in row order
        local = np.empty(codes.size, dtype=np.int64)  # each row's number within its code's rows
        local[by_row] = np.arange(codes.size, dtype=np.int64) - np.repeat(starts[:-1], sizes)
        by_score = self.order[np.argsort(small[self.order], kind="stable")]  # together, in ascending score
        split = []
        for start, end in itertools.pairwise(starts.tolist()):
            rows = by_row[start:end]
            split.append(Ranking(self.score[rows], self.event[rows], local[by_score[start:end]]))
        return split

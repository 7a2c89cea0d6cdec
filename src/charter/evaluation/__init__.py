"""Evaluations as evidence: confusion counts and their rates with intervals, a results file read with
positions, the invariants an evaluation declares, whether two evaluations are comparable, and two comparable ones
compared with unpaired intervals and tests. A predictions file (one row per scored unit) is read by `predictions`,
counted at thresholds by `threshold_counts` and turned into every figure by `figures` (with `statistics` and
`calibration`); those need the `evidence` extra (numpy, scipy, pyarrow, ...), so this package imports none of them.
"""

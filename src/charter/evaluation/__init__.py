"""Evaluations as evidence: confusion counts and their rates with intervals, a results file read with
positions, the invariants an evaluation declares, and two evaluations of one cohort compared. A predictions file
(one row per scored unit) is read by `predictions` and counted at thresholds by `threshold_counts`; those two need
the `evidence` extra (numpy, pyarrow), so this package imports neither of them.
"""

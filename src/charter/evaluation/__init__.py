"""Evaluations as evidence: confusion counts and their rates with intervals, a results file read with
positions, the invariants an evaluation declares, whether two evaluations are comparable, and two comparable ones
compared with unpaired intervals and tests.
"""

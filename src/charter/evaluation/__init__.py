"""Evaluations as evidence: confusion counts and their rates with intervals, a results file read with
positions, the invariants an evaluation declares, and two evaluations of one cohort compared.
"""

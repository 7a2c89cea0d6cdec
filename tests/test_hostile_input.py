"""Hostile files, names and arguments (the table in tests/hostile_cases.py): each ends in a clear finding or error
naming the place, exit 1 or 2, never a traceback, within a memory cap and a hang guard, and nothing is executed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hostile_cases import CASES, SECRET, Case, run_case

PLACE = re.compile(r"^\S.*:\d+:\d+: error CH\d{3} ", re.M)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, registry: Path) -> None:
    outcome = run_case(case, registry)
    assert outcome.code in case.exits, outcome.output[-2000:]
    assert "Traceback" not in outcome.output and "internal error" not in outcome.output
    for expected in case.expect:
        assert expected in outcome.output, outcome.output[-2000:]
    if outcome.code == 1:
        assert PLACE.search(outcome.output), "a finding names file, line and column"
    if outcome.code == 2:
        assert outcome.output.startswith("error: "), outcome.output
    assert SECRET not in outcome.output, "nothing outside the registry is read"
    for marker in case.absent:
        assert not (registry / marker).exists() and not (registry.parent / marker).exists(), "nothing is executed"
    assert len(outcome.output) < 20_000, "output stays readable: huge values are not echoed whole"

"""`report` on dates `validate` accepts with at most a warning: shown as written, left out of the charts, never a
crash (exit 3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Charter
from tests.helpers import no_traceback

#: The example's weekly health record, named for its week (`init` moves the date with all the example's others).
RECORD = "records/sepsis-risk-1-0-0-production-health-*.yaml"
EVALUATION = "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml"

#: (the record's `at`, the evaluation's `date`)
DATES = {
    "year one in UTC": ("0001-01-01T00:00:00Z", "0001-01-01"),
    "year one east of UTC": ("0001-01-01T00:00:00+01:00", "2026-08-18"),
    "year 9999 west of UTC": ("9999-12-31T23:59:59-01:00", "9999-12-31"),
    "an offset past 24 hours": ("2026-11-16T06:00:00+25:00", "2026-08-18"),
    "the last day": ("9999-12-31T23:59:59Z", "9999-12-31"),
}


@pytest.mark.parametrize("variant", DATES)
def test_report_shows_odd_dates_as_written(registry: Path, charter: Charter, tmp_path: Path, variant: str) -> None:
    at, day = DATES[variant]
    [record] = registry.glob(RECORD)
    record.write_text(re.sub(r"(?m)^  at: .*$", f"  at: {at}", record.read_text()))
    evaluation = registry / EVALUATION
    evaluation.write_text(re.sub(r"(?m)^  date: .*$", f"  date: {day}", evaluation.read_text(), count=1))
    assert charter("-C", registry, "validate").code in (0, 1)
    result = charter("-C", registry, "report", "-o", tmp_path / "site")
    no_traceback(result)
    assert result.code == 0, result
    page = (tmp_path / "site/models/sepsis-risk.html").read_text()
    assert at in page
    history = charter("-C", registry, "monitor", "history", "sepsis-risk")
    no_traceback(history)
    assert history.code == 0, history

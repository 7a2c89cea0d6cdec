"""`charter audit`: every assignment change with its evidence, narrowed by environment and landing date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from charter.errors import SinceNotADate
from charter.history.assignments import AssignmentChange, assignment_history
from charter.registry.times import parse_date


def parse_since(text: str) -> date:
    """`--since`: a calendar date, YYYY-MM-DD."""
    try:
        return parse_date(text.strip())
    except ValueError as exc:
        raise SinceNotADate(text=text, error=exc) from exc


def landed_on(change: AssignmentChange) -> date:
    """The UTC date on which a change reached the branch."""
    return datetime.fromisoformat(change.landed_at).astimezone(UTC).date()


def audit(root: Path, *, environment: str | None = None, since: date | None = None, revision: str = "HEAD"
          ) -> list[AssignmentChange]:
    """Every assignment change with its evidence, oldest first; `since` keeps those that landed on or after it."""
    changes = assignment_history(root, environment=environment, evidence=True, revision=revision)
    if since is not None:
        changes = [c for c in changes if landed_on(c) >= since]
    return changes

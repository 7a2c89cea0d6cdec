"""The pull (merge) request a CI job runs for, from the variables GitHub Actions and GitLab CI set."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path


def pull_request_of_ci_event(env: Mapping[str, str]) -> int | None:
    """The PR/MR under test in CI: GitHub's event payload, or GitLab's merge request IID."""
    iid = env.get("CI_MERGE_REQUEST_IID")
    if iid and iid.isdigit():
        return int(iid)
    event = env.get("GITHUB_EVENT_PATH")
    if event and Path(event).is_file():
        try:
            payload = json.loads(Path(event).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        number = (payload.get("pull_request") or {}).get("number")
        return number if isinstance(number, int) else None
    return None

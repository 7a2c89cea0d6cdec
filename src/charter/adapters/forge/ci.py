"""The pull (merge) request a CI job runs for, from the variables GitHub Actions and GitLab CI set.

The event file is read as untrusted input: whatever its shape or size, the answer is a number, None (the event is
not about a pull request, e.g. a push), or `CiEventUnreadable` naming the file, never an exception of another kind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from charter.errors import CiEventUnreadable

MAX_EVENT_BYTES = 16 * 1024 * 1024  # GitHub's payloads are far smaller; a bigger file is not an event
_NUMBER = re.compile(r"[1-9][0-9]{0,11}")  # ASCII digits only: str.isdigit() accepts other scripts' digits too
_EVENT = "GITHUB_EVENT_PATH"


def pull_request_of_ci_event(env: Mapping[str, str]) -> int | None:
    """The PR/MR under test in CI: GitLab's merge request IID, or the `pull_request.number` of GitHub's event
    payload (`pull_request` and `pull_request_review` events both carry it); None where the job is not for one."""
    iid = env.get("CI_MERGE_REQUEST_IID") or ""
    if _NUMBER.fullmatch(iid):
        return int(iid)
    event = env.get(_EVENT)
    if not event:
        return None
    payload = _read_event(Path(event))
    if not isinstance(payload, dict):
        raise CiEventUnreadable(path=event, variable=_EVENT, problem=f"it holds a JSON {_kind(payload)}, "
                                "not an object")
    if payload.get("pull_request") is None:
        return None
    pull = payload["pull_request"]
    number = pull.get("number") if isinstance(pull, dict) else None
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 10**12:
        raise CiEventUnreadable(path=event, variable=_EVENT,
                                problem="its pull_request has no positive whole number in `number`")
    return number


def _read_event(path: Path) -> Any:
    try:
        if not path.is_file():
            raise CiEventUnreadable(path=str(path), variable=_EVENT, problem="no such file")
        with path.open("rb") as stream:
            raw = stream.read(MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise CiEventUnreadable(path=str(path), variable=_EVENT, problem=exc.strerror or type(exc).__name__) \
            from None
    if len(raw) > MAX_EVENT_BYTES:
        raise CiEventUnreadable(path=str(path), variable=_EVENT,
                                problem=f"larger than {MAX_EVENT_BYTES // (1024 * 1024)} MiB")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CiEventUnreadable(path=str(path), variable=_EVENT, problem="not UTF-8 text") from None
    except RecursionError:
        raise CiEventUnreadable(path=str(path), variable=_EVENT, problem="JSON nested too deeply") from None
    except ValueError as exc:
        problem = f"not JSON ({exc.msg} at line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) \
            else "not JSON"
        raise CiEventUnreadable(path=str(path), variable=_EVENT, problem=problem) from None


def _kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")

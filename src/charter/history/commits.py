"""What a commit message says beyond its subject: the pull request a forge merged it from, and its trailers.

Read from the message alone (no forge is asked), so the history works offline and on any host.
"""

from __future__ import annotations

import re

_PR_ON_SUBJECT = (
    re.compile(r"^Merge pull request #(\d+)\b"),  # GitHub, Bitbucket Server
    re.compile(r"^Merged PR (\d+):"),  # Azure DevOps
    re.compile(r"\(pull request #(\d+)\)"),  # Bitbucket Cloud
    re.compile(r"\(#(\d+)\)\s*$"),  # squash merges: "Title (#12)"
)
_GITLAB_MR = re.compile(r"^See merge request \S*!(\d+)\s*$", re.M)
_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")


def pull_request_of_message(message: str) -> int | None:
    """The pull/merge request a commit message names, in the forms forges write when they merge or squash."""
    subject = message.split("\n", 1)[0].strip()
    for pattern in _PR_ON_SUBJECT:
        match = pattern.search(subject)
        if match:
            return int(match.group(1))
    match = _GITLAB_MR.search(message)
    return int(match.group(1)) if match else None


def parse_trailers(message: str) -> tuple[tuple[str, str], ...]:
    """`Key: value` lines of the message's last paragraph (git's trailer block); continuation lines are unfolded.

    Any key is kept, in order (a key may repeat). A last paragraph with a line that is not a trailer has none, and
    neither has a message that is only a subject.
    """
    paragraphs = re.split(r"\n[ \t]*\n", message.strip())
    if len(paragraphs) < 2:
        return ()
    trailers: list[tuple[str, str]] = []
    for line in paragraphs[-1].split("\n"):
        if line[:1] in (" ", "\t") and trailers:
            key, value = trailers[-1]
            trailers[-1] = (key, f"{value} {line.strip()}".strip())
            continue
        match = _TRAILER.match(line)
        if not match:
            return ()
        trailers.append((match.group(1), match.group(2).strip()))
    return tuple(trailers)


def trailer_value(trailers: tuple[tuple[str, str], ...], key: str) -> str | None:
    """The last value of `key` (case-insensitive): a later trailer overrides an earlier one."""
    values = [v for k, v in trailers if k.lower() == key.lower()]
    return values[-1] if values else None

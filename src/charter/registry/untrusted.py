"""Registry text made inert wherever Charter shows it: a terminal, Markdown, a CSV cell, a CI workflow command.

Anyone who opens a pull request writes registry text (descriptions, reasons, names, commit subjects, file names),
so none of it may act: move a terminal's cursor or open a link in it, reorder what a reviewer reads with bidi
controls, add a heading, an image or a hidden comment to a pull request, mention a team, run a spreadsheet formula,
or start a workflow command in a CI log. Each place has one function here, and every writer of that place uses it.
JSON output needs none of them: JSON escapes control characters itself, and machines want the exact text.
"""

from __future__ import annotations

import re

#: Unicode's bidirectional controls: marks, embeddings, overrides and isolates (Trojan Source, CVE-2021-42574),
#: and the line and paragraph separators, which a terminal may break a line at.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
#: What Markdown (CommonMark, GitHub's extensions and math) or HTML could read in a line of text.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>!#|~&$])")
#: Between `@` and a name, so `@org/team` is read and not notified: GitHub and GitLab mention only `@` + name.
ZERO_WIDTH_JOINER = "\u200d"
#: An `@` that could start a mention: not inside a word (`model:x@1.0.0`, `a@b.org` mention nobody).
_MENTION = re.compile(r"(?<![0-9A-Za-z_.@/-])@(?=[0-9A-Za-z_-])")
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_text(text: str, *, one_line: bool = False) -> str:
    """Text for a terminal: C0 and C1 controls (ESC, so every escape sequence; BEL; CR) and bidi controls shown as
    `\\x1b`, `\\u202e`, never sent. Tabs and newlines stay unless `one_line` (a file name, a table cell)."""
    return (_UNSAFE_LINE if one_line else _UNSAFE).sub(_visible, text)


def _flat(text: str) -> str:
    """One line of visible text: runs of whitespace (newlines too) collapsed to one space, controls shown."""
    return terminal_text(" ".join(text.split()), one_line=True)


def markdown_text(text: str) -> str:
    """Text inside a Markdown line or table cell that stays text: on one line (no heading or list can start), every
    punctuation mark that Markdown or HTML could read escaped (`<!--`, `![`, `[x](...)`, `|`, `` ` ``, `#`), and
    mentions defanged (`@org` cannot notify anyone)."""
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", _flat(text))
    return _MENTION.sub("@" + ZERO_WIDTH_JOINER, escaped)


def markdown_code(text: str) -> str:
    """Text as a Markdown code span that stays one span: one line, no backtick to close it early, and `|` escaped
    (a GitHub table splits cells before it reads code spans). Inside a span nothing else is read, mentions included."""
    return "`" + _flat(text).replace("`", "'").replace("|", "\\|") + "`"


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows and does not evaluate: a leading `= + - @` (or tab, CR) gets a `'` before it,
    as OWASP's CSV-injection guidance says."""
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


def workflow_data(text: str) -> str:
    """The message of a GitHub Actions workflow command (`::error ...::MESSAGE`): `%`, CR and LF escaped as GitHub
    unescapes them, so a newline cannot start a second command; other controls shown, not sent."""
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return terminal_text(escaped, one_line=True)


def workflow_property(text: str) -> str:
    """A property of a workflow command (`file=`, `title=`): as `workflow_data`, and `:` and `,` escaped too."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")

"""Where output goes and how it looks: rich for people (NO_COLOR and non-TTYs respected), JSON for machines."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from charter.errors import CharterError
from charter.registry.untrusted import terminal_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class _LazyConsole:
    """A rich Console made on first use: `charter --help` and the JSON paths never import rich (~40 ms)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            class _Console(Console):
                def print(self, *objects: Any, **options: Any) -> None:
                    # The one way text reaches a person's terminal: registry text cannot drive it (terminal_text).
                    super().print(*(terminal_text(o) if isinstance(o, str) else o for o in objects), **options)

                def on_broken_pipe(self) -> None:
                    # rich exits with 1 (the findings code); the app's one handler decides (cli/app.py).
                    self.quiet = True
                    raise BrokenPipeError

            self._console = _Console(**self._options)
        return getattr(self._console, name)


out = cast("Console", _LazyConsole(highlight=False, soft_wrap=True))
err = cast("Console", _LazyConsole(stderr=True, highlight=False, soft_wrap=True))


def escape(text: str, *, one_line: bool = True) -> str:
    """Registry text made safe to print through rich markup (a `[` in a description is not a style) and inert in a
    terminal (no escape sequence, no bidi control: `terminal_text`). A newline is shown as `\\n` unless the text is
    known to be several lines: a file name with a newline must not start a line a CI log would obey."""
    from rich.markup import escape as rich_escape

    return rich_escape(terminal_text(text, one_line=one_line))


#: A piece of a line: plain text, or text and the rich style to show it in on a terminal ("red", "bold").
Part = str | tuple[str, str]


def print_line(*parts: Part, stderr: bool = False) -> None:
    """One line made of styled parts, no markup (so registry text needs no escaping).

    A terminal gets the styles through rich. A pipe or a file gets the text exactly as rich would write it there,
    without importing rich: 20 ms of a pre-commit hook, whose output is always captured.
    """
    stream = sys.stderr if stderr else sys.stdout
    parts = tuple(terminal_text(p, one_line=True) if isinstance(p, str) else (terminal_text(p[0], one_line=True), p[1])
                  for p in parts)
    if _styled(stream):
        from rich.text import Text

        (err if stderr else out).print(Text.assemble(*parts))
    else:
        stream.write("".join(part if isinstance(part, str) else part[0] for part in parts) + "\n")


def _styled(stream: Any) -> bool:
    """Whether rich would style output to this stream: a terminal, or one forced by FORCE_COLOR / TTY_COMPATIBLE."""
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":
        return True
    if os.environ.get("TTY_COMPATIBLE") == "0":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or unusual stream: no styles
        return False


def new_table(*headers: str, **options: Any) -> Table:
    """A rich table whose text cells are inert in a terminal (`terminal_text`, on one line), however they were built."""
    from rich.table import Table

    class _Table(Table):
        def add_row(self, *cells: Any, **row_options: Any) -> None:
            super().add_row(*(terminal_text(c, one_line=True) if isinstance(c, str) else c for c in cells),
                            **row_options)

    return _Table(*headers, **options)


#: The help of a model argument, shared by `resolve` and `pull`. Here, not in render.py: a `charter resolve` run
#: loads no CLI module but the app, this one and its own (tests/test_imports.py).
MODEL_HELP = "The model: NAME, model:NAME@VERSION, model:NAME@latest, or model:NAME@ENV (e.g. @production)."


class ReadFormat(StrEnum):
    text = "text"
    json = "json"


class TableFormat(StrEnum):
    table = "table"
    json = "json"


def print_json(data: Any) -> None:
    # Plain print, not rich: machine output must never be wrapped, coloured or re-highlighted.
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_error(error: CharterError) -> None:
    err.print(f"[bold red]error:[/] {escape(error.message, one_line=False)}")  # a query error shows a caret below
    if error.hint:
        err.print(f"  [dim]hint:[/] {escape(error.hint)}")


def display_path(root: Path, relpath: str) -> str:
    """A finding's file as the person sees it: relative to where they are when that is shorter."""
    absolute = root / relpath
    try:
        rel = os.path.relpath(absolute, Path.cwd())
    except ValueError:
        return str(absolute)
    return rel if not rel.startswith("../../..") else str(absolute)

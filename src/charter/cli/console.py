"""Where output goes and how it looks: rich for people (NO_COLOR and non-TTYs respected), JSON for machines."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from charter.errors import CharterError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


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
    err.print(f"[bold red]error:[/] {escape(error.message)}")
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

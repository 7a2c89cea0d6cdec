"""Any YAML value as HTML: mappings as definition lists, lists of mappings as tables, references as links.

In Python rather than as a recursive template macro: specs are the bulk of a large registry's pages, and a macro
call per value made rendering them the slowest part of a report. Every string is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

Linker = Callable[[str], str | None]
Url = Callable[[object], str | None]


def _scalar(value: Any, link: Linker, external: Url) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return '<span class="muted">null</span>'
    if isinstance(value, str):
        target = link(value)
        if target:
            return f'<a href="{escape(target)}"><code>{escape(value)}</code></a>'
        url = external(value) if value.startswith(("http://", "https://", "mailto:")) else None
        if url:
            return f'<a class="external" href="{escape(url)}" rel="noopener noreferrer">{escape(value)}</a>'
    return escape(str(value))


def render_tree(value: Any, link: Linker, external: Url) -> str:
    """`link` gives the page of a reference (or None), `external` a followable URL (or None)."""
    if isinstance(value, dict):
        items = "".join(f"<dt>{escape(str(k))}</dt><dd>{render_tree(v, link, external)}</dd>"
                        for k, v in value.items())
        return f'<dl class="tree">{items}</dl>'
    if not isinstance(value, list):
        return _scalar(value, link, external)
    if not value:
        return '<span class="muted">none</span>'
    if all(isinstance(row, dict) for row in value):
        columns: list[str] = []
        for row in value:
            columns.extend(k for k in row if k not in columns)
        head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{render_tree(row[c], link, external) if c in row else ''}</td>"
                                        for c in columns) + "</tr>" for row in value)
        return f'<div class="scroll"><table class="data"><thead><tr>{head}</tr></thead><tbody>{body}' \
               f"</tbody></table></div>"
    items = "".join(f"<li>{render_tree(v, link, external)}</li>" for v in value)
    return f'<ul class="plain">{items}</ul>'

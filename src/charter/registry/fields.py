"""Paths into parsed documents (`spec.inputs[2].unit`) and where they sit in their file.

Kept apart from the YAML parser so that code reading cached documents never imports PyYAML (15 ms of a pre-commit
run that parses nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

JsonPath = tuple[str | int, ...]


def dotted(path: JsonPath) -> str:
    """`spec.input.fields[2].unit`: how a person names a place in a document."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def strings_in(data: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, str]]:
    """Every string value in plain data, with its JSON path."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from strings_in(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from strings_in(value, (*path, i))


def value_at(data: Any, path: JsonPath) -> Any:
    """The value at a path of plain data, or None where the path does not exist."""
    node = data
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


@dataclass
class Positions:
    """Line and column (1-based) of every value and every mapping key, by JSON path."""

    values: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: JsonPath, *, key: bool = False) -> tuple[int, int]:
        """Where `path` is, or its nearest ancestor that exists (a missing field is reported at its parent)."""
        probe = tuple(path)
        if key and probe in self.keys:
            return self.keys[probe]
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

"""Which field paths exist, per kind, and what type each holds: derived from Charter's JSON Schemas.

A query's field path is checked against this catalog before anything is read, so a typo is an error with a
did-you-mean rather than a query that silently matches nothing. Lists are transparent (`spec.thresholds.ppv` is
the ppv of every threshold row); maps with free keys (`additionalProperties`: metrics, params, packages) accept
any key at their level, shown as `*`; `annotations` accepts anything below it. Only the schema JSON files are read
(never jsonschema), once per process.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from charter.registry.kinds import KINDS, Kind
from charter.registry.schemas import load_schema
from charter.store.facts import WILDCARD

#: $refs to these shared definitions mark their strings as dates, versions: worth comparing as such.
_NAMED_TYPES = {"semver": "semver", "date": "date", "datetime": "datetime"}
_FORMATS = {"date": "date", "date-time": "datetime"}


@dataclass
class FieldNode:
    """One place in a kind's documents: the JSON types it may hold and the places below it."""

    types: set[str] = field(default_factory=set)
    children: dict[str, FieldNode] = field(default_factory=dict)
    any_key: FieldNode | None = None  # additionalProperties with a schema: every key is this
    open: bool = False  # additionalProperties true: anything below is allowed

    def child(self, name: str) -> FieldNode | None:
        return self.children.get(name) or self.any_key


class _Builder:
    def __init__(self) -> None:
        self.active: set[str] = set()

    def resolve(self, ref: str, current_file: str) -> tuple[dict[str, Any], str, str]:
        """A $ref to (schema, file it lives in, definition name)."""
        file_name, _, pointer = ref.partition("#")
        file_name = file_name or current_file
        node: Any = load_schema(file_name)
        for part in pointer.strip("/").split("/") if pointer.strip("/") else []:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return (node if isinstance(node, dict) else {}), file_name, pointer.rsplit("/", 1)[-1]

    def walk(self, schema: dict[str, Any], node: FieldNode, file_name: str) -> None:
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target, target_file, name = self.resolve(ref, file_name)
            if name in _NAMED_TYPES:
                node.types.add(_NAMED_TYPES[name])
            key = f"{target_file}#{ref.partition('#')[2]}"
            if key not in self.active:  # a recursive definition adds nothing new the second time
                self.active.add(key)
                self.walk(target, node, target_file)
                self.active.discard(key)
        declared = schema.get("type")
        for type_name in declared if isinstance(declared, list) else [declared] if declared else []:
            node.types.add(str(type_name))
        if "format" in schema and schema["format"] in _FORMATS:
            node.types.add(_FORMATS[schema["format"]])
        if "const" in schema or "enum" in schema:
            values = schema.get("enum", [schema.get("const")])
            node.types.update("string" if isinstance(v, str) else "number" for v in values
                              if isinstance(v, str | int | float) and not isinstance(v, bool))
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, dict):
                self.walk(sub, node.children.setdefault(name, FieldNode()), file_name)
        extra = schema.get("additionalProperties")
        if extra is True:
            node.open = True
        elif isinstance(extra, dict):
            node.any_key = node.any_key or FieldNode()
            self.walk(extra, node.any_key, file_name)
        items = schema.get("items")
        if isinstance(items, dict):
            self.walk(items, node, file_name)
        for combinator in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(combinator) or []:
                if isinstance(sub, dict):
                    self.walk(sub, node, file_name)
        for branch in ("then", "else"):
            if isinstance(schema.get(branch), dict):
                self.walk(schema[branch], node, file_name)


@cache
def kind_fields(kind: Kind) -> FieldNode:
    """The field tree of one kind, built from its schema file once per process."""
    root = FieldNode()
    _Builder().walk(load_schema(kind.schema_file), root, kind.schema_file)
    return root


def lookup(kind: Kind, path: tuple[str, ...]) -> FieldNode | None:
    """The catalog node of `path` in `kind`, or None when the kind has no such field.

    Below an open map (annotations) every path exists and its node is a fresh, type-less one.
    """
    node: FieldNode | None = kind_fields(kind)
    for part in path:
        assert node is not None
        if node.open and part not in node.children:
            return FieldNode(open=True)
        node = node.child(part)
        if node is None:
            return None
    return node


@cache
def known_paths(kinds: tuple[Kind, ...]) -> tuple[str, ...]:
    """Every field path of these kinds as a person writes it (`*` for a free key), for did-you-mean."""
    found: set[str] = set()

    def collect(node: FieldNode, prefix: str) -> None:
        for name, child in node.children.items():
            path = f"{prefix}.{name}" if prefix else name
            found.add(path)
            collect(child, path)
        if node.any_key is not None and prefix:
            collect_any = f"{prefix}.{WILDCARD}"
            found.add(collect_any)
            collect(node.any_key, collect_any)

    for kind in kinds:
        collect(kind_fields(kind), "")
    return tuple(sorted(found))


def suggest(path: str, kinds: tuple[Kind, ...], extra: tuple[str, ...] = ()) -> str | None:
    """The known path closest to a mistyped one, with free keys filled from what was typed."""
    candidates = {*known_paths(kinds), *extra}
    typed = path.split(".")
    filled: dict[str, str] = {}
    for known in candidates:
        parts = known.split(".")
        if len(parts) == len(typed) and WILDCARD in parts:
            filled[".".join(t if p == WILDCARD else p for p, t in zip(parts, typed, strict=True))] = known
    matches = difflib.get_close_matches(path, [*candidates, *filled], n=1, cutoff=0.6)
    return matches[0] if matches else None


def all_kinds() -> tuple[Kind, ...]:
    return tuple(KINDS.values())


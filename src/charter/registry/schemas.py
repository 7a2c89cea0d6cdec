"""Charter's JSON Schemas: loaded once, compiled once per kind, and bundled for other tools.

jsonschema is imported only here and only when a schema is needed, so `charter --help` stays light.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.errors import SchemaShadowsShared, SchemaUnknownShared, SchemaUnreadable
from charter.registry.kinds import KINDS, REGISTRY_KIND, Kind

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "data" / "schemas"
DEFINITIONS_FILE = "definitions.json"
_DEFS_PREFIX = f"{DEFINITIONS_FILE}#/$defs/"


@cache
def load_schema(file_name: str) -> dict[str, Any]:
    path = SCHEMA_DIR / file_name
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SchemaUnreadable(path=path, error=exc) from exc
    return loaded


def schema_kinds() -> list[Kind]:
    return [*KINDS.values(), REGISTRY_KIND]


def import_validator_library() -> None:
    """Import jsonschema (60-80 ms) ahead of the first schema check, where something else is being waited for:
    `validate --base` does it while git answers, since the files a change touched are new to the parse cache."""
    import jsonschema  # noqa: F401


@cache
def validator_for(kind: Kind) -> Validator:
    """The compiled validator of a kind; compiled once per process.

    It checks the kind's schema with its shared definitions inlined (see `inlined_schema`): following a `$ref`
    through `referencing` at every use was half of the time of checking a document.
    """
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = [
        Resource.from_contents(load_schema(k.schema_file)) for k in schema_kinds()
    ] + [Resource.from_contents(load_schema(DEFINITIONS_FILE))]
    registry: Registry[Any] = Registry().with_resources(
        (resource.id() or "", resource) for resource in resources
    )
    return Draft202012Validator(
        inlined_schema(kind),
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


#: Keywords whose value is a mapping of names to schemas (so a name there is never a keyword).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
#: Keywords whose value is data, not a schema.
_DATA_KEYWORDS = frozenset({"enum", "const", "examples", "default", "required", "$defs", "dependentRequired"})


def inlined_schema(kind: Kind) -> dict[str, Any]:
    """The bundled schema with each `$ref` to a definition replaced by the definition itself.

    A reference with no other keyword becomes the definition; one with siblings (a description) becomes
    `allOf: [definition]` beside them, which validates the same and reports each error with the same instance
    path, keyword and subschema. References in a cycle and a `$ref` next to an `allOf` are kept, as are `$defs`.
    """
    schema = bundled_schema(kind)
    definitions: dict[str, Any] = schema.get("$defs", {})
    inlined: dict[str, Any] = _inline(schema, definitions, ())
    return inlined


def _inline(node: Any, definitions: dict[str, Any], within: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, definitions, within) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    name = ref[len("#/$defs/"):] if isinstance(ref, str) and ref.startswith("#/$defs/") else None
    if name is not None and name in definitions and name not in within and "allOf" not in node:
        target = _inline(definitions[name], definitions, (*within, name))
        if len(node) == 1:
            return target
        return {("allOf" if key == "$ref" else key):
                [target] if key == "$ref" else _inline_keyword(key, value, definitions, within)
                for key, value in node.items()}
    return {key: _inline_keyword(key, value, definitions, within) for key, value in node.items()}


def _inline_keyword(key: str, value: Any, definitions: dict[str, Any], within: tuple[str, ...]) -> Any:
    if key in _DATA_KEYWORDS:
        return value
    if key in _SCHEMA_MAPS and isinstance(value, dict):
        return {name: _inline(schema, definitions, within) for name, schema in value.items()}
    return _inline(value, definitions, within)


def bundled_schema(kind: Kind) -> dict[str, Any]:
    """The kind's schema with every shared definition it uses copied in, so it stands alone."""
    schema = copy.deepcopy(load_schema(kind.schema_file))
    shared = load_schema(DEFINITIONS_FILE).get("$defs", {})
    own = set(schema.get("$defs", {}))
    bundled: dict[str, Any] = schema.setdefault("$defs", {})
    pending = _rewrite_refs(schema)
    while pending:
        name = pending.pop()
        if name in bundled:
            if name in own:
                raise SchemaShadowsShared(schema=kind.schema_file, name=name)
            continue
        if name not in shared:
            raise SchemaUnknownShared(schema=kind.schema_file, name=name)
        bundled[name] = copy.deepcopy(shared[name])
        pending |= _rewrite_refs(bundled[name], inner=True)
    return schema


def _rewrite_refs(node: Any, *, inner: bool = False) -> set[str]:
    """Point refs to definitions.json at the bundled `$defs`; return the shared names they need."""
    needed: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref.startswith(_DEFS_PREFIX):
                name = ref[len(_DEFS_PREFIX):]
                node["$ref"] = f"#/$defs/{name}"
                needed.add(name)
            elif inner and ref.startswith("#/$defs/"):
                needed.add(ref[len("#/$defs/"):])
        for value in node.values():
            needed |= _rewrite_refs(value, inner=inner)
    elif isinstance(node, list):
        for item in node:
            needed |= _rewrite_refs(item, inner=inner)
    return needed


def schema_comment(kind: Kind, relpath: str) -> str:
    """The `yaml-language-server` first line for a file at `relpath`, pointing at the registry's bundled copy."""
    depth = relpath.count("/")
    return f"# yaml-language-server: $schema={'../' * depth}.charter/schemas/{kind.schema_file}"

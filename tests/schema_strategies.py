"""Hypothesis strategies that draw documents from Charter's JSON Schemas (the subset of keywords they use).

`hypothesis-jsonschema` would be the ready-made choice, but its last release does not work with current hypothesis
(it calls a removed internal API), so this covers what Charter's schemas use: $ref, type, properties, required,
additionalProperties, propertyNames, items, min/max items and lengths, uniqueItems, enum, const, pattern, formats,
numeric bounds and anyOf. Conditional keywords (if/then, allOf, not, dependentRequired) are not steered: such a
draw may break them, which the validator must then report (the tests do not assume a draw is valid).
"""

from __future__ import annotations

import re
import string
from datetime import UTC
from typing import Any

from hypothesis import strategies as st

from charter.registry.kinds import Kind
from charter.registry.schemas import bundled_schema

Json = Any
#: Free text: printable and a little more (accents, CJK, emoji), to test quoting without drowning in noise.
_CHARACTERS = st.characters(codec="utf-8", exclude_categories=["Cs"])
_TEXT = st.text(_CHARACTERS, max_size=24)
_SIMPLE_KEY = st.text(string.ascii_lowercase + string.digits + "-_.", min_size=1, max_size=12)
_FORMATS: dict[str, st.SearchStrategy[str]] = {
    "date-time": st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0).isoformat()
                                                          .replace("+00:00", "Z")),
    "date": st.dates().map(lambda d: d.isoformat()),
    "email": st.from_regex(r"\A[a-z]{1,8}@[a-z]{1,8}\.(org|com)\Z"),
    "uri": st.from_regex(r"\A(https|s3)://[a-z]{1,8}\.org/[a-z0-9/]{0,12}\Z"),
    "regex": st.sampled_from(["^[a-z]+$", "^prod-", "[0-9]{2}", ".*"]),
}


def _any_json(depth: int = 2) -> st.SearchStrategy[Json]:
    scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | \
        st.floats(allow_nan=False, allow_infinity=False) | _TEXT
    if depth == 0:
        return scalars
    inner = _any_json(depth - 1)
    return scalars | st.lists(inner, max_size=3) | st.dictionaries(_SIMPLE_KEY, inner, max_size=3)


class SchemaStrategies:
    """Strategies for one bundled schema (its `$defs` resolved on demand, recursion bounded by depth)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.schema
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return dict(node)

    def of(self, schema: Any, depth: int = 0) -> st.SearchStrategy[Json]:
        if schema is True or schema == {}:
            return _any_json(1)
        if not isinstance(schema, dict):
            return st.nothing()
        if "$ref" in schema:
            merged = {**self._resolve(schema["$ref"]), **{k: v for k, v in schema.items() if k != "$ref"}}
            return self.of(merged, depth + 1)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "anyOf" in schema:
            return st.one_of([self.of({**{k: v for k, v in schema.items() if k != "anyOf"}, **option}, depth + 1)
                              for option in schema["anyOf"]])
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of([self.of({**schema, "type": t}, depth) for t in kind])
        if kind == "object" or "properties" in schema:
            return self._object(schema, depth)
        if kind == "array":
            items = self.of(schema.get("items", True), depth + 1)
            low = schema.get("minItems", 0)
            high = max(low, 3) if depth < 6 else low
            unique = bool(schema.get("uniqueItems"))
            return st.lists(items, min_size=low, max_size=high, unique_by=(lambda x: repr(x)) if unique else None)
        if kind == "string":
            return self._string(schema)
        if kind == "integer":
            return st.integers(*self._bounds(schema, integer=True))
        if kind == "number":
            low, high = self._bounds(schema, integer=False)
            return st.floats(low, high, allow_nan=False, allow_infinity=False,
                             exclude_min="exclusiveMinimum" in schema, exclude_max="exclusiveMaximum" in schema)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        return _any_json(1)

    @staticmethod
    def _bounds(schema: dict[str, Any], *, integer: bool) -> tuple[Any, Any]:
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if integer:
            low = None if low is None else int(low) + (1 if "exclusiveMinimum" in schema else 0)
            high = None if high is None else int(high) - (1 if "exclusiveMaximum" in schema else 0)
            return (-10**6 if low is None else low, 10**6 if high is None else high)
        return (-1e6 if low is None else low, 1e6 if high is None else high)

    @staticmethod
    def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
        low = schema.get("minLength", 0)
        if "pattern" in schema:
            pattern = schema["pattern"]
            drawn = st.from_regex(re.compile(pattern), fullmatch=pattern.startswith("^") and pattern.endswith("$"))
            return drawn.filter(lambda s: len(s) >= low)
        if schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        return st.text(_CHARACTERS, min_size=max(low, 0), max_size=24)

    def _object(self, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Json]:
        properties: dict[str, Any] = schema.get("properties", {})
        required = [k for k in schema.get("required", []) if k in properties]
        optional = [k for k in properties if k not in required]
        extra = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")

        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Json]:
            chosen = required + ([k for k in optional if draw(st.booleans())] if depth < 6 else [])
            result = {key: draw(self.of(properties[key], depth + 1)) for key in chosen}
            if extra is not False and depth < 6:
                key_strategy = self.of({**names, "type": "string"}, depth + 1) if isinstance(names, dict) \
                    else _SIMPLE_KEY
                value_strategy = self.of(extra if isinstance(extra, dict) else True, depth + 1)
                for key, value in draw(st.dictionaries(key_strategy, value_strategy, max_size=2)).items():
                    result.setdefault(key, value)
            while len(result) < schema.get("minProperties", 0):
                result[f"k{len(result)}"] = draw(_any_json(0))
            return result

        return build()


def documents(kind: Kind) -> st.SearchStrategy[dict[str, Json]]:
    """Documents of `kind` drawn from its schema."""
    schema = bundled_schema(kind)
    return SchemaStrategies(schema).of(schema).map(lambda d: d if isinstance(d, dict) else {"value": d})

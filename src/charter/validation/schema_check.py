"""Schema findings: every violation of a document, each at the line and column of the offending node."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from charter.registry.documents import Document
from charter.registry.fields import JsonPath, dotted
from charter.registry.findings import Finding, finding
from charter.registry.kinds import API_VERSION, KINDS, REGISTRY_FILE, REGISTRY_KIND, Kind
from charter.registry.schemas import validator_for

if TYPE_CHECKING:
    from jsonschema import ValidationError

def check_envelope(doc: Document) -> list[Finding]:
    """apiVersion and kind decide which schema applies, so they are checked first."""
    api = doc.data.get("apiVersion")
    if api != API_VERSION:
        where = doc.place(("apiVersion",)) if "apiVersion" in doc.data else (1, 1)
        if api is None:
            return [finding("CH205.api_missing", doc.path, where, expected=API_VERSION)]
        return [finding("CH205.api", doc.path, where, api=api, expected=API_VERSION)]
    if doc.path == REGISTRY_FILE and doc.kind is not REGISTRY_KIND:
        return [finding("CH205.registry", doc.path, doc.place(("kind",)), registry_file=REGISTRY_FILE)]
    if doc.kind is None:
        declared = doc.data.get("kind")
        where = doc.place(("kind",)) if "kind" in doc.data else (1, 1)
        known = ", ".join([*KINDS, REGISTRY_KIND.name])
        if declared is None:
            return [finding("CH205.kind_missing", doc.path, where, known=known)]
        return [finding("CH205", doc.path, where, kind=declared, known=known)]
    return []

def check_schema(doc: Document) -> list[Finding]:
    envelope = check_envelope(doc)
    if envelope or doc.kind is None:
        return envelope
    validator = validator_for(doc.kind)
    findings: dict[Finding, None] = {}  # one finding per problem: jsonschema reports `required` once per field
    for error in validator.iter_errors(doc.data):
        findings.update(dict.fromkeys(_to_findings(doc, doc.kind, error)))
    return list(findings)

def _to_findings(doc: Document, kind: Kind, error: ValidationError) -> list[Finding]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        if best is not None:
            return _to_findings(doc, kind, best)
    path: JsonPath = tuple(error.absolute_path)
    rule: Any = error.validator_value
    where = dotted(path)
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        patterns = error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}

        extras = [k for k in error.instance
                  if k not in allowed and not any(re.search(p, k) for p in patterns)]
        if allowed:
            return [finding("CH201", doc.path, doc.place((*path, k), key=True), field=dotted((*path, k)),
                            allowed=", ".join(allowed)) for k in extras]
        return [finding("CH201.schema", doc.path, doc.place((*path, k), key=True), field=dotted((*path, k)),
                        kind=kind.name) for k in extras]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [r for r in rule if r not in error.instance]
        props = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return [_described("CH202", doc, path, props.get(m), kind, key_place=True, field=dotted((*path, m)))
                for m in missing]
    if error.validator == "type":
        expected = rule
        expected_text = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return [_described("CH203", doc, path, error.schema, kind, where=where, expected=expected_text,
                           actual=_json_type(error.instance))]
    if error.validator in ("enum", "const"):
        allowed_values = rule if error.validator == "enum" else [rule]
        return [finding("CH204.enum", doc.path, doc.place(path), where=where, value=error.instance,
                        allowed=", ".join(map(str, allowed_values)))]
    if error.validator in ("pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                           "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "multipleOf",
                           "minProperties", "maxProperties", "propertyNames"):
        return [_described("CH204", doc, path, error.schema, kind, where=where, problem=_short(error.message))]
    return [_described("CH200", doc, path, error.schema, kind, where=where, problem=_short(error.message))]


def _described(key: str, doc: Document, path: JsonPath, schema: Any, kind: Kind, *, key_place: bool = False,
               **fields: object) -> Finding:
    """A finding whose hint is the schema's description of the field, or (`KEY.schema`) where to read the schema."""
    place = doc.place(path, key=key_place)
    description = _describe(schema)
    if description:
        return finding(key, doc.path, place, description=description, **fields)
    return finding(key + ".schema", doc.path, place, kind=kind.name, **fields)

def _describe(schema: Any) -> str:
    if isinstance(schema, dict):
        description = schema.get("description")
        if isinstance(description, str):
            first = description.strip().split("\n")[0]
            return first if len(first) <= 200 else first[:197] + "..."
    return ""

def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"number ({value})"
    if isinstance(value, str):
        return f"string ({_short(repr(value))})"
    if isinstance(value, list):
        return "a list"
    return "a mapping"

def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."

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
        shown = "missing" if api is None else repr(api)
        return [finding("CH205", doc.path, where, f"apiVersion is {shown}, expected {API_VERSION!r}",
                        f"start the document with `apiVersion: {API_VERSION}`")]
    if doc.path == REGISTRY_FILE and doc.kind is not REGISTRY_KIND:
        return [finding("CH205", doc.path, doc.place(("kind",)), f"{REGISTRY_FILE} must be of kind Registry",
                        "set `kind: Registry` (entries live in their own folders, see docs/format.md)")]
    if doc.kind is None:
        declared = doc.data.get("kind")
        where = doc.place(("kind",)) if "kind" in doc.data else (1, 1)
        known = ", ".join([*KINDS, REGISTRY_KIND.name])
        shown = "missing" if declared is None else repr(declared)
        return [finding("CH205", doc.path, where, f"kind is {shown}", f"use one of: {known}")]
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
    hint_schema = f"see `charter schema {kind.name}` for the fields and their meaning"
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        patterns = error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}

        extras = [k for k in error.instance
                  if k not in allowed and not any(re.search(p, k) for p in patterns)]
        hint = f"allowed here: {', '.join(allowed)}" if allowed else hint_schema
        return [finding("CH201", doc.path, doc.place((*path, k), key=True),
                        f"unknown field {dotted((*path, k))!r}", hint) for k in extras]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [r for r in rule if r not in error.instance]
        props = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return [finding("CH202", doc.path, doc.place(path, key=True),
                        f"missing required field {dotted((*path, m))!r}",
                        _describe(props.get(m)) or hint_schema) for m in missing]
    if error.validator == "type":
        expected = rule
        expected_text = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return [finding("CH203", doc.path, doc.place(path),
                        f"{where} must be {expected_text}, not {_json_type(error.instance)}",
                        _describe(error.schema) or hint_schema)]
    if error.validator in ("enum", "const"):
        allowed_values = rule if error.validator == "enum" else [rule]
        return [finding("CH204", doc.path, doc.place(path),
                        f"{where} is {error.instance!r}, not one of the allowed values",
                        f"use one of: {', '.join(map(str, allowed_values))}")]
    if error.validator in ("pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                           "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "multipleOf",
                           "minProperties", "maxProperties", "propertyNames"):
        return [finding("CH204", doc.path, doc.place(path), f"{where}: {_short(error.message)}",
                        _describe(error.schema) or hint_schema)]
    return [finding("CH200", doc.path, doc.place(path), f"{where}: {_short(error.message)}",
                    _describe(error.schema) or hint_schema)]

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

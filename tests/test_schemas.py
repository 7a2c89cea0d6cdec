"""Checks of the JSON Schemas in `schemas/` and of the example entries in `tests/examples/`.

Layout of the examples: `tests/examples/<schema file stem>/valid/*.yaml` must validate against
`schemas/<stem>.json`; `tests/examples/<stem>/invalid/*.yaml` must not, and each starts with a
`# invalid: <reason>` comment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schemas"
EXAMPLE_DIR = Path(__file__).resolve().parent / "examples"
BASE_URI = "https://schemas.charter.dev/v1/"
SHARED = "definitions.json"
SHARED_REF_PREFIX = "definitions.json#/$defs/"
LOCAL_REF_PREFIX = "#/$defs/"

KIND_SCHEMAS = {
    "model": "Model",
    "modelversion": "ModelVersion",
    "eventdefinition": "EventDefinition",
    "cohort": "Cohort",
    "contract": "Contract",
    "evaluation": "Evaluation",
    "environment": "Environment",
    "deploymentrecord": "DeploymentRecord",
    "registry": "Registry",
}

# Keywords whose value is a single subschema, a list of subschemas, or a map of name -> subschema.
SINGLE = (
    "additionalProperties",
    "items",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)
LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
CONDITIONAL = ("if", "then", "else", "not")


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps dates and timestamps as strings, as the Charter loader does."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


def load_schemas() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(SCHEMA_DIR.glob("*.json"))}


SCHEMAS = load_schemas()
REGISTRY: Registry = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012)) for schema in SCHEMAS.values()
)


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER)


def kind_validator(stem: str) -> Draft202012Validator:
    return validator_for(SCHEMAS[f"{stem}.json"])


def subschemas(node: Any, pointer: str = "", conditional: bool = False) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """Yield (JSON pointer, subschema, inside if/then/else/not) for every subschema of a schema."""
    if not isinstance(node, dict):
        return
    yield pointer, node, conditional
    for key in SINGLE:
        if isinstance(node.get(key), dict):
            yield from subschemas(node[key], f"{pointer}/{key}", conditional or key in CONDITIONAL)
    for key in LISTS:
        for i, sub in enumerate(node.get(key, [])):
            yield from subschemas(sub, f"{pointer}/{key}/{i}", conditional)
    for key in MAPS:
        for name, sub in node.get(key, {}).items():
            escaped = name.replace("~", "~0").replace("/", "~1")
            yield from subschemas(sub, f"{pointer}/{key}/{escaped}", conditional)


# ----------------------------------------------------------------------------- the schema files


def test_every_kind_has_a_schema() -> None:
    assert set(SCHEMAS) == {f"{stem}.json" for stem in KIND_SCHEMAS} | {SHARED}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = SCHEMAS[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == BASE_URI + name
    assert schema.get("title") and schema.get("description")


@pytest.mark.parametrize("stem", sorted(KIND_SCHEMAS))
def test_kind_schema_envelope(stem: str) -> None:
    schema = SCHEMAS[f"{stem}.json"]
    assert schema["required"] == ["apiVersion", "kind", "metadata", "spec"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["kind"]["const"] == KIND_SCHEMAS[stem]
    assert schema["properties"]["apiVersion"]["$ref"] == SHARED_REF_PREFIX + "apiVersion"
    assert schema.get("examples"), "a kind schema carries at least one full example document"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_references_use_the_bundler_forms(name: str) -> None:
    """Shared definitions only as `definitions.json#/$defs/NAME`, local ones only as `#/$defs/NAME`.

    A bundler copies the shared `$defs` into each kind schema, so local names must not collide with shared ones.
    """
    schema = SCHEMAS[name]
    shared = set(SCHEMAS[SHARED]["$defs"])
    own = set(schema.get("$defs", {}))
    if name != SHARED:
        assert not own & shared, f"local $defs shadow shared ones: {sorted(own & shared)}"
    for pointer, sub, _ in subschemas(schema):
        ref = sub.get("$ref")
        if ref is None:
            continue
        if ref.startswith(SHARED_REF_PREFIX) and name != SHARED:
            assert ref.removeprefix(SHARED_REF_PREFIX) in shared, f"{pointer}: unknown shared definition {ref}"
        else:
            assert ref.startswith(LOCAL_REF_PREFIX), f"{pointer}: unexpected reference form {ref}"
            assert ref.removeprefix(LOCAL_REF_PREFIX) in own, f"{pointer}: unknown local definition {ref}"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_objects_are_closed_titled_and_described(name: str) -> None:
    """Every object forbids or types unknown keys; only annotations are open; properties have descriptions."""
    problems = []
    for pointer, sub, conditional in subschemas(SCHEMAS[name]):
        if conditional:
            continue  # if/then/else/not only narrow properties declared elsewhere
        if sub.get("type") == "object":
            extra = sub.get("additionalProperties")
            if extra is None:
                problems.append(f"{pointer}: object without additionalProperties")
            elif extra is True and not pointer.endswith("/$defs/annotations"):
                problems.append(f"{pointer}: open object outside metadata.annotations")
            if not sub.get("title"):
                problems.append(f"{pointer}: object without title")
        for prop, prop_schema in sub.get("properties", {}).items():
            if not prop_schema.get("description"):
                problems.append(f"{pointer}/properties/{prop}: no description")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------- examples in the schemas


def schema_examples() -> list[Any]:
    return list(_schema_examples())


def _schema_examples() -> Iterator[Any]:
    for name, schema in sorted(SCHEMAS.items()):
        for pointer, sub, conditional in subschemas(schema):
            if conditional:
                continue
            for i, value in enumerate(sub.get("examples", [])):
                yield pytest.param(schema["$id"], pointer, value, id=f"{name}#{pointer or '/'}[{i}]")


@pytest.mark.parametrize(("schema_id", "pointer", "value"), schema_examples())
def test_schema_examples_validate(schema_id: str, pointer: str, value: Any) -> None:
    # Validate through a $ref so that references inside the subschema resolve against its own document.
    validator = validator_for({"$ref": f"{schema_id}#{pointer}"})
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


# ----------------------------------------------------------------------------- example entry files


def example_params(outcome: str) -> list[Any]:
    return list(_example_params(outcome))


def _example_params(outcome: str) -> Iterator[Any]:
    for stem in sorted(KIND_SCHEMAS):
        for path in sorted((EXAMPLE_DIR / stem / outcome).glob("*.yaml")):
            yield pytest.param(stem, path, id=f"{stem}/{outcome}/{path.name}")


@pytest.mark.parametrize("stem", sorted(KIND_SCHEMAS))
def test_each_kind_has_examples(stem: str) -> None:
    assert len(list((EXAMPLE_DIR / stem / "valid").glob("*.yaml"))) >= 2
    assert len(list((EXAMPLE_DIR / stem / "invalid").glob("*.yaml"))) >= 3


@pytest.mark.parametrize(("stem", "path"), example_params("valid"))
def test_valid_example_validates(stem: str, path: Path) -> None:
    document = load_yaml(path)
    errors = sorted(kind_validator(stem).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


@pytest.mark.parametrize(("stem", "path"), example_params("invalid"))
def test_invalid_example_fails(stem: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# invalid: "), "an invalid example starts with '# invalid: <what is wrong>'"
    document = load_yaml(path)
    assert list(kind_validator(stem).iter_errors(document)), f"{path.name} should fail: {text.splitlines()[0]}"


# ----------------------------------------------------------------------------- bundled (self-contained) schemas


def bundle(stem: str) -> dict[str, Any]:
    """Inline the shared definitions the way `charter init` bundles schemas for editors."""
    text = json.dumps(SCHEMAS[f"{stem}.json"]).replace(f'"{SHARED_REF_PREFIX}', f'"{LOCAL_REF_PREFIX}')
    schema: dict[str, Any] = json.loads(text)
    schema["$defs"] = {**SCHEMAS[SHARED]["$defs"], **schema.get("$defs", {})}
    return schema


@pytest.mark.parametrize("stem", sorted(KIND_SCHEMAS))
def test_bundled_schema_is_self_contained(stem: str) -> None:
    schema = bundle(stem)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)  # no registry
    for path in sorted((EXAMPLE_DIR / stem / "valid").glob("*.yaml")):
        assert validator.is_valid(load_yaml(path)), path.name
    for path in sorted((EXAMPLE_DIR / stem / "invalid").glob("*.yaml")):
        assert not validator.is_valid(load_yaml(path)), path.name


# Charter's own reader and schema check over the same example files: invalid ones yield findings with places.
@pytest.mark.parametrize("example", sorted(EXAMPLE_DIR.glob("*/*/*.yaml")), ids=lambda p: "/".join(p.parts[-3:]))
def test_charter_schema_check_agrees_with_the_examples(example: Path) -> None:
    from charter.registry.documents import parse_document
    from charter.validation.schema_check import check_schema

    relpath = "registry.yaml" if example.parts[-3] == "registry" else example.name
    doc, parse_findings = parse_document(example.read_bytes(), relpath)
    found = parse_findings + (check_schema(doc) if doc is not None else [])
    if example.parts[-2] == "valid":
        assert found == []
    else:
        assert found, f"{example} should have findings"
        lines = len(example.read_text().splitlines())
        assert all(1 <= f.line <= lines and f.column >= 1 for f in found)

"""Property-based tests: documents of every kind drawn from the JSON Schemas (tests/schema_strategies.py).

- the loader and the validator never crash, on any drawn document or on arbitrary text and bytes, and every finding
  they return is a declared code at a real place;
- a valid document round-trips: dumped with yamlio and read back, it is the same data, with no findings.

Example counts are kept modest by the `charter` profile; `HYPOTHESIS_PROFILE=thorough` runs many more.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from charter.registry.documents import parse_document
from charter.registry.findings import CODES
from charter.registry.kinds import KINDS, REGISTRY_FILE, REGISTRY_KIND, Kind
from charter.registry.schemas import validator_for
from charter.registry.yamlio import dump_yaml, parse_yaml
from charter.validation.runner import validate_registry
from tests.schema_strategies import documents

settings.register_profile("charter", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("thorough", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "charter"))
ALL_KINDS = [*KINDS.values(), REGISTRY_KIND]


@pytest.fixture(scope="module")
def scratch_registry(template_registry: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One registry for all examples of this module: each example writes its one file and removes it again."""
    target = tmp_path_factory.mktemp("properties") / "registry"
    shutil.copytree(template_registry, target, symlinks=True)
    return target


def _path_for(kind: Kind, doc: dict[str, Any]) -> str:
    if kind is REGISTRY_KIND:
        return REGISTRY_FILE
    found = doc.get("metadata")
    metadata: dict[str, Any] = found if isinstance(found, dict) else {}
    name, version = metadata.get("name"), metadata.get("version")
    def usable(part: object) -> bool:  # a file name this file system can hold
        return isinstance(part, str) and part.isascii() and "/" not in part and part.strip(".") != "" \
            and len(part) < 100

    if usable(name) and (not kind.versioned or usable(version)):
        return kind.relative_path(str(name), str(version) if kind.versioned else None)
    return kind.relative_path("drawn", "1.0.0" if kind.versioned else None)


def _assert_well_formed(findings: list[Any], text: str) -> None:
    lines = text.count("\n") + 2
    for f in findings:
        assert f.code in CODES, f
        assert 1 <= f.line <= lines and f.column >= 1, f


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.name)
def test_the_validator_never_crashes_on_drawn_documents(kind: Kind, scratch_registry: Path) -> None:
    @PROFILE
    @given(documents(kind))
    def check(doc: dict[str, Any]) -> None:
        relpath = _path_for(kind, doc)
        target = scratch_registry / relpath
        original = target.read_bytes() if target.is_file() else None
        text = dump_yaml(doc)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        try:
            report = validate_registry(scratch_registry, [relpath], cwd=scratch_registry)
        finally:
            if original is None:
                target.unlink()
            else:
                target.write_bytes(original)
        _assert_well_formed([f for f in report.findings if f.path == relpath], text)
        schema_valid = not list(validator_for(kind).iter_errors(doc))
        own = {f.code for f in report.findings if f.path == relpath}
        assert schema_valid or own, "a document the schema rejects has a finding"

    check()


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.name)
def test_documents_round_trip_and_valid_ones_have_no_findings(kind: Kind) -> None:
    """Any drawn document (valid or not: it is plain data) dumps and reads back equal, without findings; one the
    schema accepts has no schema finding either after the trip."""
    validator = validator_for(kind)

    @PROFILE
    @given(documents(kind))
    def check(doc: dict[str, Any]) -> None:
        text = dump_yaml(doc)
        parsed, findings = parse_document(text.encode("utf-8"), "entry.yaml")
        assert findings == []
        assert parsed is not None and parsed.data == doc
        if not list(validator.iter_errors(doc)):
            assert list(validator.iter_errors(parsed.data)) == []

    check()


@PROFILE
@given(st.binary(max_size=400))
def test_the_loader_never_crashes_on_bytes(raw: bytes) -> None:
    doc, findings = parse_document(raw, "entry.yaml")
    assert doc is not None or findings, "no document means a finding that says why"
    _assert_well_formed(findings, raw.decode("utf-8", "replace"))


YAML_PIECES = st.sampled_from(["a", ":", " ", "\n", "- ", "&x ", "*x", "!!python/object ", "<<: ", "? ", "[", "]",
                               "{", "}", "'", '"', "#", "---\n", "...\n", "\t", ".nan", "~", "1e9", "0x1F", "é",
                               "\\u0000", "|\n", ">-\n", "%YAML 1.1\n", "!t ", ",", "@", "`"])


@PROFILE
@given(st.lists(YAML_PIECES, max_size=40).map("".join))
@example("&x ")  # found by this test: a bare anchor (like `null`) was no document and no finding
@example("null")
def test_the_loader_never_crashes_on_yaml_like_text(text: str) -> None:
    parsed = parse_yaml(text, "entry.yaml")
    _assert_well_formed(parsed.findings, text)
    doc, findings = parse_document(text.encode("utf-8"), "entry.yaml")
    assert doc is not None or findings, "no document means a finding that says why"
    _assert_well_formed(findings, text)


def _errors(validator: Any, doc: Any) -> list[tuple[Any, ...]]:
    """What the findings of a schema check are made of: keyword, instance path, message, the failing subschema's
    description, and for oneOf/anyOf the best match among the alternatives' errors."""
    from jsonschema.exceptions import best_match

    def described(error: Any) -> tuple[Any, ...]:
        schema = error.schema if isinstance(error.schema, dict) else {}
        return (error.validator, tuple(error.absolute_path), error.message, schema.get("description"),
                sorted(schema.get("properties", {})), error.validator_value if error.validator == "required" else None)

    found = []
    for error in validator.iter_errors(doc):
        best = best_match(error.context) if error.validator in ("oneOf", "anyOf") and error.context else None
        found.append((described(error), described(best) if best is not None else None))
    return found


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.name)
def test_inlined_definitions_report_what_references_report(kind: Kind) -> None:
    """validator_for checks against the schema with its definitions inlined (twice as fast); every drawn
    document, valid or not, gets the same errors as from the schema that follows each `$ref`."""
    from jsonschema import Draft202012Validator

    from charter.registry.schemas import bundled_schema, inlined_schema

    assert "$ref" not in json.dumps({k: v for k, v in inlined_schema(kind).items() if k != "$defs"})
    inlined = validator_for(kind)
    following = Draft202012Validator(bundled_schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors_seen = []

    @PROFILE
    @given(st.one_of(documents(kind), documents(kind).flatmap(_mutated)))
    def check(doc: dict[str, Any]) -> None:
        expected = _errors(following, doc)
        assert _errors(inlined, doc) == expected
        errors_seen.append(bool(expected))

    check()
    assert any(errors_seen)  # the drawn documents included invalid ones


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(data, dict):
        found += [p for key, value in data.items() for p in _places(value, (*path, key))]
    elif isinstance(data, list):
        found += [p for i, value in enumerate(data) for p in _places(value, (*path, i))]
    return found


def _mutated(doc: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The document with one value somewhere replaced by another of any type, or one key removed or added."""
    junk = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8), st.just([]), st.just({}),
                     st.just("2026-13-45"), st.just("not an email"), st.just("model:x@1.0.0"))

    @st.composite
    def mutate(draw: st.DrawFn) -> dict[str, Any]:
        copy = json.loads(json.dumps(doc))
        path = draw(st.sampled_from(_places(copy)[1:] or [("extra",)]))
        parent = copy
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "remove" and isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["bogus", "$ref", "name", "version"]))] = draw(junk)
        elif isinstance(parent, dict) or (isinstance(parent, list) and path[-1] < len(parent)):
            parent[path[-1]] = draw(junk)
        return copy

    return mutate()

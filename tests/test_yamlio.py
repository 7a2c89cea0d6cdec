"""The YAML reader: positions for everything, strictness where PyYAML is lax."""

from __future__ import annotations

import pytest

from charter.registry.documents import parse_document
from charter.registry.fields import dotted
from charter.registry.yamlio import parse_yaml


def test_positions_of_values_and_keys_are_one_based() -> None:
    parsed = parse_yaml("a: 1\nspec:\n  items:\n    - x: [1, 2]\n      name: n\n", "f.yaml")
    assert parsed.findings == []
    assert parsed.positions.values[("spec", "items", 0, "name")] == (5, 13)
    assert parsed.positions.keys[("spec", "items", 0, "name")] == (5, 7)
    assert parsed.positions.values[("spec", "items", 0, "x", 1)] == (4, 14)
    # A path that does not exist is placed at its nearest existing ancestor.
    assert parsed.positions.locate(("spec", "items", 0, "missing")) == (4, 7)


def test_duplicate_keys_are_findings_with_both_places() -> None:
    parsed = parse_yaml("metadata:\n  name: a\n  owner: x\n  name: b\n", "f.yaml")
    [dup] = parsed.findings
    assert (dup.code, dup.line, dup.column) == ("CH102", 4, 3)
    assert "first defined at line 2" in dup.message
    assert parsed.data == {"metadata": {"name": "a", "owner": "x"}}


def test_dates_stay_strings_and_scalars_keep_their_types() -> None:
    parsed = parse_yaml("d: 2026-01-31\nt: 2026-01-31T10:00:00Z\ni: 3\nf: 0.5\nb: true\nn: null\ns: '3'\n", "f")
    assert parsed.data == {"d": "2026-01-31", "t": "2026-01-31T10:00:00Z", "i": 3, "f": 0.5, "b": True,
                           "n": None, "s": "3"}


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("a: !!python/object:os.system x\n", "CH103", "custom tag"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "CH103", "merge keys"),
        ("? [1, 2]\n: x\n", "CH103", "not a string"),
        ("1: x\n", "CH103", "not a string"),
        ("x: .nan\n", "CH103", "NaN"),
        ("a: 1\n---\nb: 2\n", "CH103", "more than one YAML document"),
        ("a: [1, 2\n", "CH101", "YAML syntax error"),
        ("a:\n\tb: 1\n", "CH101", "YAML syntax error"),
        ("", "CH104", "empty"),
        ("# only a comment\n", "CH104", "empty"),
    ],
)
def test_refused_constructs_are_findings(text: str, code: str, words: str) -> None:
    _doc, findings = parse_document(text.encode(), "f.yaml")
    assert [f.code for f in findings] == [code]
    assert words in findings[0].message
    assert findings[0].line >= 1 and findings[0].column >= 1


def test_alias_bomb_is_bounded() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    doc, findings = parse_document("\n".join(lines).encode(), "bomb.yaml")
    assert doc is None
    assert findings[0].code == "CH103" and "alias bomb" in findings[0].message


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        (b"a: \xff\xfe\n", "CH100", "not valid UTF-8"),
        (b"a: 1\x00\n", "CH100", "binary"),
        (b"- 1\n- 2\n", "CH104", "a list"),
        (b"just text\n", "CH104", "a string"),
    ],
)
def test_bytes_that_are_not_a_mapping(raw: bytes, code: str, words: str) -> None:
    doc, findings = parse_document(raw, "f.yaml")
    assert doc is None
    assert [f.code for f in findings] == [code]
    assert words in findings[0].message


def test_utf8_bom_is_accepted() -> None:
    doc, findings = parse_document("\ufeffapiVersion: charter/v1\n".encode(), "f.yaml")
    assert findings == [] and doc is not None and doc.data == {"apiVersion": "charter/v1"}


def test_dotted_paths_read_like_field_names() -> None:
    assert dotted(("spec", "input", "fields", 2, "unit")) == "spec.input.fields[2].unit"
    assert dotted(()) == "(document)"


def test_reading_keeps_nothing_of_the_files_read() -> None:
    """Found by measuring a first whole-registry run: every number, boolean and null node read was kept alive
    by PyYAML's constructor memo (110 MiB of 17,500 files)."""
    import gc
    import tracemalloc

    from charter.registry.yamlio import load_plain

    text = "spec:\n" + "".join(f"  k{i}: [{i}, {i}.5, true, null]\n" for i in range(500))
    load_plain(text, "warm.yaml")
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(50):
            data, findings = load_plain(text, "entry.yaml")
            assert findings == [] and data["spec"]["k7"] == [7, 7.5, True, None]
        del data
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 256 * 1024  # the memo kept about 10 MB here

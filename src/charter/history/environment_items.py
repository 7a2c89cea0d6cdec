"""What an environment file assigns: its `spec.assignments` items, parsed fast over thousands of versions.

Environment files are parsed per item of `spec.assignments`, cached by the item's text: a promotion rewrites one or
two items, so 2,000 versions of a file cost about as much as a few full parses.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, NamedTuple

from charter.registry.references import REFERENCE_RE
from charter.registry.yamlio import decode_text, parse_yaml


class Assignment(NamedTuple):
    """One side of a change: a model version and how it receives traffic."""

    ref: str  # model:NAME@VERSION
    mode: str  # full | canary | shadow
    percent: int | float | None

    @property
    def version(self) -> str:
        return self.ref.split("@", 1)[1]

    def rollout(self) -> str:
        return f"{self.mode} {self.percent:g}%" if self.percent is not None else self.mode

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "version": self.version, "mode": self.mode, "percent": self.percent}


class Assigned(NamedTuple):
    """One item of `spec.assignments`: the assignment, its written reason, its model family."""

    assignment: Assignment
    reason: str | None
    family: str


# Each pattern starts with the newline before its line (the text gets one in front): the regex engine then jumps
# from newline to newline, where `^` with re.M would try every character.
_SPEC_LINE = re.compile(r"\nspec:[ ]*(?:#[^\n]*)?(?=\n|\Z)")
_TOP_LEVEL_LINE = re.compile(r"\n[^ #\n]")
_CONTENT_LINE = re.compile(r"\n( *)[^ #\n]")  # not blank, not only a comment


def split_assignment_items(text: str) -> tuple[str, list[str]] | None:
    """The file without its `spec.assignments` items, and each item's text; None where the layout is unusual.

    Only plain block layout is split (one top-level `spec:`, one `assignments:` key with nothing after it, items
    starting with `- ` at one indentation); anything else (flow style, duplicate keys, tabs, CR) returns None and is
    parsed whole. A split inside a multi-line quoted string or flow collection leaves an unterminated construct that
    does not parse on its own, so the caller falls back to the whole file then too. Regular expressions over the
    whole text, not a loop over lines: this runs once per version of every environment file.
    """
    if "\r" in text or "\t" in text:
        return None
    lined = "\n" + text  # a match at index i of `lined` is the line that starts at index i of `text`
    specs = list(_SPEC_LINE.finditer(lined))
    if len(specs) != 1:
        return None
    spec = specs[0]
    top = _TOP_LEVEL_LINE.search(lined, spec.end())
    block_end = top.start() if top else len(lined)
    first_key = _CONTENT_LINE.search(lined, spec.end(), block_end)
    if first_key is None:
        return None
    key_indent = len(first_key.group(1))
    keys = list(re.compile(rf"\n {{{key_indent}}}assignments:[ ]*(?:#[^\n]*)?(?=\n|\Z)").finditer(
        lined, spec.end(), block_end))
    if len(keys) != 1:
        return None  # none, or a duplicate key: the whole-file parse decides (and validation reports it)
    first = _CONTENT_LINE.search(lined, keys[0].end())
    if first is None or len(first.group(1)) < key_indent:
        return None
    indent = len(first.group(1))
    item = re.compile(rf"\n {{{indent}}}-(?= |\n|\Z)")
    if not item.match(lined, first.start()):
        return None
    after = re.compile(rf"\n(?: {{0,{indent - 1}}}[^ #\n]| {{{indent}}}(?!-(?: |\n|\Z))[^ #\n])")
    end_match = after.search(lined, first.start() + 1)
    end = end_match.start() if end_match else len(text)
    starts = [m.start() for m in item.finditer(lined, first.start(), end + 1)]
    chunks = [text[a:b] for a, b in zip(starts, [*starts[1:], end], strict=True)]
    return text[:starts[0]] + text[end:], chunks


class EnvironmentReader:
    """The assignments in an environment file's bytes, cached by blob id and by the text of each item."""

    def __init__(self) -> None:
        self._by_blob: dict[str, tuple[Assigned, ...] | None] = {}
        self._items: dict[str, Assigned | bool | None] = {}  # False: the item does not parse on its own
        self._skeletons: dict[str, bool] = {}

    def parse(self, data: bytes) -> tuple[Assigned, ...] | None:
        """One file's assignments; None where it does not parse: what it assigns is unknown, not nothing."""
        return self.read_all({"": data})[""]

    def read_all(self, blobs: dict[str, bytes]) -> dict[str, tuple[Assigned, ...] | None]:
        """Many files by blob id at once: the items not seen before are parsed together, one document per
        indentation (one parse of 2,000 items costs a fraction of 2,000 parses)."""
        texts: dict[str, str | None] = {}
        splits: dict[str, tuple[str, list[str]] | None] = {}
        for oid, data in blobs.items():
            if oid in self._by_blob and oid:
                continue
            texts[oid] = decode_text(data, "environment")[0]
            text = texts[oid]
            splits[oid] = split_assignment_items(text) if text is not None else None
        unseen: dict[int, dict[str, None]] = defaultdict(dict)  # by indentation, in order, without repeats
        for split in splits.values():
            for chunk in split[1] if split is not None else ():
                if chunk not in self._items:
                    unseen[len(chunk) - len(chunk.lstrip(" "))][chunk] = None
        for chunks in unseen.values():
            self._parse_items(list(chunks))
        for oid, text in texts.items():
            split = splits[oid]
            fast = self._from_items(*split) if split is not None else None
            self._by_blob[oid] = fast if fast is not None or text is None else self._parse_whole(text)
        return {oid: self._by_blob[oid] for oid in blobs}

    def _parse_items(self, chunks: list[str]) -> None:
        """Items of one indentation as one YAML sequence; where that does not give one value per item (a broken
        item, or anchors and aliases that could reach across items), each is parsed on its own."""
        together = [c for c in chunks if "&" not in c and "*" not in c]
        if together:
            parsed = parse_yaml("".join(c if c.endswith("\n") else f"{c}\n" for c in together), "environment")
            if not parsed.findings and isinstance(parsed.data, list) and len(parsed.data) == len(together):
                for chunk, value in zip(together, parsed.data, strict=True):
                    self._items[chunk] = _assigned(value)
                together = []
        for chunk in [*together, *(c for c in chunks if "&" in c or "*" in c)]:
            parsed = parse_yaml(chunk, "environment")
            ok = not parsed.findings and isinstance(parsed.data, list) and len(parsed.data) == 1
            self._items[chunk] = _assigned(parsed.data[0]) if ok else False

    def _from_items(self, skeleton: str, chunks: list[str]) -> tuple[Assigned, ...] | None:
        if skeleton not in self._skeletons:
            parsed = parse_yaml(skeleton, "environment")
            spec = parsed.data.get("spec") if isinstance(parsed.data, dict) else None
            self._skeletons[skeleton] = (not parsed.findings and isinstance(spec, dict)
                                         and "assignments" in spec and spec["assignments"] is None)
        if not self._skeletons[skeleton]:
            return None
        result: list[Assigned] = []
        for chunk in chunks:
            if chunk not in self._items:
                self._parse_items([chunk])
            item = self._items[chunk]
            if item is False:
                return None
            if isinstance(item, Assigned):
                result.append(item)
        return tuple(result)

    @staticmethod
    def _parse_whole(text: str) -> tuple[Assigned, ...] | None:
        parsed = parse_yaml(text, "environment").data
        spec = parsed.get("spec") if isinstance(parsed, dict) else None
        if not isinstance(spec, dict):
            return None
        items = spec.get("assignments")
        if not isinstance(items, list):
            return () if items is None else None
        return tuple(a for a in map(_assigned, items) if a is not None)


def _assigned(item: Any) -> Assigned | None:
    """One `spec.assignments[]` item, read leniently: an item without a model version reference is skipped."""
    if not isinstance(item, dict):
        return None
    model = item.get("model")
    match = REFERENCE_RE.match(model) if isinstance(model, str) else None
    if match is None or match.group(1) != "model" or match.group(3) is None:
        return None
    mode = item.get("mode")
    percent = item.get("percent")
    if not isinstance(percent, int | float) or isinstance(percent, bool):
        percent = None
    reason = item.get("reason")
    return Assigned(Assignment(str(model), mode if isinstance(mode, str) else "?", percent),
                    reason if isinstance(reason, str) else None, str(match.group(2)))

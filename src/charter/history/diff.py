"""Semantic diff of two documents: what changed, field by field, each change classified by `diff_rules.RULES`.

Two documents are walked side by side. Lists with a natural key (input fields by name, thresholds by value,
subgroups by name) are compared by that key, so reordering is no change and a rename is a removal plus an addition;
lists of plain values are compared as sets; other lists by position. Each difference is one `FieldChange` with its
old and new value and its class.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from charter.history.diff_rules import CLASSES, RULES, ChangeClass, Op, Rule, as_number, classify
from charter.registry.fields import JsonPath
from charter.registry.natural_keys import NATURAL_KEYS

#: The metadata that the diff reports (name and version are the entry's identity, not a change of it).
METADATA_FIELDS = ("owner", "description", "status", "tags")
#: Keyed lists the diff compares by key beyond `natural_keys.NATURAL_KEYS` (which validation also enforces as
#: unique; these may repeat a key, and a list that does is compared by position).
DIFF_KEYS: dict[str, tuple[tuple[JsonPath, str], ...]] = {
    "Environment": ((("spec", "assignments"), "model"),),
    "EventDefinition": ((("spec", "reviewers"), "name"),),
    "ModelVersion": ((("spec", "provenance", "datasets"), "name"),),
}


@dataclass(frozen=True)
class FieldChange:
    """One difference between two documents.

    `path` is where the change is in the newer document (a removed list item: the list it left), so a finding
    or an editor can point at it; `field` names the place for people, with list items by their natural key:
    `spec.input.fields[heart_rate].unit`. `delta` is new minus old where both are numbers.
    """

    path: JsonPath
    op: Op
    old: Any
    new: Any
    severity: ChangeClass
    reason: str
    delta: float | None = None
    field: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "path": list(self.path), "op": self.op, "old": self.old, "new": self.new,
                "severity": self.severity, "reason": self.reason, "delta": self.delta}

    @property
    def summary(self) -> str:
        """One line: `spec.input.fields[heart_rate].unit: bpm → beats/min (unit changed)`."""
        return f"{self.field}: {describe_values(self)} ({self.reason})"


@dataclass(frozen=True)
class _At:
    """A place in both documents: its path in the newer one, its name for people, its steps for the rules."""

    path: JsonPath
    shown: str
    steps: tuple[str, ...]

    def key(self, key: str) -> _At:
        return _At((*self.path, key), f"{self.shown}.{key}" if self.shown else key, (*self.steps, key))

    def item(self, index: int, label: str) -> _At:
        return _At((*self.path, index), f"{self.shown}[{label}]", (*self.steps, "[]"))

    def member(self, index: int | None) -> _At:
        """A member of a list of plain values: named by the list, the value itself is the change."""
        return _At(self.path if index is None else (*self.path, index), self.shown, (*self.steps, "[]"))


@dataclass(frozen=True)
class _Raw:
    at: _At
    op: Op
    old: Any
    new: Any


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if as_number(old) is not None and as_number(new) is not None:
        return bool(old == new)
    return type(old) is type(new) and bool(old == new)


def _member_key(value: Any) -> tuple[str, Any]:
    """Hashable identity of a plain value; `true` and `1` are different values."""
    if isinstance(value, bool):
        return ("bool", value)
    if as_number(value) is not None:
        return ("number", float(value))
    return (type(value).__name__, value)


def key_label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _list_key(kind_name: str, steps: tuple[str, ...]) -> str | None:
    for path, key in (*NATURAL_KEYS.get(kind_name, ()), *DIFF_KEYS.get(kind_name, ())):
        if tuple(str(p) for p in path) == steps:
            return key
    return None


def _keyed(items: list[Any], key: str) -> dict[Any, int] | None:
    """Key value → index, or None where an item lacks a plain key or two share one."""
    found: dict[Any, int] = {}
    for i, item in enumerate(items):
        value = item.get(key) if isinstance(item, dict) else None
        if value is None or not _scalar(value) or _member_key(value) in found:
            return None
        found[_member_key(value)] = i
    return found


def _walk(kind: str, old: Any, new: Any, at: _At) -> Iterator[_Raw]:
    if _same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                yield _Raw(at.key(key), "removed", old[key], None)
        for key in new:
            if key not in old:
                yield _Raw(at.key(key), "added", None, new[key])
            else:
                yield from _walk(kind, old[key], new[key], at.key(key))
    elif isinstance(old, list) and isinstance(new, list):
        yield from _walk_list(kind, old, new, at)
    else:
        yield _Raw(at, "changed", old, new)


def _walk_list(kind: str, old: list[Any], new: list[Any], at: _At) -> Iterator[_Raw]:
    key = _list_key(kind, at.steps)
    before = _keyed(old, key) if key else None
    after = _keyed(new, key) if key else None
    if key and before is not None and after is not None:
        for member, i in before.items():
            if member not in after:
                yield _Raw(_At(at.path, f"{at.shown}[{key_label(old[i][key])}]", (*at.steps, "[]")),
                           "removed", old[i], None)
        for member, j in after.items():
            place = at.item(j, key_label(new[j][key]))
            if member not in before:
                yield _Raw(place, "added", None, new[j])
            else:
                yield from _walk(kind, old[before[member]], new[j], place)
    elif all(_scalar(v) for v in old) and all(_scalar(v) for v in new):
        old_members = {_member_key(v) for v in old}
        new_members = {_member_key(v) for v in new}
        for value in old:
            if _member_key(value) not in new_members:
                yield _Raw(at.member(None), "removed", value, None)
        for j, value in enumerate(new):
            if _member_key(value) not in old_members:
                yield _Raw(at.member(j), "added", None, value)
    else:
        for i in range(min(len(old), len(new))):
            yield from _walk(kind, old[i], new[i], at.item(i, str(i)))
        for j in range(len(old), len(new)):
            yield _Raw(at.item(j, str(j)), "added", None, new[j])
        for i in range(len(new), len(old)):
            yield _Raw(_At(at.path, f"{at.shown}[{i}]", (*at.steps, "[]")), "removed", old[i], None)


def _delta(old: Any, new: Any) -> float | None:
    a, b = as_number(old), as_number(new)
    return round(b - a, 12) if a is not None and b is not None else None


def diff_entries(kind_name: str, old: dict[str, Any], new: dict[str, Any],
                 rules: tuple[Rule, ...] = RULES) -> list[FieldChange]:
    """Every difference between two documents of one kind, each classified: metadata first, then `spec`."""
    def metadata(doc: dict[str, Any]) -> dict[str, Any]:
        meta = doc.get("metadata")
        return {k: meta[k] for k in METADATA_FIELDS if k in meta} if isinstance(meta, dict) else {}

    raw = [*_walk(kind_name, metadata(old), metadata(new), _At(("metadata",), "metadata", ("metadata",))),
           *_walk(kind_name, old.get("spec"), new.get("spec"), _At(("spec",), "spec", ("spec",)))]
    changes = []
    for r in raw:
        severity, reason = classify(kind_name, r.at.steps, r.op, r.old, r.new, rules)
        changes.append(FieldChange(r.at.path, r.op, r.old, r.new, severity, reason, _delta(r.old, r.new), r.at.shown))
    return changes


def count_by_class(changes: list[FieldChange]) -> dict[str, int]:
    """How many changes of each class, every class present (zero included), most serious first."""
    return {c: sum(1 for change in changes if change.severity == c) for c in CLASSES}


def describe_value(value: Any, limit: int = 60) -> str:
    """A value in one short line: scalars as YAML writes them, structures as compact JSON.

    Beside `FieldChange`, not in the CLI: `FieldChange.summary` is also the text of a validation finding (CH603).
    """
    return _cut(_one_line(value), 0, limit)


def _one_line(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


#: How much of the common start a pair of long values keeps in view before the place where they differ.
PAIR_CONTEXT = 12


def _cut(text: str, start: int, limit: int) -> str:
    """At most `limit` characters of `text` from `start`, with `…` where something was left out."""
    if start == 0 and len(text) <= limit:
        return text
    head = "…" if start else ""
    room = limit - len(head)
    rest = text[start:]
    return head + (rest if len(rest) <= room else rest[: room - 1] + "…")


def describe_pair(old: Any, new: Any, limit: int = 60) -> tuple[str, str]:
    """Two values of one field, each in one short line, cut so that where they differ stays in view: when both
    share a start longer than the shown part, that start is elided (`…`) on both sides, as `diff` must show the
    change and not two identical prefixes."""
    old_text, new_text = _one_line(old), _one_line(new)
    common = 0
    for a, b in zip(old_text, new_text, strict=False):
        if a != b:
            break
        common += 1
    start = common - PAIR_CONTEXT if common > limit - PAIR_CONTEXT else 0
    return _cut(old_text, start, limit), _cut(new_text, start, limit)


def describe_values(change: FieldChange, limit: int = 60) -> str:
    """`old → new` (with the delta of numbers), `+ new` or `- old`; a structure only as `added` or `removed`."""
    if change.op == "added":
        return "added" if isinstance(change.new, dict | list) else f"+ {describe_value(change.new, limit)}"
    if change.op == "removed":
        return "removed" if isinstance(change.old, dict | list) else f"- {describe_value(change.old, limit)}"
    old, new = describe_pair(change.old, change.new, limit)
    text = f"{old} → {new}"
    if change.delta is not None:
        text += f" ({change.delta:+g})"
    return text

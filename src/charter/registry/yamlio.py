"""All YAML reading: safe, strict, and with the position of every node.

PyYAML's constructors drop node positions, accept duplicate keys and turn dates into `datetime` objects. Charter
composes the node graph with the (C, when available) safe composer and builds plain JSON-like data itself, so that:
every value and every key has a line and column, duplicate keys are findings, dates stay strings (JSON Schema checks
their format), and anything that is not plain data (custom tags, merge keys, non-string keys, NaN) is refused.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

import yaml

try:  # the C composer is several times faster; fall back where libyaml is missing
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

from charter.registry.fields import JsonPath, Positions, dotted
from charter.registry.findings import Finding, finding

#: Bounds that keep hostile files (alias bombs, deep nesting) from costing unbounded time or memory.
MAX_NODES = 1_000_000
MAX_DEPTH = 200

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_CONSTRUCTOR = yaml.constructor.SafeConstructor()


@dataclass
class ParsedYaml:
    data: Any
    positions: Positions
    findings: list[Finding]


class _Refused(Exception):
    """A node Charter does not read; `key` and `fields` name its CH103 finding (worded in `findings.MESSAGES`)."""

    def __init__(self, node: yaml.Node, key: str, /, **fields: object) -> None:
        super().__init__(key)
        self.node = node
        self.key = key
        self.fields = fields


def _place(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def decode_text(raw: bytes, path: str) -> tuple[str | None, list[Finding]]:
    """Bytes to text; binary and non-UTF-8 files are findings, a UTF-8 BOM is accepted."""
    if b"\x00" in raw:
        return None, [finding("CH100.binary", path, (1, 1))]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [finding("CH100.utf8", path, (line, column), byte=exc.start)]


class DataUnreadable(ValueError):
    """Why a command's input file (metrics, params, a record, results) cannot be read, at its line and column;
    `json` says the file was read as JSON, so the message can say so."""

    def __init__(self, problem: str, line: int, column: int, *, json: bool = False) -> None:
        super().__init__(problem)
        self.problem, self.line, self.column, self.json = problem, line, column, json


def load_data(raw: bytes, path: str, *, as_json: bool) -> tuple[Any, Positions]:
    """A command's input file as data and positions, or DataUnreadable: never another exception.

    The one reader of the files commands take (--metrics, --params, --file, --results), so that each refuses the
    same inputs the same way: not UTF-8, JSON nested past Python's recursion limit, integers longer than Python
    converts, YAML that Charter refuses. JSON is read by `json` (its numbers are JSON's) and positioned as YAML.
    """
    import json

    text, findings = decode_text(raw, path)
    if text is None:
        raise DataUnreadable(findings[0].message, findings[0].line, findings[0].column)
    data: Any = None
    if as_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataUnreadable(exc.msg, exc.lineno, exc.colno, json=True) from None
        except (RecursionError, ValueError) as exc:  # too deep; an integer of more than 4,300 digits
            problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            parsed = parse_yaml(text, path)  # the YAML reader refuses the same and knows where
            where = (parsed.findings[0].line, parsed.findings[0].column) if parsed.findings else (1, 1)
            raise DataUnreadable(problem, *where, json=True) from None
    parsed = parse_yaml(text, path)
    if parsed.findings:
        first = parsed.findings[0]
        if as_json and first.code not in ("CH102", "CH103"):  # JSON that libyaml reads otherwise: no positions
            return data, Positions()  # (a duplicate key, which JSON keeps silently as the last, is refused)
        raise DataUnreadable(first.message, first.line, first.column, json=as_json)
    return (data if as_json else parsed.data), parsed.positions


def _compose(text: str, path: str) -> yaml.Node | ParsedYaml:
    """The node graph of one document, or a ParsedYaml holding the finding that says why there is none."""
    try:
        root: yaml.Node | None = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = _place(mark) if mark is not None else (1, 1)
        problem = exc.problem or "invalid YAML"
        if isinstance(exc, yaml.composer.ComposerError) and "single document" in (exc.context or ""):
            return ParsedYaml(None, Positions(), [finding("CH103.documents", path, place)])
        if exc.context:
            return ParsedYaml(None, Positions(), [finding("CH101.context", path, place, problem=problem,
                                                          context=exc.context)])
        return ParsedYaml(None, Positions(), [finding("CH101", path, place, problem=problem)])
    except yaml.YAMLError as exc:
        return ParsedYaml(None, Positions(), [finding("CH101.other", path, (1, 1), error=exc)])
    if root is None:
        return ParsedYaml(None, Positions(), [finding("CH104.empty", path, (1, 1))])
    return root


def parse_yaml(text: str, path: str) -> ParsedYaml:
    """Parse one YAML document into plain data with positions; problems become findings, never exceptions."""
    positions = Positions()
    composed = _compose(text, path)
    if isinstance(composed, ParsedYaml):
        return composed
    root = composed
    builder = _Builder(path, positions)
    try:
        data = builder.build(root, (), 0)
    except _Refused as exc:
        builder.findings.append(finding(exc.key, path, _place(exc.node.start_mark), **exc.fields))
        data = None
    return ParsedYaml(data, positions, builder.findings)


def load_plain(text: str, path: str) -> tuple[Any, list[Finding]]:
    """`parse_yaml` without the positions: the same data and the same findings, at a fraction of the cost.

    A registry-wide run needs every document's data but positions only for the few that have findings; keeping a
    position for every node of 17,000 files cost most of the run's memory. `parse_yaml` gives them when asked.
    """
    parsed = _compose(text, path)
    if isinstance(parsed, ParsedYaml):
        return None, parsed.findings
    builder = _PlainBuilder(path)
    try:
        data = builder.build(parsed, 0)
    except _Refused as exc:
        builder.findings.append(finding(exc.key, path, _place(exc.node.start_mark), **exc.fields))
        data = None
    return data, builder.findings


def _scalar_value(node: yaml.ScalarNode, *, share: bool = False) -> Any:
    """A scalar as Charter reads it: strings (and dates) as text, YAML's core numbers and booleans, nothing else."""
    if node.tag in (_STR, _TIMESTAMP):
        text: str = node.value
        return sys.intern(text) if share and len(text) <= _SHARED_LENGTH else text
    if node.tag in _SCALAR_TAGS:
        try:
            # the tag's own constructor, not construct_object: that one remembers every node it has built (PyYAML
            # clears the memo once per document, which this never reaches), which kept every number, boolean
            # and null node of every file alive: 110 MiB of a first whole-registry run
            value = _SCALAR_CONSTRUCTOR.yaml_constructors[node.tag](_SCALAR_CONSTRUCTOR, node)
        except ValueError as exc:  # Python refuses to convert integers of more than 4,300 digits
            raise _Refused(node, "CH103.digits", digits=len(node.value), error=exc) from exc
        if isinstance(value, float) and not math.isfinite(value):
            raise _Refused(node, "CH103.nan", value=node.value)
        return value
    raise _Refused(node, "CH103.tag", tag=node.tag)


def _mapping_key(key_node: yaml.Node) -> str:
    """A mapping key, refused unless it is a plain string (merge keys, numbers, lists, null)."""
    if key_node.tag == _MERGE:
        raise _Refused(key_node, "CH103.merge")
    if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
        shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else key_node.tag
        raise _Refused(key_node, "CH103.key", key=shown)
    return sys.intern(key_node.value)  # thousands of documents share a few hundred keys


def _count(nodes: int, node: yaml.Node, depth: int) -> int:
    """One more node built: refuse alias bombs and nesting past the bounds."""
    if nodes >= MAX_NODES:
        raise _Refused(node, "CH103.nodes", limit=MAX_NODES)
    if depth > MAX_DEPTH:
        raise _Refused(node, "CH103.depth", limit=MAX_DEPTH)
    return nodes + 1


#: Short strings (enum values, units, references) recur across documents: one copy of each is kept.
_SHARED_LENGTH = 48


class _Builder:
    """Builds plain data from a composed node tree, recording where each key and value is (for findings)."""

    def __init__(self, path: str, positions: Positions) -> None:
        self.path = path
        self.positions = positions
        self.findings: list[Finding] = []
        self.nodes = 0

    def build(self, node: yaml.Node, path: JsonPath, depth: int) -> Any:
        self.nodes = _count(self.nodes, node, depth)
        self.positions.values.setdefault(path, _place(node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return _scalar_value(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise _Refused(node, "CH103.tag", tag=node.tag)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        raise _Refused(node, "CH103.node")  # pragma: no cover - the composer makes only these

    def _mapping(self, node: yaml.MappingNode, path: JsonPath, depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            raise _Refused(node, "CH103.tag", tag=node.tag)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _mapping_key(key_node)
            if key in result:
                self.findings.append(_duplicate_key(self.path, key_node, self.positions.keys[(*path, key)][0]))
                continue
            self.positions.keys[(*path, key)] = _place(key_node.start_mark)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result


class _PlainBuilder:
    """What `_Builder` builds and refuses, in the same order, without recording where each node is: most documents
    have no finding, and positions for all of them cost most of a whole-registry run's time and memory."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.findings: list[Finding] = []
        self.nodes = 0

    def build(self, node: yaml.Node, depth: int) -> Any:
        self.nodes = _count(self.nodes, node, depth)
        if isinstance(node, yaml.ScalarNode):
            return _scalar_value(node, share=True)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise _Refused(node, "CH103.tag", tag=node.tag)
            return [self.build(item, depth + 1) for item in node.value]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        raise _Refused(node, "CH103.node")  # pragma: no cover - the composer makes only these

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            raise _Refused(node, "CH103.tag", tag=node.tag)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _mapping_key(key_node)
            if key in result:
                first = next(k for k, _ in node.value if k.value == key and k.tag == _STR).start_mark.line + 1
                self.findings.append(_duplicate_key(self.path, key_node, first))
                continue
            result[key] = self.build(value_node, depth + 1)
        return result


def _duplicate_key(path: str, key_node: yaml.Node, first_line: int) -> Finding:
    return finding("CH102", path, _place(key_node.start_mark), key=key_node.value, first_line=first_line)


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, except that a string holding NEL (U+0085) is double-quoted: written raw, in a plain or
    single-quoted scalar, it reads back as a line break (found by tests/test_properties.py)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(_STR, value, style='"' if "\x85" in value else None)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """The one way Charter writes YAML: block style, key order kept, unicode as is."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110)


def replace_scalar(text: str, path: JsonPath, value: str | int | float | bool) -> str:
    """Change one single-line scalar in YAML text, leaving every other byte (comments, order, quoting) as it was."""
    return replace_scalars(text, {path: value})


class NotEditable(ValueError):
    """A line edit that cannot be made at this place of the text (a missing key, a flow collection where a line
    would go); `place` is its line and column, for a message that points at it."""

    def __init__(self, message: str, place: tuple[int, int]) -> None:
        super().__init__(message)
        self.place = place


@dataclass(frozen=True)
class EditableText:
    """YAML text as the line edits see it: no byte-order mark and `\n` line ends (their offsets and line starts
    assume both). `restore` gives an edited text the mark and the line ends the file had, so only edited lines
    differ."""

    text: str
    bom: bool = False
    crlf: bool = False

    @classmethod
    def of(cls, text: str) -> EditableText:
        bom = text.startswith("\ufeff")
        text = text.removeprefix("\ufeff")
        crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")  # mixed line ends stay as they are
        return cls(text.replace("\r\n", "\n") if crlf else text, bom, crlf)

    def restore(self, edited: str) -> str:
        return ("\ufeff" if self.bom else "") + (edited.replace("\n", "\r\n") if self.crlf else edited)


def _nodes_to(root: yaml.Node | None, path: JsonPath) -> list[yaml.Node]:
    """The nodes from the root down to `path` (the root first)."""
    if root is None:
        raise NotEditable("empty document", (1, 1))
    nodes = [root]
    for depth, part in enumerate(path):
        node = nodes[-1]
        found: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            found = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            found = node.value[part]
        if found is None:
            raise NotEditable(f"{dotted(path[: depth + 1])} is not in this document", _place(node.start_mark))
        nodes.append(found)
    return nodes


def _node_at(root: yaml.Node | None, path: JsonPath) -> yaml.Node:
    return _nodes_to(root, path)[-1]


def _render(value: str | int | float | bool, *, in_flow: bool) -> str:
    """A value as YAML writes it; inside `[...]` or `{...}` dumped there too, so a comma or bracket gets quoted."""
    if in_flow:
        return yaml.safe_dump([value], default_flow_style=True, width=10_000).strip()[1:-1]
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).removesuffix("\n...\n").strip()


def replace_scalars(text: str, changes: dict[JsonPath, str | int | float | bool], *, verbatim: bool = False,
                    multiline: bool = False) -> str:
    """Change several scalars at once; everything else stays byte for byte.

    `verbatim` writes the new values' text as given (the caller knows it reads back as intended, e.g. a date
    replacing a date), instead of as YAML would quote it. `multiline` lets a value written over several lines (a
    folded `>` or literal `|` block, a wrapped plain string) be replaced by one line; otherwise that is refused.
    """
    root = yaml.compose(text, Loader=_Loader)
    spans = []
    for path, value in changes.items():
        nodes = _nodes_to(root, path)
        node = nodes[-1]
        if not isinstance(node, yaml.ScalarNode):
            raise NotEditable(f"{dotted(path)} is not a scalar", _place(node.start_mark))
        many = node.start_mark.line != node.end_mark.line
        if many and not multiline:
            raise NotEditable(f"{dotted(path)} is not a single-line scalar", _place(node.start_mark))
        in_flow = any(getattr(parent, "flow_style", False) for parent in nodes[:-1])
        rendered = str(value) if verbatim else _render(value, in_flow=in_flow)
        if many and node.style in ("|", ">"):  # a block scalar ends at the start of the line after its text
            rendered += "\n"
        spans.append((node.start_mark.index, node.end_mark.index, rendered))
    for start, end, rendered in sorted(spans, reverse=True):
        text = text[:start] + rendered + text[end:]
    return text


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _after_node(text: str, node: yaml.Node) -> int:
    """Where the lines of a block node end: the start of the line after its last character."""
    end = node.end_mark.index
    if node.end_mark.column == 0:
        return end
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


def _indented(data: Any, indent: int) -> str:
    return "".join(" " * indent + line + "\n" for line in dump_yaml(data).splitlines())


def append_to_sequence(text: str, path: JsonPath, item: dict[str, Any]) -> str:
    """Add an item at the end of a block sequence (or turn an empty `[]` into one), touching no other line."""
    root = yaml.compose(text, Loader=_Loader)
    node = _node_at(root, path)
    if not isinstance(node, yaml.SequenceNode):
        raise NotEditable(f"{dotted(path)} is not a list", _place(node.start_mark))
    if node.value and not node.flow_style:
        first = node.value[0]
        dash = text.rfind("-", _line_start(text, first.start_mark.index), first.start_mark.index)
        indent = dash - _line_start(text, first.start_mark.index)
        at = _after_node(text, node.value[-1])
        prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
        return text[:at] + prefix + _indented([item], indent) + text[at:]
    if node.value:
        raise NotEditable(f"{dotted(path)} is a flow list ([...])", _place(node.start_mark))
    key_line = _line_start(text, node.start_mark.index)
    indent = len(text[key_line:node.start_mark.index]) - len(text[key_line:node.start_mark.index].lstrip())
    block = "\n" + _indented([item], indent + 2).rstrip("\n")
    return text[: node.start_mark.index].rstrip(" ") + block + text[node.end_mark.index :]


def remove_from_sequence(text: str, path: JsonPath, index: int) -> str:
    """Remove one item of a block sequence with its lines (and the comment lines inside it)."""
    root = yaml.compose(text, Loader=_Loader)
    node = _node_at(root, path)
    if not isinstance(node, yaml.SequenceNode) or node.flow_style or not 0 <= index < len(node.value):
        raise NotEditable(f"{dotted(path)} has no block item {index}", _place(node.start_mark))
    start = _line_start(text, node.value[index].start_mark.index)
    if index + 1 < len(node.value):
        end = _line_start(text, node.value[index + 1].start_mark.index)
    else:
        end = _after_node(text, node.value[index])
    return text[:start] + text[end:]


def add_mapping_keys(text: str, path: JsonPath, values: dict[str, Any]) -> str:
    """Add keys at the end of a block mapping, with its indentation; the caller makes sure they are new."""
    root = yaml.compose(text, Loader=_Loader)
    node = _node_at(root, path)
    if not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
        raise NotEditable(f"{dotted(path)} is not a block mapping", _place(node.start_mark))
    first_key = node.value[0][0]
    indent = first_key.start_mark.column
    at = _after_node(text, node.value[-1][1])
    prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
    return text[:at] + prefix + _indented(values, indent) + text[at:]

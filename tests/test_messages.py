"""Every message template is well formed and belongs to something that exists, and none is written at a raise site."""

from __future__ import annotations

import ast
import importlib
import string
from pathlib import Path

from charter import errors
from charter.errors import PREDICTIONS_MESSAGES, RESULTS_MESSAGES, CharterError
from charter.registry.findings import CODES, MESSAGES
from charter.search.syntax import QUERY_MESSAGES

SRC = Path(__file__).resolve().parents[1] / "src" / "charter"
#: Modules that define error classes of their own (an adapter's family, the query language's).
ERROR_MODULES = ("charter.adapters.git.run", "charter.adapters.git.worktree", "charter.adapters.forge.base",
                 "charter.search.syntax")
TABLES = {"MESSAGES": MESSAGES, "QUERY_MESSAGES": QUERY_MESSAGES, "RESULTS_MESSAGES": RESULTS_MESSAGES,
          "PREDICTIONS_MESSAGES": PREDICTIONS_MESSAGES}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _error_classes() -> list[type[CharterError]]:
    for module in ERROR_MODULES:
        importlib.import_module(module)
    found: list[type[CharterError]] = []
    pending: list[type[CharterError]] = [CharterError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(SRC.rglob("*.py"))]


def _error_class_names(trees: list[tuple[Path, ast.Module]]) -> set[str]:
    """CharterError and every class that derives from it, by name, as the source declares them."""
    names = {"CharterError"}
    classes = [node for _, tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    while True:
        more = {c.name for c in classes if c.name not in names
                and any(isinstance(b, ast.Name) and b.id in names for b in c.bases)}
        if not more:
            return names
        names |= more


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_wording(node: ast.expr) -> bool:
    """Text written for a person: an f-string, a string with a space, or a sum or choice of such."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isspace() for c in node.value)
    if isinstance(node, ast.BinOp):
        return _is_wording(node.left) or _is_wording(node.right)
    if isinstance(node, ast.IfExp):
        return _is_wording(node.body) or _is_wording(node.orelse)
    return False


def test_every_finding_message_belongs_to_a_catalogued_code() -> None:
    assert [key for key in MESSAGES if key.split(".", 1)[0] not in CODES] == []


def test_every_error_template_parses() -> None:
    for cls in _error_classes():
        _fields(cls.template)
        _fields(cls.hint_template)
    for table in TABLES.values():
        for template, hint in table.values():
            _fields(template)
            _fields(hint)


def test_errors_module_is_where_most_errors_live() -> None:
    """errors.py holds every error class but the few an adapter or the query language keeps as its own API."""
    elsewhere = {cls.__module__ for cls in _error_classes()} - {errors.__name__}
    assert elsewhere <= set(ERROR_MODULES)


def test_no_wording_is_written_at_a_raise_site() -> None:
    """Errors and findings name their words (a class, a key and fields); the words live in the catalogues."""
    trees = _trees()
    error_classes = _error_class_names(trees)
    worded = {"finding", "error", "fail", *error_classes}
    found = []
    for path, tree in trees:
        if path == SRC / "errors.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _callee(node) in worded and any(_is_wording(a) for a in node.args):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {_callee(node)}(...)")
    assert found == []


def test_finding_keys_are_catalogued_and_every_wording_is_used() -> None:
    trees = _trees()
    used: set[str] = set()
    unknown = []
    for path, tree in trees:
        dict_keys = {id(k) for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in dict_keys:
                used.add(node.value)
            if isinstance(node, ast.Call) and _callee(node) == "finding" and node.args:
                choices = [node.args[0]] if not isinstance(node.args[0], ast.IfExp) \
                    else [node.args[0].body, node.args[0].orelse]
                unknown += [f"{path.relative_to(SRC)}:{node.lineno}: {c.value}" for c in choices
                            if isinstance(c, ast.Constant) and c.value not in MESSAGES]
    assert unknown == []
    unused = {name: [key for key in table if key not in used and not key.startswith("CH")]
              for name, table in TABLES.items()}
    assert unused == {name: [] for name in TABLES}

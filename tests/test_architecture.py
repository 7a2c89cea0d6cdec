"""The tree shows the architecture: layers by subpackage, imports one way, no module cycles, git in one place.

Every import counts, including those inside functions (lazy imports keep start-up fast, they must not hide a
cycle) and those under TYPE_CHECKING (a type a module names is a dependency of its design).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import charter

PACKAGE = Path(charter.__file__).parent

#: Layers, lowest first: a module may import its own layer and the ones below, never one above.
LAYERS: list[set[str]] = [
    {"_version", "errors"},
    {"registry"},
    {"adapters", "store", "evaluation"},
    {"search", "history", "deployment"},
    {"validation"},
    {"authoring", "promotion"},
    {"report"},
    {"api"},
    {"cli", "__main__", "__init__"},
]


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("charter", *parts))
        modules[name.removesuffix(".__init__")] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The Charter modules `name` imports, wherever in the file the import statement stands."""
    found: set[str] = set()

    def closest(target: str) -> str:
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]
        return target

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(closest(alias.name) for alias in node.names if alias.name.startswith("charter"))
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{name}: relative import (Charter imports absolutely)"
            if node.module and node.module.startswith("charter"):
                for alias in node.names:
                    whole = f"{node.module}.{alias.name}"
                    found.add(whole if whole in modules else closest(node.module))
    found.discard(name)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back_through_others(graph: dict[str, set[str]]) -> None:
    assert _cycles(graph) == []


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    for level, names in enumerate(LAYERS):
        if top in names:
            return level
    raise AssertionError(f"{module}: not in any layer of tests/test_architecture.py (add its package there)")


def test_imports_point_down_the_layers(graph: dict[str, set[str]]) -> None:
    upward = [f"{module} -> {target}" for module, targets in sorted(graph.items()) for target in sorted(targets)
              if _layer(target) > _layer(module)]
    assert upward == []


def test_the_top_of_the_package_holds_only_the_facade_errors_version_and_entry_point() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "_version.py", "api.py", "errors.py"]


def test_only_the_git_adapter_runs_git(graph: dict[str, set[str]]) -> None:
    """GitPython and git processes live in `charter.adapters.git`; everything else asks it."""
    outside = []
    for module, path in sorted(_modules().items()):
        if module.startswith("charter.adapters.git"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                if any(name == "git" or name.startswith("git.") for name in names):
                    outside.append(f"{module}:{node.lineno} imports GitPython")
            if isinstance(node, ast.Constant) and node.value == "git" and _in_a_process_call(tree, node):
                outside.append(f"{module}:{node.lineno} starts a git process")
    assert outside == []


def _in_a_process_call(tree: ast.AST, constant: ast.Constant) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == "subprocess":
            for argument in node.args:
                if any(inner is constant for inner in ast.walk(argument)):
                    return True
    return False

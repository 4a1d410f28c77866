"""The import graph between features: ``ato.core`` imports no feature, no feature imports
another's views, and no two features import each other, directly or through others."""

import ast
from pathlib import Path

import ato

PACKAGE = Path(ato.__file__).parent
CORE = "core"


def _features() -> list[str]:
    return sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())


def _imports(path: Path) -> set[str]:
    """Modules imported by a file (``ato.x.y``), module-level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ato."):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ato."))
    return found


def graph() -> dict[str, set[str]]:
    """Feature → features it imports (the app factory, ``ato/__init__.py``, excepted)."""
    edges: dict[str, set[str]] = {f: set() for f in _features()}
    for feature in edges:
        for path in (PACKAGE / feature).rglob("*.py"):
            for module in _imports(path):
                target = module.split(".")[1]
                if target in edges and target != feature:
                    edges[feature].add(target)
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_core_imports_no_feature():
    assert graph()[CORE] == set()


def test_the_directory_imports_no_other_feature_but_the_core():
    assert graph()["directory"] <= {CORE}


def test_no_cycle_between_features():
    assert _cycle(graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_feature_imports_another_features_views():
    offenders = [
        (str(path.relative_to(PACKAGE)), module)
        for feature in _features()
        for path in (PACKAGE / feature).rglob("*.py")
        for module in _imports(path)
        if module.split(".")[1] != feature and ".views" in module
    ]
    assert offenders == []

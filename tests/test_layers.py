"""The house's rules, read from the code: imports point one way, no circles, small modules.

Layers, lowest first (DESIGN.md, "Where things live"); a module may import its own
layer's and lower layers' modules, never a higher one. The control contract sits
below the engine because the engine process imports it to decode OSC, as every
controller does. The terminal UI (`rig.stage.ui`) talks to the engine only through
`rig.control`: it may not import the engine, the voices or the probes at all.
Every import counts, also the ones inside functions and under TYPE_CHECKING: a
lazy import still ties two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RIG = Path(__file__).resolve().parents[1] / "rig"

LAYERS: list[tuple[str, ...]] = [
    ("rig", "rig.theory", "rig.source"),
    ("rig.song", "rig.devices"),
    ("rig.config", "rig.view"),
    ("rig.project",),
    ("rig.midi", "rig.dsp", "rig.timing"),
    ("rig.control",),
    ("rig.voices",),
    ("rig.engine",),
    ("rig.probe",),
    ("rig.stage",),
    ("rig.commands",),
    ("rig.cli",),
    ("rig.__main__",),  # `python -m rig`: the command line, from the top
]
# Packages a room may never import, whatever their layer.
FORBIDDEN = {"rig.stage.ui": ("rig.engine", "rig.voices", "rig.probe")}
MAX_LINES = 500
# Modules still to be split (each must be over the limit, so the list cannot outlive
# the split): none left.
SPLIT_PENDING: set[str] = set()


def module_name(path: Path) -> str:
    parts = path.relative_to(RIG.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(RIG.rglob("*.py"))}


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The rig modules `path` imports (resolved to modules, not names in them)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            # `from rig.song import model` names a module; `from rig.song.model import X` not.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("rig") and target != name:
                found.add(target)
    return found


def rank(module: str) -> int:
    best, best_len = -1, -1
    for index, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(path, name, known) for name, path in mods.items()}


def test_every_module_has_a_layer():
    assert [m for m in modules() if rank(m) < 0] == []


def test_no_import_runs_against_the_layers():
    against = [
        f"{mod} (layer {rank(mod)}) imports {dep} (layer {rank(dep)})"
        for mod, deps in graph().items()
        for dep in sorted(deps)
        if rank(dep) > rank(mod) and not mod.startswith(dep + ".") and mod != "rig"
    ]
    assert against == []


def test_the_ui_reaches_the_engine_only_through_control():
    bad = [
        f"{mod} imports {dep}"
        for mod, deps in graph().items()
        for room, banned in FORBIDDEN.items()
        if mod == room or mod.startswith(room + ".")
        for dep in deps
        if any(dep == b or dep.startswith(b + ".") for b in banned)
    ]
    assert bad == []


def find_circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return circles


def test_no_circles():
    # A package's face (__init__) re-exporting its modules is not a circle of design.
    edges = {
        mod: {d for d in deps if not mod.startswith(d + ".") and not d.startswith(mod + ".")}
        for mod, deps in graph().items()
    }
    assert find_circles(edges) == []


def test_the_circle_finder_finds_a_circle():
    assert find_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_circles({"a": {"b"}, "b": set()}) == []


def test_the_layer_rule_catches_an_upward_import(tmp_path):
    path = tmp_path / "x.py"
    path.write_text("from rig.engine.transport import Engine\n")
    deps = imports_of(path, "rig.song.x", set(modules()))
    assert "rig.engine.transport" in deps and rank("rig.engine.transport") > rank("rig.song.x")


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_stay_small(name):
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    if name in SPLIT_PENDING:
        assert lines > MAX_LINES, f"{name} is split now: take it off SPLIT_PENDING"
    else:
        assert lines <= MAX_LINES, f"{name}: {lines} lines (split it: at most {MAX_LINES})"

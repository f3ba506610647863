"""The package's structure: the flow of its layers, no cycles, one home for each concept.

Read from the source (``ast``), never by importing: every import statement counts, including
the ones inside functions (they are imports all the same, only later).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from builders import ROOT

from forecasting.kinds import kind_names

PACKAGE = ROOT / "forecasting"
#: The flow of the data, first to last; a module may import only from its own layer or earlier.
LAYERS = [
    ("core", "_version"),
    ("kinds",),
    ("inputs",),
    ("model",),
    ("engines",),
    ("confidence",),
    ("results",),
    ("api",),
    ("analyses",),
    ("presentation",),
    ("pipeline",),
    ("scoring",),
    ("dashboard",),
    ("cli", "__init__"),
]
#: Longest module without a reason stated at its top.
MAX_LINES = 600


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(name: str) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for each import of ``name``."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = name if _is_package(name) else name.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            if target in MODULES and _is_package(target):
                # ``from package import submodule`` imports the submodule
                subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
                for sub in subs:
                    out.append((sub, [], node.lineno))
                names = [n for n in names if f"{target}.{n}" not in MODULES]
                if not names:
                    continue
            out.append((target, names, node.lineno))
        elif isinstance(node, ast.Import):
            out.extend((a.name, [], node.lineno) for a in node.names)
    return [
        (t, n, line) for t, n, line in out if t == "forecasting" or t.startswith("forecasting.")
    ]


def layer(name: str) -> int:
    rest = name.split(".")[1:] or ["__init__"]
    for n, names in enumerate(LAYERS):
        if rest[0] in names:
            return n
    raise AssertionError(f"{name} belongs to no layer: add it to LAYERS")


def test_every_module_belongs_to_a_layer():
    for name in MODULES:
        layer(name)


def test_layers_import_only_from_earlier_layers():
    wrong = []
    for name in MODULES:
        if name == "forecasting":
            continue  # the package namespace loads its names lazily, by name
        for target, _, line in imports(name):
            if target in MODULES and layer(target) > layer(name):
                wrong.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    graph = {name: {t for t, _, _ in imports(name) if t in MODULES} for name in MODULES}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_private_name_is_used_across_modules():
    wrong = []
    for name in MODULES:
        for target, names, line in imports(name):
            if target == name:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if (
                private
                or target.rsplit(".", 1)[-1].startswith("_")
                and target != "forecasting._version"
            ):
                wrong.append(f"{MODULES[name].relative_to(ROOT)}:{line}: {target} {private}")
    assert not wrong, "\n".join(wrong)


def test_no_kind_branch_outside_the_kinds():
    """Nothing outside ``forecasting/kinds/`` compares with a kind's name or class."""
    names = set(kind_names())
    wrong = []
    for name, path in MODULES.items():
        if name.startswith("forecasting.kinds"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                for part in [node.left, *node.comparators]:
                    for const in ast.walk(part):
                        if isinstance(const, ast.Constant) and const.value in names:
                            wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "isinstance":
                if "Indicator" in ast.unparse(node.args[1]):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not wrong, "kind branches outside forecasting/kinds/: " + ", ".join(wrong)


def test_long_modules_say_why_at_their_top():
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MAX_LINES:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            assert "Why this module is long" in doc, f"{name}: {lines} lines and no reason"


def test_the_test_tree_mirrors_the_package():
    tests = ROOT / "tests"
    for folder in tests.iterdir():
        if folder.is_dir() and not folder.name.startswith((".", "_")):
            assert (PACKAGE / folder.name / "__init__.py").is_file(), folder.name


@pytest.mark.parametrize("name", ["forecasting.cli", "forecasting"])
def test_command_line_and_namespace_stay_light(name):
    """``import forecasting`` and ``forecasting.cli`` read no numerics at import (ast check)."""
    heavy = {"numpy", "xarray", "scipy", "pandas", "matplotlib", "pymc", "pydantic"}
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    for node in top:
        mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        assert not any((m or "").split(".")[0] in heavy for m in mods), ast.unparse(node)


def test_no_package_name_hides_one_of_its_modules():
    """``from .update import update`` in a package makes ``package.update`` the function."""
    wrong = []
    for name, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        for _target, names, line in imports(name):
            for n in names:
                if f"{name}.{n}" in MODULES:
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: {n}")
    assert not wrong, "names that hide a module of the same package: " + ", ".join(wrong)

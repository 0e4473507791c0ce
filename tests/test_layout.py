"""The package's layout rules, checked on its source: no import cycle, no private name crossing.

A module's private names (``_x``) are its own business: another module that needs one needs a
public, documented name instead. And no module may import, even lazily inside a function, a
module that imports it back.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "feedclass"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, modules: dict[str, Path]) -> list[tuple[int, str, list[str]]]:
    """(line, imported feedclass module, names taken from it) for every import in ``path``."""
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "feedclass":
                    out.append((node.lineno, alias.name, []))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] != "feedclass":
                continue
            names = [a.name for a in node.names]
            # "from feedclass.dedup import pairs" imports a module, not a name
            subs = [n for n in names if f"{target}.{n}" in modules]
            for n in subs:
                out.append((node.lineno, f"{target}.{n}", []))
            out.append((node.lineno, target, [n for n in names if n not in subs]))
    return out


def _private_uses(path: Path, modules: dict[str, Path]) -> list[str]:
    """Private names ``path`` takes from another feedclass module (import or attribute)."""
    me = _module_name(path)
    bad = []
    aliases: dict[str, str] = {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for line, target, names in _imports(path, modules):
        if target != me:
            bad += [f"{path.name}:{line} imports {target}.{n}" for n in names if _private(n)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("feedclass"):
                    aliases[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if f"{node.module}.{a.name}" in modules:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and aliases.get(node.value.id, me) != me
        ):
            bad.append(f"{path.name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return bad


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_module_uses_another_modules_private_names() -> None:
    modules = _modules()
    files = list(modules.values())
    files += sorted((ROOT / "benchmarks").glob("*.py")) + sorted((ROOT / "training").glob("*.py"))
    bad = [b for f in files for b in _private_uses(f, modules)]
    assert not bad, "private names used across modules:\n" + "\n".join(bad)


def test_no_import_cycle() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        # the top-level package only re-exports (lazily): "from feedclass import __version__"
        # in a module is not a cycle through every module the package can hand out
        targets = {t for _, t, _ in _imports(path, modules)}
        graph[name] = {t for t in targets if t in modules and t not in (name, "feedclass")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                return [*stack[stack.index(t) :], t]
            if t not in state and (cycle := visit(t)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (cycle := visit(m)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_the_checks_catch_what_they_are_for(tmp_path: Path, monkeypatch) -> None:
    """Both checks fail on a planted cycle and a planted private import."""
    pkg = tmp_path / "feedclass"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from feedclass.b import g\n")
    (pkg / "b.py").write_text("from feedclass.a import _hidden\nimport feedclass.a as m\nm._x\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", pkg)
    modules = _modules()
    assert _private_uses(pkg / "b.py", modules) == [
        "b.py:1 imports feedclass.a._hidden",
        "b.py:3 uses feedclass.a._x",
    ]
    cycle = r"feedclass\.a -> feedclass\.b -> feedclass\.a"
    with pytest.raises(pytest.fail.Exception, match=cycle):
        test_no_import_cycle()


def test_every_subpackage_is_in_the_wheel() -> None:
    """pyproject lists the packages by hand: a new folder missing there is absent when installed."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {_module_name(p.parent / "__init__.py") for p in PACKAGE.rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"

"""feedclass.jit: the one way kernels are compiled, cached where possible, lazily if asked."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "feedclass"


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_without_a_writable_cache_kernels_compile_in_memory() -> None:
    # e.g. a read-only site-packages and no writable home
    code = (
        "import numba.core.caching as c\n"
        "c.CacheImpl._locator_classes = []\n"
        "from feedclass.jit import jit\n"
        "@jit(inline='always')\n"
        "def one(x):\n    return x + 1\n"
        "@jit(lazy=True, nogil=True)\n"
        "def two(x):\n    return one(x) * 2\n"
        "assert type(one._cache).__name__ == 'NullCache'\n"
        "print(two(20))\n"
    )
    assert _run(code) == "42"


def test_lazy_kernels_leave_numba_unimported_until_called() -> None:
    code = (
        "import sys, feedclass.readers, feedclass.writers\n"
        "before = 'numba' in sys.modules\n"
        "from feedclass.jit import jit\n"
        "@jit(lazy=True)\n"
        "def f(x):\n    return x * 3\n"
        "between = 'numba' in sys.modules\n"
        "print(before, between, f(4), 'numba' in sys.modules)\n"
    )
    assert _run(code) == "False False 12 True"


def test_every_kernel_goes_through_the_one_helper() -> None:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "jit.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr in ("njit", "jit")) and (
                isinstance(node.value, ast.Name) and node.value.id == "numba"
            ):
                bad.append(f"{path.relative_to(PACKAGE)}:{node.lineno} numba.{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module == "numba":
                bad += [
                    f"{path.relative_to(PACKAGE)}:{node.lineno} from numba import {a.name}"
                    for a in node.names
                    if a.name in ("njit", "jit")
                ]
    assert not bad, "compile through feedclass.jit.jit:\n" + "\n".join(bad)


def test_a_cached_kernel_sees_an_edit_of_a_kernel_it_calls_from_another_module(
    tmp_path: Path,
) -> None:
    # numba checks a cached kernel against its own file only; the caller inlines the callee
    pkg = tmp_path / "kernels"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    callee = pkg / "callee.py"
    callee.write_text("from feedclass.jit import jit\n@jit\ndef step(x):\n    return x + 1\n")
    (pkg / "caller.py").write_text(
        "from feedclass.jit import jit\nfrom kernels.callee import step\n"
        "@jit\ndef twice(x):\n    return step(step(x))\n"
    )
    code = (
        f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {str(PACKAGE.parent)!r}]\n"
        "from kernels.caller import twice\nprint(twice(0))\n"
    )
    assert _run(code) == "2"
    assert _run(code) == "2"  # from the cache
    callee.write_text("from feedclass.jit import jit\n@jit\ndef step(x):\n    return x + 10\n")
    assert _run(code) == "20"

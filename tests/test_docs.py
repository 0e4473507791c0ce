"""Every docstring example in the package runs and shows what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import feedclass

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(feedclass.__path__, "feedclass.")
    if m.name != "feedclass.cli"  # typer's app: its commands are tested in test_cli.py
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"

"""The README's Python examples run as doctests against the shipped model."""

from __future__ import annotations

import doctest
import re

import pytest

from tests.conftest import ROOT


def test_readme_python_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    from feedclass.model import default_model_path

    if not default_model_path().exists():
        pytest.skip("the default model is not installed")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    code = "\n".join(b for b in blocks if ">>>" in b)
    assert code, "README has no doctested Python example"
    monkeypatch.chdir(ROOT)  # the examples open examples/train.csv
    test = doctest.DocTestParser().get_doctest(code, {}, "README.md", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} README example(s) failed; run pytest -s"

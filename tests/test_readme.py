"""The README's Python examples run as written, in order, with the real offline model."""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.model, pytest.mark.slow]


def python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)


def test_the_readme_has_python_examples() -> None:
    assert len(python_blocks()) >= 4


async def test_readme_examples_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "minilm")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "readme"}
    for number, block in enumerate(python_blocks(), 1):
        code = compile(block, f"README.md python block {number}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, namespace)
        if result is not None:  # a block with top-level await compiles to a coroutine
            await result
    # the blocks' own asserts checked the results; these check that they ran to the end
    assert namespace["hits"][0]["id"] == namespace["session"]["id"]
    assert namespace["chunks"] and namespace["daily"].height >= 1

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
    blocks = python_blocks()
    # The first two blocks write to the default store, which keeps what they wrote: a reader who runs
    # them again must not meet an error (a memory that already exists, a tie with the first run's session).
    for number, block in [*enumerate(blocks, 1), (1, blocks[0]), (2, blocks[1])]:
        code = compile(block, f"README.md python block {number}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, namespace)
        if result is not None:  # a block with top-level await compiles to a coroutine
            await result
    # the blocks' own asserts checked the results; these check that they ran to the end
    assert namespace["session"]["id"] in {hit["id"] for hit in namespace["hits"][:2]}  # tied with the first run's
    assert namespace["first"]["version"] == 3  # the second run updated the memory the first one made
    assert namespace["chunks"] and namespace["daily"].height >= 1

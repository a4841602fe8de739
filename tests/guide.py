"""Extract the documented examples of the SessionService guide, to run them as written."""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import re
from pathlib import Path
from typing import Any

from tests.conftest import SHARED

GUIDE = SHARED / "reference" / "session-service-guide.md"
ORIGINAL_IMPORT = "from src.server.services.session_service import get_session_service"
AGENTLOG_IMPORT = "from agentlog import get_session_service"


def section_blocks(text: str, heading: str) -> list[tuple[str, str]]:
    """The ```python blocks under a level-2 heading, with the nearest level-3 title of each."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    body = text[start:end]
    blocks = []
    title = heading
    for match in re.finditer(r"^### ([^\n]+)$|^```python\n(.*?)^```", body, re.M | re.S):
        if match.group(1):
            title = match.group(1).strip()
        else:
            blocks.append((title, match.group(2)))
    return blocks


def guide_examples(path: Path = GUIDE) -> list[tuple[str, str]]:
    """Quick Start 1-5 and Common Workflows 1-5, with only the import line changed."""
    text = path.read_text(encoding="utf-8")
    examples = section_blocks(text, "Quick Start") + section_blocks(text, "Common Workflows")
    return [(title, code.replace(ORIGINAL_IMPORT, AGENTLOG_IMPORT)) for title, code in examples]


async def run_example(code: str, namespace: dict[str, Any]) -> str:
    """Run one block (top-level await allowed) in ``namespace`` and return what it printed."""
    compiled = compile(code, "<guide>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = eval(compiled, namespace)
        if inspect.iscoroutine(result):
            await result
    return out.getvalue()

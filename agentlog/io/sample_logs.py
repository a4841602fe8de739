"""A small, made-up log in each format :func:`~agentlog.io.import_logs` reads.

:func:`write_sample_logs` writes one short session per format, laid out in a
folder the way each agent lays out its own logs, for demos, notebooks and
tests that must run without anyone's real logs:

* ``claude/projects/-home-dev-shop-api/<session id>.jsonl``: a Claude Code
  transcript (11 lines: a summary, prompt, replies, tool calls and results,
  a turn duration); a test run fails (a ``tool_result`` with ``is_error``),
  an edit fixes it.
* ``codex/sessions/2026/01/13/rollout-2026-01-13T14-05-00-<session id>.jsonl``:
  a Codex CLI rollout (12 lines, from ``session_meta`` to ``task_complete``);
  a build fails (``exec_command_end`` with ``exit_code`` 2), a patch fixes it.
* ``otel/trip-planner_trace.json``: an OpenTelemetry GenAI trace as any-agent
  exports it (6 spans in end order, the root last, a 128-bit decimal trace
  id) of the agent ``trip-planner``; a booking tool span has status ``error``.
* ``agentlog/support-bot.jsonl``: agentlog's own JSON lines, a session of the
  agent ``support-bot`` with 6 events, one of them ``error_encountered``.

So every session has exactly one failure, as its importer flags them. Ids and
timestamps are fixed (January 2026): the files are the same bytes every time,
and importing them again adds nothing. The folder names lack the leading dots
of ``~/.claude`` and ``~/.codex`` because a folder walk skips hidden folders.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agentlog.errors import ValidationError

__all__ = ["write_sample_logs"]

_NAMESPACE = uuid.UUID("0d3a6c1e-52b4-4c8f-9e21-7b5f0a8c4d19")
"""Namespace of the sample's fixed ids (never change it: the sample's ids would move)."""


def _id(name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, name))


def _at(start: datetime, seconds: float) -> str:
    return (start + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _use(tool_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": arguments}


def _result(tool_id: str, text: str, *, error: bool = False) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": text, "is_error": error}


_SHOP = "/home/dev/shop-api"
_PYTEST = "python -m pytest tests/test_orders.py -q"
_FAILED = "Exit code 1\nFAILED tests/test_orders.py::test_empty_cart_total - ZeroDivisionError: division by zero"
_EDIT = {"old_string": "return total / len(items)", "new_string": "return total / len(items) if items else 0"}
_FIXED = "Fixed: an empty cart divided by zero in `orders/totals.py`; its average is now 0. All 8 tests pass."
_CLAUDE: tuple[tuple[float, int | None, str | dict[str, Any]], ...] = (
    # (seconds, API response number (None: a user line), the line's content block, or a prompt)
    (0.0, None, "GET /orders/total returns 500 for an empty cart. Fix it."),
    (4.2, 1, {"type": "text", "text": "Let me reproduce it with the tests first."}),
    (4.9, 1, _use("toolu_01SampleRun1", "Bash", command=_PYTEST)),
    (9.6, None, _result("toolu_01SampleRun1", _FAILED, error=True)),
    (15.3, 2, _use("toolu_01SampleEdit", "Edit", file_path=f"{_SHOP}/orders/totals.py", **_EDIT)),
    (15.8, None, _result("toolu_01SampleEdit", f"The file {_SHOP}/orders/totals.py has been updated.")),
    (18.1, 3, _use("toolu_01SampleRun2", "Bash", command=_PYTEST)),
    (22.4, None, _result("toolu_01SampleRun2", "8 passed in 0.38s")),
    (26.0, 4, {"type": "text", "text": _FIXED}),
)


def _claude_code() -> tuple[str, list[dict[str, Any]]]:
    """A Claude Code transcript: a failing test run, a fix, a passing run."""
    session, start = _id("claude-code"), datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
    common = {"isSidechain": False, "userType": "external", "cwd": _SHOP, "sessionId": session, "version": "2.1.4"}
    lines: list[dict[str, Any]] = []

    def add(seconds: float, kind: str, **fields: Any) -> None:
        parent = lines[-1]["uuid"] if lines else None
        line = {"parentUuid": parent, **common, "gitBranch": "fix/empty-cart", "type": kind, **fields}
        lines.append(line | {"uuid": _id(f"claude-code:{len(lines)}"), "timestamp": _at(start, seconds)})

    for seconds, reply, content in _CLAUDE:
        if reply is None:
            said = [content] if isinstance(content, dict) else content
            add(seconds, "user", message={"role": "user", "content": said})
            continue
        usage = {"input_tokens": 4, "cache_read_input_tokens": 14_200 + 900 * reply, "output_tokens": 30 + 9 * reply}
        message = {"model": "claude-sonnet-4-5-20250929", "id": f"msg_01SampleReply{reply}", "type": "message"}
        add(seconds, "assistant", message=message | {"role": "assistant", "content": [content], "usage": usage})
    add(26.1, "system", subtype="turn_duration", durationMs=26_100, isMeta=False)
    summary = {"type": "summary", "summary": "Fix 500 on empty cart total", "leafUuid": lines[-2]["uuid"]}
    return session, [summary, *lines]


_WEB = "/home/dev/web-shop"
_BUILD = ["bash", "-lc", "npm run build"]
_TS_ERROR = "src/cart.ts(14,7): error TS2322: Type 'string' is not assignable to type 'number'."
_PATCH = (
    "*** Begin Patch\n*** Update File: src/cart.ts\n@@\n-  qty = input.qty\n+  qty = Number(input.qty)\n*** End Patch\n"
)
_PATCHED = "Success. Updated the following files:\nM src/cart.ts\n"
_ANSWER = "`qty` arrived as a string after the cart refactor; `src/cart.ts` now converts it and the build passes."
_USAGE = {"input_tokens": 21_480, "cached_input_tokens": 17_920, "output_tokens": 655, "reasoning_output_tokens": 320}


def _codex() -> tuple[str, list[dict[str, Any]]]:
    """A Codex CLI rollout: a build that fails, a patch, the answer."""
    session, start, turn = _id("codex"), datetime(2026, 1, 13, 14, 5, tzinfo=UTC), _id("codex:turn")
    build, patch = "call_SampleBuild", "call_SamplePatch"
    lines: list[dict[str, Any]] = []

    def add(seconds: float, kind: str, payload_type: str | None, **payload: Any) -> None:
        typed = payload if payload_type is None else {"type": payload_type, **payload}
        lines.append({"timestamp": _at(start, seconds), "type": kind, "payload": typed})

    git = {"commit_hash": "4f2c9a1e07b35d8e6a1c2f90b4d7e3a5c8f1b206", "branch": "main"}
    add(0, "session_meta", None, id=session, timestamp=_at(start, -1.5), cwd=_WEB, originator="codex_cli_rs")
    lines[0]["payload"] |= {"cli_version": "0.63.0", "source": "cli", "model_provider": "openai", "git": git}
    add(0.1, "turn_context", None, turn_id=turn, cwd=_WEB, approval_policy="on-request", model="gpt-5-codex")
    add(0.2, "event_msg", "user_message", message="The build broke after the cart refactor; fix it.")
    arguments = json.dumps({"command": _BUILD, "workdir": _WEB})
    add(3.4, "response_item", "function_call", name="shell", arguments=arguments, call_id=build)
    ended = {"command": _BUILD, "cwd": _WEB, "stdout": "", "stderr": _TS_ERROR, "exit_code": 2}
    add(11.9, "event_msg", "exec_command_end", call_id=build, turn_id=turn, **ended)
    output = f"Exit code: 2\nWall time: 8.4 seconds\nOutput:\n{_TS_ERROR}\n"
    add(12.0, "response_item", "function_call_output", call_id=build, output=output)
    add(19.5, "response_item", "custom_tool_call", status="completed", call_id=patch, name="apply_patch", input=_PATCH)
    add(19.8, "event_msg", "patch_apply_end", call_id=patch, turn_id=turn, stdout=_PATCHED, success=True)
    output = json.dumps({"output": _PATCHED, "metadata": {"exit_code": 0, "duration_seconds": 0.1}})
    add(19.9, "response_item", "custom_tool_call_output", call_id=patch, output=output)
    add(24.3, "event_msg", "agent_message", message=_ANSWER)
    add(24.4, "event_msg", "token_count", info={"total_token_usage": _USAGE | {"total_tokens": 22_135}})
    add(24.5, "event_msg", "task_complete", turn_id=turn, last_agent_message=_ANSWER)
    return session, lines


_MODEL = "openai/gpt-4.1-mini"
_DECLINED = "PaymentDeclined: card ending 4242 was declined (insufficient funds)"
_TRIP = "Found a 09:40 train from Lyon to Turin (EUR 64), but the booking failed: the card was declined."
_SPANS: tuple[tuple[str, int, int, dict[str, Any]], ...] = (
    # (operation, start ms, end ms, attributes): in end order, as exporters list them; the root last
    ("call_llm", 150, 1_420, {"gen_ai.usage.input_tokens": 412, "gen_ai.usage.output_tokens": 38}),
    ("execute_tool", 1_430, 2_210, {"gen_ai.tool.name": "search_trains", "gen_ai.output": "09:40 EUR 64, 13:15"}),
    ("call_llm", 2_220, 3_050, {"gen_ai.usage.input_tokens": 655, "gen_ai.usage.output_tokens": 29}),
    ("execute_tool", 3_060, 4_880, {"gen_ai.tool.name": "book_ticket", "gen_ai.output": _DECLINED}),
    ("call_llm", 4_890, 6_300, {"gen_ai.usage.input_tokens": 790, "gen_ai.usage.output_tokens": 61}),
    ("invoke_agent", 0, 6_310, {"gen_ai.agent.name": "trip-planner", "gen_ai.agent.description": "Books trains."}),
)


def _otel() -> dict[str, Any]:
    """An any-agent trace export: a trip planner whose booking call fails."""
    trace = 0x8C1F3B2A6D4E4F0A9B7C5D3E1F2A4B6C  # as a JSON number: wider than int64, even than a signed int128
    start = int(datetime(2026, 1, 14, 16, 0, tzinfo=UTC).timestamp()) * 10**9
    root = 0xB5E2C4A19D3F7061
    resource = {"attributes": {"telemetry.sdk.name": "opentelemetry", "service.name": "unknown_service"}}
    spans = []
    for number, (operation, begin, end, extra) in enumerate(_SPANS, start=1):
        is_root = operation == "invoke_agent"
        attributes = {"gen_ai.operation.name": operation, **extra}
        if operation != "execute_tool":
            attributes["gen_ai.request.model"] = _MODEL
        label = {"call_llm": _MODEL, "execute_tool": extra.get("gen_ai.tool.name"), "invoke_agent": "[trip-planner]"}
        failed = extra.get("gen_ai.output") == _DECLINED
        status = {"status_code": "unset" if is_root else "error" if failed else "ok"}
        spans.append(
            {
                "name": f"{operation} {label[operation]}",
                "kind": "internal",
                "parent": {"trace_id": None if is_root else trace, "span_id": None if is_root else root},
                "start_time": start + begin * 10**6,
                "end_time": start + end * 10**6,
                "status": status | {"description": _DECLINED if failed else None},
                "context": {"trace_id": trace, "span_id": root if is_root else 0x1A2B3C4D5E6F7000 + number},
                "attributes": attributes,
                "resource": resource,
            }
        )
    return {"spans": spans, "final_output": _TRIP}


_SUPPORT: tuple[tuple[int, str, dict[str, Any]], ...] = (
    # (seconds, event type, event data)
    (0, "user_message", {"text": "The nightly invoice export failed again"}),
    (40, "tool_call", {"tool": "read_file", "path": "billing/export.py"}),
    (130, "error_encountered", {"error": "UnicodeEncodeError: 'ascii' codec can't encode character 'é'"}),
    (300, "decision_made", {"decision": "write the CSV as UTF-8 with a byte-order mark"}),
    (545, "tool_call", {"tool": "run_tests", "exit_code": 0}),
    (600, "task_completed", {"task": "invoice export"}),
)


def _agentlog() -> list[dict[str, Any]]:
    """A log in agentlog's own JSON lines: a support bot that hits an encoding error."""
    session, start = _id("support-bot"), datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    head: dict[str, Any] = {"type": "session", "id": session, "agent": "support-bot"}
    lines = [head | {"summary": "Fixed the nightly invoice export", "metadata": {"model": "gpt-4o-mini"}}]
    for number, (seconds, kind, data) in enumerate(_SUPPORT):
        event = {"type": "event", "id": _id(f"support-bot:{number}"), "session_id": session, "event_type": kind}
        lines.append(event | {"event_data": data, "timestamp": _at(start, seconds)})
    return lines


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def _lines(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)


def write_sample_logs(folder: str | os.PathLike[str]) -> list[Path]:
    """Write one small log per supported format into ``folder``.

    The four files are described in this module's docstring: a Claude Code
    transcript, a Codex CLI rollout, an OpenTelemetry (any-agent) trace and an
    agentlog JSON-lines log, with 6 to 12 records and one failure each. The
    content is fixed, so calling this again rewrites the same bytes.

    Args:
        folder: Where to write; created (with its parents) if missing. Files of
            the same names are overwritten; nothing else in it is touched.

    Returns:
        The four files, in that order: Claude Code, Codex, OpenTelemetry,
        agentlog JSON lines.

    Raises:
        ValidationError: ``folder`` is not a path, or it is an existing file.

    Example:
        >>> import tempfile
        >>> from agentlog import Store
        >>> from agentlog.io import import_logs, write_sample_logs
        >>> folder = tempfile.mkdtemp()
        >>> [path.parent.name for path in write_sample_logs(folder)]
        ['-home-dev-shop-api', '13', 'otel', 'agentlog']
        >>> with Store.memory(embedder=None) as store:
        ...     report = import_logs(store, folder)
        >>> report.sessions_created, report.events_inserted, report.error_events
        (4, 35, 4)
    """
    if isinstance(folder, bytes) or not isinstance(folder, str | os.PathLike):
        raise ValidationError(
            f"folder must be a path (str or pathlib.Path), got {type(folder).__name__}",
            field="folder",
            value=repr(folder)[:80],
        )
    root = Path(folder).expanduser()
    if root.exists() and not root.is_dir():
        raise ValidationError(f"folder {str(root)!r} exists and is not a folder", field="folder", value=str(root))
    claude_id, claude = _claude_code()
    codex_id, codex = _codex()
    codex_file = f"rollout-2026-01-13T14-05-00-{codex_id}.jsonl"
    return [
        _write(root / "claude" / "projects" / "-home-dev-shop-api" / f"{claude_id}.jsonl", _lines(claude)),
        _write(root / "codex" / "sessions" / "2026" / "01" / "13" / codex_file, _lines(codex)),
        _write(root / "otel" / "trip-planner_trace.json", json.dumps(_otel(), indent=2, ensure_ascii=False) + "\n"),
        _write(root / "agentlog" / "support-bot.jsonl", _lines(_agentlog())),
    ]

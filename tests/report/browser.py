"""A small driver for Debian's headless chromium over the DevTools protocol, on a pipe.

Chromium is started with ``--remote-debugging-pipe``: it reads protocol commands
from file descriptor 3 and writes responses and events to descriptor 4, each
message JSON terminated by a NUL byte. No websocket, no port, no third-party
package, and no browser download: only ``/usr/bin/chromium``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
)


def find_chromium() -> str:
    """The chromium binary; fails (does not skip) when it is missing, with the fix."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        raise AssertionError(
            "chromium is not installed; the report's browser test needs Debian's chromium: apt-get install -y chromium"
        )
    return found


class ProtocolError(RuntimeError):
    """Chromium answered a command with an error, or went away."""


@dataclass
class PageLog:
    """What the page did: console messages, uncaught exceptions, log entries, network requests."""

    console: list[tuple[str, str]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Everything that counts as an error."""
        return (
            [f"console.{kind}: {text}" for kind, text in self.console if kind in {"error", "assert"}]
            + [f"exception: {text}" for text in self.exceptions]
            + [f"log {level}: {text}" for level, text in self.log if level == "error"]
        )


class Chromium:
    """One headless chromium process with a fresh profile, driven over the DevTools pipe."""

    def __init__(self, profile: Path, *, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        to_child_read, self._to_child = os.pipe()
        self._from_child, from_child_write = os.pipe()
        self.stderr_path = profile / "chromium-stderr.log"
        profile.mkdir(parents=True, exist_ok=True)

        def descriptors() -> None:  # runs in the child: the protocol wants fds 3 and 4
            os.dup2(to_child_read, 3)
            os.dup2(from_child_write, 4)

        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile / 'profile'}", "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                preexec_fn=descriptors,
                pass_fds=(3, 4),
            )
        os.close(to_child_read)
        os.close(from_child_write)

    # -- protocol ------------------------------------------------------------

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise ProtocolError(f"chromium closed the pipe; see {self.stderr_path}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)  # type: ignore[no-any-return]

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send a command and wait for its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise ProtocolError(f"{method}: {reply['error']}")
                return reply.get("result", {})  # type: ignore[no-any-return]
            self._events.append(reply)

    def wait_for_event(self, method: str, timeout: float) -> dict[str, Any]:
        """Wait for an event of this kind (or return one already received)."""
        for event in self._events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._receive(deadline)
            self._events.append(event)
            if event.get("method") == method:
                return event

    def drain(self) -> None:
        """Read the events already sent without waiting."""
        while True:
            ready, _, _ = select.select([self._from_child], [], [], 0.05)
            if not ready and b"\0" not in self._buffer:
                return
            self._events.append(self._receive(time.monotonic() + self.timeout))

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event received so far."""
        return list(self._events)

    def close(self) -> None:
        """Close the browser (politely, then for good) and the pipes."""
        try:
            if self.process.poll() is None:
                self.call("Browser.close")
        except (ProtocolError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    """One tab of a :class:`Chromium`, with Runtime, Log, Page and Network events enabled."""

    def __init__(self, browser: Chromium, width: int = 1280, height: int = 900) -> None:
        self.browser = browser
        targets = browser.call("Target.getTargets")["targetInfos"]
        target = next(t["targetId"] for t in targets if t["type"] == "page")
        self.session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(f"{domain}.enable")
        self.resize(width, height)

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.call(method, params, self.session)

    def resize(self, width: int, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def open(self, url: str, timeout: float = 60.0) -> None:
        """Navigate and wait for the load event."""
        self.call("Page.navigate", {"url": url})
        self.browser.wait_for_event("Page.loadEventFired", timeout)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (by value; promises awaited)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise ProtocolError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 30.0) -> Any:
        """Poll a JavaScript expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.1)

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page (the viewport is stretched to the content's height)."""
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        self.resize(1280, min(int(size["height"]) + 1, 16_000))
        shot = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def log(self) -> PageLog:
        """What the page logged and requested so far."""
        self.browser.drain()
        log = PageLog()
        for event in self.browser.events:
            params = event.get("params", {})
            method = event.get("method")
            if method == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                log.console.append((params.get("type", ""), text))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                log.exceptions.append(str(details.get("exception", {}).get("description") or details.get("text")))
            elif method == "Log.entryAdded":
                entry = params.get("entry", {})
                log.log.append((entry.get("level", ""), f"{entry.get('text', '')} {entry.get('url', '')}"))
            elif method == "Network.requestWillBeSent":
                log.requests.append(params.get("request", {}).get("url", ""))
        return log

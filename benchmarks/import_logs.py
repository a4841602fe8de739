"""Log import benchmark: one large Claude Code transcript through ``agentlog.io.import_logs``.

Writes a synthetic Claude Code transcript of about ``--mb`` MB (prompts, replies,
tool calls and tool results of a few hundred bytes to 20 KB, as long sessions
have them), then prints, for this machine and in one run:

(a) the baseline: ``json.loads`` of every line, the least any importer does;
(b) ``import_logs`` of the file into an empty store (parse, checks, Arrow
    conversion, one transaction): MB/s, events/s, the ratio to (a), and the
    peak memory it added (resident set size, in MB and as a multiple of the
    file's size);
(c) ``import_logs`` of the same file again: unchanged, so it is not read;
(d) the same with ``reparse=True``: read and parsed again, every event found
    stored already (what (c) cost before unchanged files were left unread).

Each measurement runs in a fresh Python process, so its peak memory is its own;
the store has no embedder (the benchmark measures the import, not embedding).
Figures are printed, never asserted.

Usage: ``python benchmarks/import_logs.py [--mb 80] [--repeat 2]``
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = ("the", "a", "test", "failed", "passed", "fix", "order", "api", "build", "file", "line", "error", "value")


def text(rng: random.Random, size: int) -> str:
    """About ``size`` characters of words."""
    words: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)


def write_transcript(path: Path, megabytes: float, seed: int = 7) -> int:
    """A Claude Code transcript of about ``megabytes`` MB; returns its line count."""
    rng = random.Random(seed)
    session = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    parent: str | None = None
    written = lines = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < megabytes * 1e6:
            own = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            at = (start + timedelta(seconds=lines * 3)).isoformat().replace("+00:00", "Z")
            base: dict[str, Any] = {"parentUuid": parent, "sessionId": session, "uuid": own, "timestamp": at}
            base |= {"cwd": "/home/dev/app", "version": "2.0.1", "gitBranch": "main", "isSidechain": False}
            kind = lines % 4
            tool_id = f"toolu_{lines // 4:08d}"
            if kind == 0:
                record = {**base, "type": "user", "message": {"role": "user", "content": text(rng, 300)}}
            elif kind == 1:
                use = {"type": "tool_use", "id": tool_id, "name": "Bash", "input": {"command": text(rng, 80)}}
                message = {"id": f"msg_{lines:08d}", "role": "assistant", "model": "claude-sonnet-4-5"}
                message |= {"content": [{"type": "text", "text": text(rng, 400)}, use]}
                message["usage"] = {"input_tokens": rng.randint(100, 9000), "output_tokens": rng.randint(10, 900)}
                record = {**base, "type": "assistant", "message": message}
            elif kind == 2:
                output = {"type": "tool_result", "tool_use_id": tool_id, "content": text(rng, rng.randint(200, 20000))}
                output["is_error"] = rng.random() < 0.05
                record = {**base, "type": "user", "message": {"role": "user", "content": [output]}}
            else:
                message = {"id": f"msg_{lines:08d}", "role": "assistant", "model": "claude-sonnet-4-5"}
                message["content"] = [{"type": "text", "text": text(rng, 600)}]
                record = {**base, "type": "assistant", "message": message}
            line = json.dumps(record, ensure_ascii=False) + "\n"
            handle.write(line)
            written += len(line.encode("utf-8"))
            parent = own
            lines += 1
    return lines


def peak_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(step: str, log: Path, store_path: Path) -> dict[str, float]:
    """One measurement, in this (fresh) process: wall seconds and the peak memory the step added."""
    from agentlog import Store
    from agentlog.io import import_logs

    before = peak_mb()
    if step == "parse":
        start = time.perf_counter()
        with log.open("rb") as handle:
            count = sum(1 for line in handle if json.loads(line) is not None)
        return {"seconds": time.perf_counter() - start, "added_mb": peak_mb() - before, "events": count}
    with Store(store_path, embedder=None) as store:
        before = peak_mb()
        start = time.perf_counter()
        report = import_logs(store, log, progress=False, reparse=step == "reparse")
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "added_mb": peak_mb() - before, "events": report.events_inserted}


def measure(step: str, log: Path, store_path: Path) -> dict[str, float]:
    """Run :func:`child` in a fresh process and return what it printed."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, str(log), str(store_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=80.0, help="size of the transcript (default 80 MB)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each step (the best counts)")
    parser.add_argument("--child", nargs=3, metavar=("STEP", "LOG", "STORE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, log, store = args.child
        print(json.dumps(child(step, Path(log), Path(store))))
        return
    if args.mb <= 0 or args.repeat < 1:
        parser.error("--mb must be positive and --repeat at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / f"{uuid.uuid4()}.jsonl"
        lines = write_transcript(log, args.mb)
        size_mb = log.stat().st_size / 1e6
        print(f"transcript: {size_mb:.1f} MB, {lines:,} lines")
        runs: dict[str, list[dict[str, float]]] = {"parse": [], "import": [], "again": [], "reparse": []}
        for n in range(args.repeat):  # alternate, so every step sees the same machine load
            store = Path(tmp) / f"store{n}"
            runs["parse"].append(measure("parse", log, store))
            runs["import"].append(measure("import", log, store))
            runs["again"].append(measure("import", log, store))
            runs["reparse"].append(measure("reparse", log, store))
        best = {step: min(found, key=lambda r: r["seconds"]) for step, found in runs.items()}
        heading = f"step (best of {args.repeat})"
        print(f"{heading:<44} {'wall s':>7} {'MB/s':>7} {'events/s':>10} {'peak +MB':>9}")
        labels = {
            "parse": "(a) json.loads of every line (baseline)",
            "import": "(b) import_logs into an empty store",
            "again": "(c) import_logs again (unchanged: not read)",
            "reparse": "(d) import_logs again, reparse=True",
        }
        for step, label in labels.items():
            result = best[step]
            rates = f"{size_mb / result['seconds']:>7.1f} {lines / result['seconds']:>10,.0f}"
            if step == "again":
                rates = f"{'-':>7} {'-':>10}"  # nothing was read: a rate would mean nothing
            print(f"{label:<44} {result['seconds']:>7.2f} {rates} {result['added_mb']:>9.0f}")
        ratio = best["import"]["seconds"] / best["parse"]["seconds"]
        print(
            f"(b) takes {ratio:.1f}x the time of (a); its peak memory is {best['import']['added_mb'] / size_mb:.1f}x "
            f"the file's size ({best['import']['events']:,.0f} events stored)"
        )


if __name__ == "__main__":
    main()

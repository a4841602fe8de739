"""Rewrite the committed demo sample: ``python -m agentlog.demo.write_sample`` from the root of a checkout.

Writes the sample (:mod:`agentlog.demo.sample`) to both of its committed
places, ``data/demo/`` and ``agentlog/demo/data/``, as one export copied
twice (so the two are byte for byte the same). It does nothing when both
copies already hold what the generator makes now (an export records when it
was made, so rewriting an up-to-date sample would only change that date);
``--force`` rewrites anyway, ``--check`` only says whether they are up to date
(exit status 1 if not).

Run it after a change to the generator or to the dataset format, then commit
both folders. Only earlier exports are replaced: a folder holding anything
else is refused.

Example:
    >>> import contextlib, io, tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     main(["--root", str(root), "--check"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    agentlog.errors.ValidationError: ... is not the root of an agentlog checkout (...)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from agentlog.demo.sample import generate_sample, read_sample, write_sample
from agentlog.errors import AgentlogError, ValidationError
from agentlog.io import is_dataset, read_dataset_manifest
from agentlog.io.dataset_manifest import MANIFEST_FILE

__all__ = ["SAMPLE_COPIES", "main", "sample_copies", "up_to_date"]

SAMPLE_COPIES = ("data/demo", "agentlog/demo/data")
"""Where the sample is committed, relative to the root of a checkout (the first is the top-level copy)."""


def sample_copies(root: str | Path) -> list[Path]:
    """The sample's folders in the checkout at ``root``.

    Raises:
        ValidationError: ``root`` is not the root of an agentlog checkout.

    Example:
        >>> [p.as_posix() for p in sample_copies(Path(__file__).parents[2])][0].endswith("data/demo")
        True
    """
    base = Path(root).expanduser().resolve()
    if not ((base / "pyproject.toml").is_file() and (base / "agentlog" / "demo").is_dir()):
        raise ValidationError(
            f"{base} is not the root of an agentlog checkout (no pyproject.toml and agentlog/demo/ there)",
            field="root",
            value=str(base),
        )
    return [base / relative for relative in SAMPLE_COPIES]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def up_to_date(copies: Sequence[Path]) -> str | None:
    """Why the copies are not up to date, or ``None`` when they are the same files and hold the generator's data.

    Example:
        >>> up_to_date(sample_copies(Path(__file__).parents[2])) is None
        True
    """
    first, *others = copies
    for folder in copies:
        if not is_dataset(folder):
            return f"{folder} holds no sample"
    files = _files(first)
    for folder in others:
        if _files(folder) != files:
            return f"{folder} is not the same as {first}"
    try:
        data = read_sample(first)
    except AgentlogError as exc:
        return f"{first} cannot be read: {exc}"
    expected = generate_sample()
    if not (data.sessions.equals(expected.sessions) and data.events.equals(expected.events)):
        return f"{first} is not what the generator makes now"
    return None


def _replace(source: Path, dest: Path) -> None:
    """Copy the export ``source`` to ``dest``, replacing an earlier export there (and nothing else)."""
    if dest.exists() and any(dest.iterdir()):
        if not is_dataset(dest):
            raise ValidationError(f"{dest} is not empty and is not an agentlog export: not replaced", field="dest")
        listed = {MANIFEST_FILE, *read_dataset_manifest(dest).files()}
        foreign = sorted(set(_files(dest)) - listed)
        if foreign:
            raise ValidationError(f"{dest} holds files the sample does not ({', '.join(foreign[:3])})", field="dest")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{dest.name}.sample-", dir=dest.parent))
    try:
        shutil.copytree(source, staged, dirs_exist_ok=True)
        staged.chmod(0o755)  # a folder of the checkout, not a private temporary one
        if dest.exists():
            aside = staged.with_name(staged.name + "-old")
            os.rename(dest, aside)
            os.rename(staged, dest)
            shutil.rmtree(aside)
        else:
            os.rename(staged, dest)
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Check or rewrite the committed sample; the exit status (0: up to date or written, 1: stale with ``--check``).

    Example:
        >>> import contextlib, io
        >>> out = io.StringIO()
        >>> with contextlib.redirect_stdout(out):
        ...     status = main(["--root", str(Path(__file__).parents[2]), "--check"])
        >>> status, out.getvalue().strip()
        (0, 'the demo sample is up to date')
    """
    parser = argparse.ArgumentParser(prog="python -m agentlog.demo.write_sample", description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".", help="the root of the agentlog checkout (default: the current folder)")
    parser.add_argument("--check", action="store_true", help="only check; exit status 1 if the sample is stale")
    parser.add_argument("--force", action="store_true", help="rewrite even if the sample is up to date")
    args = parser.parse_args(argv)
    copies = sample_copies(args.root)
    problem = up_to_date(copies)
    if args.check or (problem is None and not args.force):
        print("the demo sample is up to date" if problem is None else f"the demo sample is stale: {problem}")
        return 0 if problem is None else 1
    with tempfile.TemporaryDirectory(prefix="agentlog-sample-") as scratch:
        written = write_sample(Path(scratch) / "demo")
        for folder in copies:
            _replace(written.path, folder)
    rows = written.rows
    print(
        f"wrote {rows['sessions']} sessions and {rows['events']:,} events ({written.bytes / 1e6:.2f} MB of Parquet) "
        f"to {', '.join(str(p) for p in copies)}"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover - the module's command line
    try:
        sys.exit(main())
    except AgentlogError as error:
        sys.exit(f"error: {error}")

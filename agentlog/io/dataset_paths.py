"""Paths of datasets: where an export may go, and which files an import may read.

Export destinations (:func:`prepare_destination` / :func:`install`):

* a path that does not exist (its parent folders are created);
* an empty folder;
* an earlier agentlog export: a folder with a valid ``manifest.json`` and no
  file the manifest does not list. It is replaced: the new export is
  renamed into place and only then are the old export's own files deleted.

Anything else (a file, a folder with other content) is refused before
anything is written, and nothing that is not ours is ever deleted. The new
dataset is written to a hidden temporary folder beside the destination
(``.<name>.agentlog-export-*``) and renamed into place, so the destination is
either absent, the previous export, or the complete new one. (Replacing an
earlier export takes two renames; a crash between them leaves the previous
export at ``.<name>.agentlog-old-*`` and no destination, never half a
dataset.)

Import sources (:func:`resolve_source` / :func:`member`): the folder is
resolved, and every file the manifest names must resolve (symlinks included)
to a file inside it.

Example:
    >>> import tempfile
    >>> dest = prepare_destination(Path(tempfile.mkdtemp()) / "backup")
    >>> dest.previous is None
    True
"""

from __future__ import annotations

import contextlib
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io.dataset_manifest import MANIFEST_FILE, read_dataset_manifest

_FSYNC_THREADS = 16

__all__ = ["Destination", "fsync_tree", "install", "member", "prepare_destination", "resolve_source", "staging_folder"]


@dataclass(frozen=True, slots=True)
class Destination:
    """Where an export goes.

    Attributes:
        path: The resolved destination folder.
        previous: ``None`` when nothing is there; else the relative paths of
            the files of the empty folder (``[]``) or earlier export found
            there, which :func:`install` removes after the swap.

    Example:
        >>> Destination(Path("/tmp/backup"), None).previous is None
        True
    """

    path: Path
    previous: list[str] | None


def _as_path(value: Any, field: str) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise ValidationError(f"{field} must be a path, got {type(value).__name__}", field=field)
    text = os.fspath(value)
    if not isinstance(text, str) or not text or "\x00" in text:
        raise ValidationError(f"{field} must be a non-empty path, got {text!r}", field=field)
    try:
        return Path(text).expanduser().resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise ValidationError(f"{field} {text} cannot be resolved: {_reason(exc)}", field=field, value=text) from None


def _reason(exc: BaseException) -> str:
    """A short reason for a failed file-system call (``strerror`` when there is one)."""
    if isinstance(exc, RuntimeError):
        return "a symlink loop"
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return "a file on the path is not a folder"
    return getattr(exc, "strerror", None) or str(exc)


def _unwritable(path: Path, exc: OSError) -> ValidationError:
    return ValidationError(
        f"export destination {path} cannot be written: {_reason(exc)}; choose another path",
        field="dest",
        value=str(path),
    )


def prepare_destination(dest: Any) -> Destination:
    """Check an export destination and say what is there.

    Raises:
        ValidationError: ``dest`` is a file, or a folder that is not empty and
            not an earlier agentlog export (or holds files that export did
            not write), or its parent folder cannot be created (a file is in
            the way, no permission, a symlink loop), or its path has a
            backslash (DuckDB would write elsewhere).

    Example:
        >>> import tempfile
        >>> prepare_destination(tempfile.mkdtemp()).previous
        []
    """
    path = _as_path(dest, "dest")
    if os.sep == "/" and "\\" in str(path):  # (on Windows it is the separator, and DuckDB's too)
        raise ValidationError(
            f"export destination {path} has a backslash in its path, which DuckDB's partitioned Parquet writer "
            "takes for a folder separator; choose a path without one",
            field="dest",
            value=str(path),
        )
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unwritable(path, exc) from None
        return Destination(path, None)
    if not path.is_dir():
        raise ValidationError(
            f"export destination {path} exists and is not a folder; choose a new path", field="dest", value=str(path)
        )
    if not any(path.iterdir()):
        return Destination(path, [])
    try:
        manifest = read_dataset_manifest(path)
    except ImportFormatError as exc:
        raise ValidationError(
            f"export destination {path} is not empty and is not an agentlog export ({exc}); "
            "choose a new or empty folder",
            field="dest",
            value=str(path),
        ) from None
    ours = {MANIFEST_FILE, *manifest.files()}
    foreign = []
    for folder, dirs, files in os.walk(path):
        for name in sorted(files) + [d for d in dirs if Path(folder, d).is_symlink()]:
            relative = Path(folder, name).relative_to(path).as_posix()
            if relative not in ours or Path(folder, name).is_symlink():
                foreign.append(relative)
    if foreign:
        raise ValidationError(
            f"export destination {path} is an agentlog export but also holds files it did not write "
            f"({', '.join(sorted(foreign)[:3])}{'...' if len(foreign) > 3 else ''}); "
            "move them or choose another folder",
            field="dest",
            value=str(path),
        )
    return Destination(path, sorted(ours))


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` (and itself) to disk.

    The calls run on a few threads: the file system commits concurrent
    flushes together, which is several times faster than one by one.

    Example:
        >>> import tempfile
        >>> fsync_tree(Path(tempfile.mkdtemp()))
    """
    paths: list[str] = []
    for current, _dirs, files in os.walk(folder):
        paths.extend(os.path.join(current, name) for name in files)
        paths.append(current)
    with ThreadPoolExecutor(max_workers=_FSYNC_THREADS) as pool:
        list(pool.map(_fsync_path, paths))


def _fsync_path(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_export(folder: Path, files: list[str]) -> None:
    """Delete the listed files of an old export, then the folders left empty."""
    for relative in files:
        (folder / relative).unlink(missing_ok=True)
    for current, _dirs, _files in os.walk(folder, topdown=False):
        with contextlib.suppress(OSError):  # not empty: something that is not ours appeared; leave it
            os.rmdir(current)


def staging_folder(dest: Destination) -> Path:
    """Create the empty, hidden folder beside ``dest`` that an export is written into before :func:`install`.

    Unlike :func:`tempfile.mkdtemp` (mode 0700), the folder gets the permissions
    of any new folder (the process umask), so the installed dataset is as
    readable as one copied into place.

    Raises:
        ValidationError: The folder cannot be created there (read-only or
            special file system, no permission).

    Example:
        >>> import tempfile
        >>> staging = staging_folder(prepare_destination(Path(tempfile.mkdtemp()) / "out"))
        >>> staging.name.startswith(".out.agentlog-export-"), staging.is_dir()
        (True, True)
    """
    path = dest.path.parent / f".{dest.path.name}.agentlog-export-{uuid.uuid4().hex[:12]}"
    try:
        path.mkdir()
    except OSError as exc:
        raise _unwritable(dest.path, exc) from None
    return path


def install(tmp: Path, dest: Destination) -> None:
    """Rename the finished export ``tmp`` into place (see the module docstring).

    Example:
        >>> import tempfile
        >>> base = Path(tempfile.mkdtemp())
        >>> (base / "tmp").mkdir()
        >>> install(base / "tmp", prepare_destination(base / "out"))
        >>> (base / "out").is_dir()
        True
    """
    if dest.previous:
        aside = dest.path.with_name(f".{dest.path.name}.agentlog-old-{uuid.uuid4().hex[:12]}")
        os.rename(dest.path, aside)
        try:
            os.rename(tmp, dest.path)
        except BaseException:
            os.rename(aside, dest.path)
            raise
        _remove_export(aside, dest.previous)
    else:
        os.rename(tmp, dest.path)  # POSIX: replaces an empty folder, fails on a non-empty one
    _fsync_path(dest.path.parent)


def resolve_source(src: Any) -> Path:
    """Resolve a dataset folder given to an import.

    Raises:
        ValidationError: ``src`` is not a path, or cannot be resolved (a symlink loop).
        ImportFormatError: It does not exist or is not a folder.

    Example:
        >>> import tempfile
        >>> resolve_source(tempfile.mkdtemp()).is_dir()
        True
    """
    path = _as_path(src, "src")
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is not a folder"
        raise ImportFormatError(f"{what}: an agentlog export is a folder with a manifest.json", path=path)
    return path


def member(root: Path, relative: str) -> Path:
    """The file a manifest path names, refusing anything that leaves the dataset folder.

    Args:
        root: The resolved dataset folder.
        relative: A validated relative POSIX path from the manifest.

    Raises:
        ImportFormatError: The path (or a symlink on it) leads outside ``root``
            or into a loop, or the file is missing or not a regular file.

    Example:
        >>> import tempfile
        >>> member(Path(tempfile.mkdtemp()).resolve(), "sessions/part-0.parquet")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.errors.ImportFormatError: ...part-0.parquet: file listed in the manifest is missing
    """
    candidate = root.joinpath(*relative.split("/"))
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise ImportFormatError(f"file listed in the manifest cannot be read: {_reason(exc)}", path=candidate) from None
    if not resolved.is_relative_to(root):
        raise ImportFormatError(f"file leads outside the dataset folder (to {resolved})", path=candidate)
    try:
        os.stat(resolved)
    except FileNotFoundError:
        raise ImportFormatError("file listed in the manifest is missing", path=candidate) from None
    except OSError as exc:
        raise ImportFormatError(f"file listed in the manifest cannot be read: {_reason(exc)}", path=candidate) from None
    if not resolved.is_file():
        raise ImportFormatError("listed in the manifest but not a regular file", path=candidate)
    return resolved

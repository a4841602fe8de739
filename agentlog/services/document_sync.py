"""Finding and reading the files of a directory for ``DocumentIndexService.sync_directory``.

Path safety (DESIGN §8): the directory is resolved once (symlinks and ``..``
followed) and every file the glob yields is resolved too; a file whose real
path is not inside the resolved directory (a symlink pointing elsewhere, a
symlinked folder leading out) is skipped and reported, never read. The glob
itself must be relative and may not contain ``..``. Documents are stored
under their resolved path, so a file reached twice (through a link inside the
directory) is indexed once.

Files are read as UTF-8 (a leading byte order mark is dropped); a file that
is not valid UTF-8, or larger than
:data:`~agentlog.services.document_ops.MAX_CONTENT_BYTES`, is skipped and
reported. A document's title is its first heading, else its file name,
cleaned to one line (see :func:`~agentlog.services.document_ops.derived_title`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.regular_files import open_regular_file
from agentlog.services.document_ops import MAX_CONTENT_BYTES, PreparedDocument, derived_title, prepare_document

__all__ = ["SyncReport", "discover", "is_real_file", "load_documents", "resolve_root", "validate_glob"]


@dataclass(slots=True)
class SyncReport:
    """What :meth:`DocumentIndexService.sync_directory` did (paths are resolved file paths)."""

    root: str
    """The resolved directory."""
    added: list[str] = field(default_factory=list)
    """Files indexed for the first time."""
    changed: list[str] = field(default_factory=list)
    """Files whose content (or title) changed: chunks and vectors replaced."""
    unchanged: list[str] = field(default_factory=list)
    """Files with the same content as stored: nothing done."""
    removed: list[str] = field(default_factory=list)
    """Documents under the directory deleted with their vectors: their file no longer exists, is no
    longer a regular file at that path (now a symlink, or under one), or was skipped this time (it is
    then in :attr:`skipped` too), so the index never keeps content the folder no longer has."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """Files not indexed, with the reason (outside the directory, not UTF-8, too large, unreadable)."""

    def summary(self) -> str:
        """One line of counts.

        Example:
            >>> SyncReport("/docs", added=["/docs/a.md"]).summary()
            '/docs: 1 added, 0 changed, 0 unchanged, 0 removed, 0 skipped'
        """
        return (
            f"{self.root}: {len(self.added)} added, {len(self.changed)} changed, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.skipped)} skipped"
        )


def _path_text(path: Any) -> str:
    """``path`` as a non-blank ``str`` without NUL (``os.PathLike`` values are converted).

    Raises:
        ValidationError: If it is anything else (bytes, a PathLike giving bytes, blank, ...).
    """
    text = path
    if isinstance(path, os.PathLike):
        try:
            text = os.fspath(path)
        except TypeError:
            text = None
    if not isinstance(text, str) or not text.strip() or "\x00" in text:
        raise ValidationError(
            f"path must be a directory path (a str or os.PathLike giving a str), got {path!r}"[:200],
            field="path",
            value=repr(path)[:80],
        )
    return text


def resolve_root(path: Any) -> Path:
    """Resolve the directory to sync; it must exist.

    Raises:
        ValidationError: If ``path`` is not a ``str`` path, names an unknown
            user's home (``~name``), is not an existing directory, or resolves
            to a path that is not valid UTF-8 (no document could be stored under it).

    Example:
        >>> import tempfile
        >>> resolve_root(tempfile.mkdtemp()).is_dir()
        True
    """
    text = _path_text(path)
    try:
        candidate = Path(text).expanduser()
    except RuntimeError:  # ~name of an unknown user, or no home directory
        raise ValidationError(f"cannot expand the home directory in {text!r}", field="path", value=text) from None
    try:
        root = candidate.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        raise ValidationError(f"directory {text!r} does not exist", field="path", value=text) from None
    if not root.is_dir():
        raise ValidationError(f"{text!r} is not a directory", field="path", value=text)
    try:
        str(root).encode("utf-8")
    except UnicodeEncodeError:  # a name that is not UTF-8 on disk: no path under it can be stored
        raise ValidationError(
            f"directory {text!r} resolves to {str(root)!r}, which is not valid UTF-8; rename it to index its files",
            field="path",
            value=text,
        ) from None
    return root


def validate_glob(pattern: Any) -> str:
    """Check a glob pattern: relative, no ``..`` part, no NUL, and one :meth:`pathlib.Path.glob` accepts.

    Example:
        >>> validate_glob("**/*.md")
        '**/*.md'
        >>> validate_glob("../*.md")
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: glob '../*.md' must stay inside the directory: no '..' parts
    """
    if not isinstance(pattern, str) or not pattern.strip() or "\x00" in pattern:
        raise ValidationError(f"glob must be a pattern such as '**/*.md', got {pattern!r}"[:200], field="glob")
    pure = PurePath(pattern)
    if pure.is_absolute() or pattern.startswith(("/", "\\")) or pure.drive:
        raise ValidationError(f"glob {pattern!r} must be relative to the directory", field="glob", value=pattern)
    if ".." in pure.parts or ".." in pattern.replace("\\", "/").split("/"):
        raise ValidationError(
            f"glob {pattern!r} must stay inside the directory: no '..' parts", field="glob", value=pattern
        )
    _check_glob_syntax(pattern)
    return pattern


def _check_glob_syntax(pattern: str) -> None:
    """Let pathlib parse ``pattern`` (on a path that is not a directory, so nothing is listed).

    Raises:
        ValidationError: If pathlib rejects it (``"."``, ``"**.md"``: ``**`` must be a whole part).
    """
    try:
        next(iter(Path(os.devnull).glob(pattern)), None)
    except (ValueError, IndexError, NotImplementedError) as exc:
        reason = "it names no file" if isinstance(exc, IndexError) else str(exc) or type(exc).__name__
        raise ValidationError(
            f"glob {pattern!r} is not a valid file pattern such as '**/*.md': {reason}"[:300],
            field="glob",
            value=pattern,
        ) from None


def discover(root: Path, pattern: str) -> tuple[list[Path], list[tuple[str, str]]]:
    """The regular files under ``root`` matching ``pattern``, resolved and inside ``root``, sorted.

    Returns:
        ``(files, skipped)``, ``skipped`` holding ``(path, reason)`` pairs.
    """
    files: dict[Path, None] = {}
    skipped: list[tuple[str, str]] = []
    for candidate in sorted(root.glob(pattern)):
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # broken link, loop
            skipped.append((str(candidate), f"cannot be resolved: {type(exc).__name__}"))
            continue
        if not real.is_relative_to(root):
            skipped.append((str(candidate), f"resolves outside the directory (to {real})"))
            continue
        if real.is_file():
            files[real] = None
    return list(files), skipped


def is_real_file(path: str) -> bool:
    """Whether ``path`` is a regular file reached through no symlink (as :func:`discover` stores files).

    Example:
        >>> import os, tempfile
        >>> folder = os.path.realpath(tempfile.mkdtemp())
        >>> open(os.path.join(folder, "a.md"), "w").close()
        >>> os.symlink(os.path.join(folder, "a.md"), os.path.join(folder, "link.md"))
        >>> is_real_file(os.path.join(folder, "a.md")), is_real_file(os.path.join(folder, "link.md"))
        (True, False)
    """
    return os.path.isfile(path) and os.path.realpath(path) == path


def load_documents(
    paths: list[Path],
    *,
    namespace: str | None,
    document_type: str | None,
    stored: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[list[PreparedDocument], list[tuple[str, str]]]:
    """Read and validate files, and chunk those that changed (run in a worker thread).

    Args:
        paths: The files.
        namespace: Namespace given to the documents.
        document_type: Type given to the documents.
        stored: The stored rows of these paths (``EXISTING_BY_PATHS``, by path): a file whose content,
            title, type and namespace a row holds already is not chunked (indexing it is a no-op).

    Returns:
        ``(documents, skipped)``.
    """
    documents: list[PreparedDocument] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        try:
            data = _read_at_most(path, MAX_CONTENT_BYTES)
        except ImportFormatError:  # swapped for a FIFO or a device since it was found
            skipped.append((str(path), "not a regular file"))
            continue
        except OSError as exc:
            skipped.append((str(path), f"unreadable: {exc.strerror or type(exc).__name__}"))
            continue
        if data is None:
            skipped.append((str(path), f"larger than {MAX_CONTENT_BYTES} bytes"))
            continue
        try:
            content = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            skipped.append((str(path), "not UTF-8 text"))
            continue
        try:
            title = derived_title(content, path.name)
            document = prepare_document(str(path), title, content, document_type, None, namespace, chunk=False)
            if not document.same_as((stored or {}).get(document.file_path)):
                _ = document.chunks  # here, not on the writer's thread
            documents.append(document)
        except ValidationError as exc:
            skipped.append((str(path), str(exc)))
    return documents, skipped


def _read_at_most(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None when it holds more than ``limit`` (checked as read: it may grow).

    Raises:
        ImportFormatError: It is not a regular file (checked on the open file, see
            :func:`~agentlog.regular_files.open_regular_file`).
        OSError: It cannot be read.
    """
    with open_regular_file(path) as handle:
        if os.fstat(handle.fileno()).st_size > limit:
            return None
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None

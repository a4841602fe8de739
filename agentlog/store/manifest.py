"""The store manifest: a small JSON file that says what a directory holds.

``<store>/agentlog.json`` records the format, the schema version, the agentlog
version that last opened it, and the embedder whose vectors the store keeps.
It is rewritten atomically (write to a temporary file, then rename) so a crash
never leaves a half-written manifest. The schema version inside DuckDB
(``schema_migrations``) stays authoritative; the manifest lets tools and a
newer/older agentlog tell what a store is without opening DuckDB.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from agentlog.errors import NotAStoreError

__all__ = ["MANIFEST_NAME", "EmbedderInfo", "StoreManifest", "read_manifest", "write_manifest"]

MANIFEST_NAME = "agentlog.json"
"""File name of the manifest inside a store directory."""


class EmbedderInfo(BaseModel):
    """The embedder whose vectors a store holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """Stable embedder name, e.g. ``all-MiniLM-L6-v2-int8``."""
    dimension: int = Field(gt=0)
    """Vector dimension."""


class StoreManifest(BaseModel):
    """Contents of ``agentlog.json``."""

    model_config = ConfigDict(frozen=True, extra="allow")

    format: Literal["agentlog-store"] = "agentlog-store"
    """Always ``agentlog-store``."""
    schema_version: int = Field(ge=0)
    """The last migration applied."""
    agentlog_version: str
    """The agentlog version that last wrote the manifest."""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    """When the store was created."""
    embedder: EmbedderInfo | None = None
    """The embedder of the stored vectors, once something has been indexed."""
    rebuild_pending: bool = False
    """A rebuild of the vector index (``reindex``) started and may not have dropped the old vectors yet."""


def read_manifest(directory: Path) -> StoreManifest | None:
    """Read ``<directory>/agentlog.json``.

    Args:
        directory: The store directory.

    Returns:
        The manifest, or ``None`` when the file does not exist.

    Raises:
        NotAStoreError: When the file exists but is not a valid manifest.

    Example:
        >>> import tempfile
        >>> read_manifest(Path(tempfile.mkdtemp())) is None
        True
    """
    path = directory / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:  # a directory, unreadable, not UTF-8
        raise NotAStoreError(f"{path} is not a readable agentlog manifest: {exc}") from None
    try:
        return StoreManifest.model_validate(json.loads(text))
    except (ValueError, PydanticValidationError) as exc:
        raise NotAStoreError(f"{path} is not a valid agentlog manifest: {exc}") from None


def write_manifest(directory: Path, manifest: StoreManifest) -> None:
    """Write the manifest atomically (temporary file + rename + fsync).

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> write_manifest(d, StoreManifest(schema_version=1, agentlog_version="0.1.0"))
        >>> read_manifest(d).schema_version
        1
    """
    data = manifest.model_dump_json(indent=2)
    fd, tmp = tempfile.mkstemp(prefix=".agentlog-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, directory / MANIFEST_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

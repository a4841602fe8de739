"""Errors raised by embedders (defined in :mod:`agentlog.errors`, re-exported here)."""

from agentlog.errors import EmbedderConfigError, EmbedderError, ModelFileError

__all__ = ["EmbedderConfigError", "EmbedderError", "ModelFileError"]

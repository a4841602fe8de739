"""The kinds of ``index_tombstones`` rows: what a write op deleted, for the vector index to remove.

The write ops of the services write these kinds; :data:`agentlog.index.sources.TOMBSTONE_RULES` says
which vectors a tombstone of each kind removes. They live here, not in :mod:`agentlog.index.sources`,
because the index package imports the services: the services importing it back would be a cycle.

Example:
    >>> SESSION_TOMBSTONE, MEMORY_TOMBSTONE, DOCUMENT_TOMBSTONE
    ('session', 'memory', 'document')
"""

from __future__ import annotations

__all__ = ["DOCUMENT_TOMBSTONE", "MEMORY_TOMBSTONE", "SESSION_TOMBSTONE"]

SESSION_TOMBSTONE = "session"
"""The kind of a deleted session: removes its own vector and those of its events."""
MEMORY_TOMBSTONE = "memory"
"""The kind of a removed memory (all its rows): removes its vector."""
DOCUMENT_TOMBSTONE = "document"
"""The kind of a removed or rewritten document: removes its chunk vectors."""

"""agentlog: embedded, notebook-first memory for AI agents.

Sessions and their events live in DuckDB (the source of truth), embeddings in
LanceDB (a rebuildable index), all in one directory on this machine.

Example:
    >>> import asyncio, agentlog
    >>> async def main():
    ...     with agentlog.Store.memory() as store:
    ...         sessions = agentlog.SessionService(store)
    ...         s = await sessions.create_session(agent="claude")
    ...         await sessions.add_event(s["id"], "task_created", {"task_id": "1", "title": "Write docs"})
    ...         return len((await sessions.get_session(s["id"]))["events"])
    >>> asyncio.run(main())
    1
"""

from agentlog._version import __version__
from agentlog.errors import (
    AgentlogError,
    AlreadyExistsError,
    EmbedderConfigError,
    EmbedderError,
    EmbeddingMismatchError,
    ImportFormatError,
    IndexTimeoutError,
    InvalidTransitionError,
    ModelFileError,
    NotAStoreError,
    NotFoundError,
    SearchUnavailableError,
    SessionClosedError,
    StoreClosedError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
    ValidationError,
)
from agentlog.io import export, import_, import_logs
from agentlog.records import EventHit, EventRecord, SessionRecord
from agentlog.services import (
    AddEventsResult,
    DocumentIndexService,
    DocumentRecord,
    Lifecycle,
    MemoryRecord,
    MemoryService,
    SessionService,
    SyncReport,
    close_default_store,
    get_document_index_service,
    get_memory_service,
    get_session_service,
)
from agentlog.store import Store, default_store_path

__all__ = [
    "AddEventsResult",
    "AgentlogError",
    "AlreadyExistsError",
    "DocumentIndexService",
    "DocumentRecord",
    "EmbedderConfigError",
    "EmbedderError",
    "EmbeddingMismatchError",
    "EventHit",
    "EventRecord",
    "ImportFormatError",
    "IndexTimeoutError",
    "InvalidTransitionError",
    "Lifecycle",
    "MemoryRecord",
    "MemoryService",
    "ModelFileError",
    "NotAStoreError",
    "NotFoundError",
    "SearchUnavailableError",
    "SessionClosedError",
    "SessionRecord",
    "SessionService",
    "Store",
    "StoreClosedError",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "SyncReport",
    "ValidationError",
    "__version__",
    "close_default_store",
    "default_store_path",
    "export",
    "get_document_index_service",
    "get_memory_service",
    "get_session_service",
    "import_",
    "import_logs",
]

"""The documented async services."""

from agentlog.services.defaults import (
    close_default_store,
    get_document_index_service,
    get_memory_service,
    get_session_service,
)
from agentlog.services.document_service import DocumentIndexService
from agentlog.services.document_sql import DocumentRecord
from agentlog.services.document_sync import SyncReport
from agentlog.services.lifecycle import Lifecycle
from agentlog.services.memory_service import MemoryService
from agentlog.services.memory_sql import MemoryRecord
from agentlog.services.session_service import AddEventsResult, SessionService

__all__ = [
    "AddEventsResult",
    "DocumentIndexService",
    "DocumentRecord",
    "Lifecycle",
    "MemoryRecord",
    "MemoryService",
    "SessionService",
    "SyncReport",
    "close_default_store",
    "get_document_index_service",
    "get_memory_service",
    "get_session_service",
]

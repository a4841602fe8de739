"""The documented async services: sessions and events, memories, documents.

Each service is a thin async class over a :class:`~agentlog.Store` that validates its arguments and
then queues a write op or runs a read; its modules follow one pattern:

* ``*_service``: the public class (:class:`SessionService`, :class:`MemoryService`,
  :class:`DocumentIndexService`);
* ``*_ops``: the write ops, applied on the store's writer thread;
* ``*_sql``: the SQL text and the conversion of rows to records (``session_queries``: the session reads);
* helpers: argument checks (``event_batches``, ``json_columns``, ``memory_args``, ``namespaces``,
  ``lifecycle``), document chunking and directory sync (``chunking``, ``document_sync``), bulk loading
  (``import_ops``), and the process-wide services on the default store (``defaults``).
"""

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

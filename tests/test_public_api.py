"""The public surface is what agentlog.__all__ says, and nothing leaks."""

from __future__ import annotations

import inspect

import agentlog

EXPECTED = {
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
}


def test_all_is_pinned() -> None:
    assert set(agentlog.__all__) == EXPECTED
    for name in agentlog.__all__:
        assert hasattr(agentlog, name)


def test_every_public_name_is_documented() -> None:
    for name in agentlog.__all__:
        obj = getattr(agentlog, name)
        if name == "__version__":
            continue
        assert inspect.getdoc(obj), f"{name} has no docstring"
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                if not member.startswith("_") and callable(value):
                    assert inspect.getdoc(value), f"{name}.{member} has no docstring"


def test_errors_share_one_root_and_the_builtins() -> None:
    for name in agentlog.__all__:
        obj = getattr(agentlog, name)
        if inspect.isclass(obj) and issubclass(obj, Exception):
            assert issubclass(obj, agentlog.AgentlogError)
    assert issubclass(agentlog.NotFoundError, LookupError) and issubclass(agentlog.NotFoundError, ValueError)
    assert issubclass(agentlog.ValidationError, ValueError)
    assert issubclass(agentlog.InvalidTransitionError, ValueError)
    assert issubclass(agentlog.StoreLockedError, RuntimeError)
    assert issubclass(agentlog.IndexTimeoutError, TimeoutError)

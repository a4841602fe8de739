"""The documented async services."""

from agentlog.services.defaults import close_default_store, get_session_service
from agentlog.services.lifecycle import Lifecycle
from agentlog.services.session_service import AddEventsResult, SessionService

__all__ = ["AddEventsResult", "Lifecycle", "SessionService", "close_default_store", "get_session_service"]

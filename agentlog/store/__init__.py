"""The store: one directory with a DuckDB file, a LanceDB directory and a manifest."""

from agentlog.store.paths import default_store_path
from agentlog.store.store import Store, require_open_store

__all__ = ["Store", "default_store_path", "require_open_store"]

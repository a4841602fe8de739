"""The vector index: embeddings in LanceDB, kept up to date in the background.

Sessions, events, memories and document chunks are embedded; DuckDB stays the source of truth, and the
index can be rebuilt from it at any time.

* :mod:`agentlog.index.sources`: what is indexed, and from which DuckDB rows.
* :mod:`agentlog.index.texts`: the text each indexed row is embedded from.
* :mod:`agentlog.index.indexer`: the background indexer (watermarks, batches, recovery).
* :mod:`agentlog.index.text_vectors`: the indexer's cache of recently embedded texts.
* :mod:`agentlog.index.offers`: vectors computed elsewhere (an import), taken instead of embedding again.
* :mod:`agentlog.index.vectors`: the LanceDB tables and their maintenance.
* :mod:`agentlog.index.ann`: the ANN index: its parameters, and how many partitions a search probes.
* :mod:`agentlog.index.tail_floors`: where each table's unindexed tail starts.
* :mod:`agentlog.index.lance_filter`: LanceDB filter conditions built without pasting raw values.
* :mod:`agentlog.index.search`: vector, keyword and hybrid search.
* :mod:`agentlog.index.reindex`: rebuilding the index from DuckDB, with a progress bar.
"""

from agentlog.index.search import MODES, search_events, search_sessions

__all__ = ["MODES", "search_events", "search_sessions"]

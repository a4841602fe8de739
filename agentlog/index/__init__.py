"""The vector index: embeddings of sessions and events in LanceDB, kept up to date in the background.

* :mod:`agentlog.index.sources`: what is indexed, and from which text.
* :mod:`agentlog.index.indexer`: the background indexer (watermark, batches, recovery).
* :mod:`agentlog.index.vectors`: the LanceDB tables and their maintenance.
* :mod:`agentlog.index.ann`: the ANN index: its parameters, and how many partitions a search probes.
* :mod:`agentlog.index.tail_floors`: where each table's unindexed tail starts.
* :mod:`agentlog.index.search`: vector, keyword and hybrid search.
"""

from agentlog.index.search import MODES, search_events, search_sessions

__all__ = ["MODES", "search_events", "search_sessions"]

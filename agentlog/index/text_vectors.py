"""The vectors of recently embedded texts, so that a text logged again is not embedded again.

Agents repeat themselves: a status update, a retried command, the same
decision in the next session. In the demo dataset a third of the events repeat
another's type and data exactly; the indexer embeds batches of 256 rows, in
which 23% of the events repeat one before, and the last 1,024 distinct texts
hold 34% of them (2,462 of 7,313 rows).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder

__all__ = ["RECENT_TEXTS", "RecentTextVectors"]

RECENT_TEXTS = 1024
"""Distinct texts whose vectors are kept (1.5 MB at 384 dimensions)."""


class RecentTextVectors:
    """Embed texts through a cache of the last ``size`` distinct texts' vectors.

    One per indexer (so per embedder); used by the indexer's thread alone.

    Args:
        size: How many distinct texts to keep, least recently used dropped first.

    Example:
        >>> from agentlog.embeddings import FakeEmbedder
        >>> recent = RecentTextVectors()
        >>> first = recent.embed(FakeEmbedder(dimension=8), ["a", "b", "a"])
        >>> again = recent.embed(FakeEmbedder(dimension=8), ["b"])
        >>> first.shape, bool((first[0] == first[2]).all()), bool((again[0] == first[1]).all()), recent.hits
        ((3, 8), True, True, 2)
    """

    def __init__(self, size: int = RECENT_TEXTS) -> None:
        self.size = size
        self.hits = 0
        """Rows that took a known text's vector instead of a new embedding."""
        self._vectors: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The vectors of ``texts`` (one row each): known texts from the cache, the others from ``embedder``.

        Each distinct new text is embedded once, in one call; the vectors come back in the order of ``texts``.
        """
        distinct = list(dict.fromkeys(texts))
        new = [text for text in distinct if text not in self._vectors]
        found = {text: self._vectors[text] for text in distinct if text in self._vectors}
        if new:
            vectors = np.asarray(embedder.embed(new), dtype=np.float32)
            found.update((text, vector.copy()) for text, vector in zip(new, vectors, strict=True))  # not views
        self.hits += len(texts) - len(new)
        for text in distinct:  # most recently used last; the oldest go once there are more than ``size``
            self._vectors[text] = found[text]
            self._vectors.move_to_end(text)
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, embedder.dimension), np.float32)
        return np.stack([found[text] for text in texts])

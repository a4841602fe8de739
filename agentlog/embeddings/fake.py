"""A deterministic, model-free embedder for fast tests.

:class:`FakeEmbedder` hashes lowercased word tokens of any script (and, more lightly,
their character trigrams) into ``dimension`` signed buckets and L2-normalises the
result. Texts that share words get a high cosine, so "the relevant text ranks
first" holds in tests, and the vectors are the same in every process and run
(the hash is BLAKE2b, never Python's randomised ``hash()``). It needs no model,
no network and about 20 µs per short text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from agentlog.embeddings.base import BaseEmbedder, Vectors, l2_normalize
from agentlog.embeddings.calibration import Calibration
from agentlog.errors import ValidationError

__all__ = ["FAKE_CALIBRATION", "FakeEmbedder"]

#: Fitted by ``python -m agentlog.embeddings.calibrate --embedder fake`` on the
#: fit part of ``data/calibration_pairs.jsonl``. Word overlap is a crude signal
#: (held out: 54% of same_topic pairs >= 0.7, 82% of unrelated < 0.5), and 64
#: hash buckets add noise (unrelated texts reach cosine 0.2-0.3): in tests, rely
#: on ranking and on texts that share words with the query.
FAKE_CALIBRATION = Calibration(
    (
        (-1.0, 0.0),
        (0.0, 0.25),
        (0.149, 0.5),
        (0.169, 0.7),
        (1.0, 1.0),
    ),
    source="fake-hash-64 on calibration_pairs.jsonl (python -m agentlog.embeddings.calibrate)",
)

_WORD = re.compile(r"[^\W_]+(?:_[^\W_]+)*")  # letters and digits of any script, joined by underscores
_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into",
        "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "with",
    }
)  # fmt: skip
_TRIGRAM_WEIGHT = 0.1


@lru_cache(maxsize=1 << 16)
def _bucket(feature: str, dimension: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimension, (1.0 if (value >> 63) & 1 else -1.0)


def _features(text: str) -> Iterable[tuple[str, float]]:
    for word in _WORD.findall(text.lower()):
        parts = word.split("_")
        words = [word, *parts] if len(parts) > 1 else [word]
        for token in words:
            if token in _STOPWORDS:
                continue
            yield "w:" + token, 1.0
            padded = f"<{token}>"
            for i in range(len(padded) - 2):
                yield "c:" + padded[i : i + 3], _TRIGRAM_WEIGHT


class FakeEmbedder(BaseEmbedder):
    """Feature-hashing embedder: deterministic, instant, no model.

    Args:
        dimension: Number of hash buckets (and vector length), at least 8.

    Attributes:
        name: ``"fake-hash-<dimension>"``.
        dimension: The vector length.
        calibration: :data:`FAKE_CALIBRATION`.

    Example:
        >>> emb = FakeEmbedder()
        >>> q, a, b = emb.embed(["database migration", "ran the database migration",
        ...                      "user prefers dark mode"])
        >>> bool(q @ a > q @ b)
        True
        >>> q, a, b = emb.embed(["миграция базы", "запустил миграцию базы", "тёмная тема"])
        >>> bool(q @ a > q @ b)
        True
    """

    def __init__(self, dimension: int = 64) -> None:
        if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 8:
            raise ValidationError(
                "FakeEmbedder dimension must be an integer >= 8",
                field="dimension",
                value=repr(dimension),
            )
        self.dimension = dimension
        self.name = f"fake-hash-{dimension}"
        self.calibration = FAKE_CALIBRATION

    def _embed(self, texts: list[str]) -> Vectors:
        out = np.zeros((len(texts), self.dimension), dtype=np.float64)
        for row, text in enumerate(texts):
            vector = out[row]
            for feature, weight in _features(text):
                index, sign = _bucket(feature, self.dimension)
                vector[index] += sign * weight
            if not vector.any():  # no word at all: one fixed feature keeps the row unit-length
                index, sign = _bucket("e:", self.dimension)
                vector[index] = sign
        return l2_normalize(out)

"""Embedders: turn text into vectors for semantic search, offline by default.

* :class:`Embedder` is the protocol a store needs (``name``, ``dimension``,
  ``calibration``, ``embed``); :class:`BaseEmbedder` adds conveniences.
* :class:`MiniLMEmbedder` is the default: all-MiniLM-L6-v2 (int8 ONNX, 384-d),
  shipped on PyPI, verified by checksum, run by onnxruntime without torch.
* :class:`OpenAIEmbedder` uses ``text-embedding-3-small`` (``agentlog[openai]``).
* :class:`FakeEmbedder` is deterministic and model-free, for tests.
* :func:`resolve_embedder` picks one: argument > ``AGENTLOG_EMBEDDER`` > default.

**Similarity.** Searches report a ``similarity`` in [0, 1] whose thresholds mean
the same with every embedder: 0.7 = clearly the same topic, 0.5 = loosely
related, below 0.5 = unrelated. Each embedder's :class:`Calibration` maps its
raw cosine onto that scale; the knots are fitted on a hand-written set of
labelled agent-log pairs (:mod:`agentlog.embeddings.fitting`) and pinned in
the embedder's module, with the command that reproduces them.

Importing this package imports numpy only; onnxruntime, tokenizers and httpx
load when first needed.

Example:
    >>> from agentlog.embeddings import resolve_embedder
    >>> emb = resolve_embedder("fake")
    >>> vectors = emb.embed(["database migration", "dark mode"])
    >>> vectors.shape
    (2, 64)
"""

from agentlog.embeddings.base import BaseEmbedder, Embedder, Vectors
from agentlog.embeddings.calibration import Calibration
from agentlog.embeddings.errors import EmbedderConfigError, EmbedderError, ModelFileError
from agentlog.embeddings.fake import FakeEmbedder
from agentlog.embeddings.fitting import (
    CalibrationPair,
    evaluate_calibration,
    fit_calibration,
    load_calibration_pairs,
)
from agentlog.embeddings.minilm import MiniLMEmbedder
from agentlog.embeddings.openai import OpenAIEmbedder
from agentlog.embeddings.registry import (
    available_embedders,
    create_embedder,
    register_embedder,
    resolve_embedder,
)

__all__ = [
    "BaseEmbedder",
    "Calibration",
    "CalibrationPair",
    "Embedder",
    "EmbedderConfigError",
    "EmbedderError",
    "FakeEmbedder",
    "MiniLMEmbedder",
    "ModelFileError",
    "OpenAIEmbedder",
    "Vectors",
    "available_embedders",
    "create_embedder",
    "evaluate_calibration",
    "fit_calibration",
    "load_calibration_pairs",
    "register_embedder",
    "resolve_embedder",
]

"""The embedder seam: what a store needs from anything that turns text into vectors.

An :class:`Embedder` has a stable ``name`` (recorded in every store it indexes),
a ``dimension``, a :class:`~agentlog.embeddings.calibration.Calibration` from raw
cosine to the documented ``similarity``, and ``embed(texts)`` returning
L2-normalised float32 rows, so the cosine of two vectors is their dot product.

Embedders must be safe to call from several threads at once: a store embeds in
a background indexer thread while the caller's thread embeds a query.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from agentlog.embeddings.calibration import Calibration
from agentlog.errors import EmbedderError, ValidationError

__all__ = ["BaseEmbedder", "Embedder", "Vectors", "check_texts", "l2_normalize"]

Vectors = npt.NDArray[np.float32]
"""A ``(n, dimension)`` float32 matrix of L2-normalised rows (or one such row)."""


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors.

    Attributes:
        name: Stable id recorded in stores, e.g. ``"all-MiniLM-L6-v2-int8"``.
            Two embedders with the same name must produce the same vectors.
        dimension: Length of every vector.
        calibration: Maps this embedder's raw cosine to ``similarity``.

    Example:
        >>> from agentlog.embeddings import FakeEmbedder
        >>> isinstance(FakeEmbedder(), Embedder)
        True
    """

    name: str
    dimension: int
    calibration: Calibration

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed texts; returns a ``(len(texts), dimension)`` float32 matrix.

        Rows are L2-normalised and in the order of ``texts``. An empty input
        gives a ``(0, dimension)`` matrix. Must be thread-safe.
        """
        ...


class BaseEmbedder(ABC):
    """Conveniences shared by agentlog's embedders; subclasses implement :meth:`_embed`.

    :meth:`embed` validates the input, handles the empty case and checks the
    shape of what :meth:`_embed` returns.

    Example:
        >>> from agentlog.embeddings import FakeEmbedder
        >>> FakeEmbedder().embed_query("hello world").shape
        (64,)
    """

    name: str
    dimension: int
    calibration: Calibration

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed texts into a ``(len(texts), dimension)`` float32 matrix of unit rows.

        Args:
            texts: The texts, in the order the rows should come back.

        Returns:
            The vectors, one row per text.

        Raises:
            ValidationError: ``texts`` is a bare string, not a sequence, or holds a non-string.
            EmbedderError: :meth:`_embed` returned a matrix of the wrong shape.

        Example:
            >>> from agentlog.embeddings import FakeEmbedder
            >>> FakeEmbedder().embed(["a", "b"]).shape
            (2, 64)
        """
        items = check_texts(texts)
        if not items:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._embed(items)
        if vectors.shape != (len(items), self.dimension):  # a subclass's bug
            raise EmbedderError(
                f"embedder {self.name!r} returned shape {vectors.shape}, expected {(len(items), self.dimension)}"
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        """Embed one text; returns a 1-d vector of length ``dimension``.

        Args:
            text: The query (or any single text).

        Returns:
            The unit vector.

        Example:
            >>> from agentlog.embeddings import FakeEmbedder
            >>> float(round((FakeEmbedder().embed_query("x") ** 2).sum(), 5))
            1.0
        """
        if not isinstance(text, str):
            raise ValidationError(
                f"a query must be a string, not {type(text).__name__}",
                field="text",
                value=repr(text)[:80],
            )
        vector: Vectors = self.embed([text])[0]
        return vector

    @abstractmethod
    def _embed(self, texts: list[str]) -> Vectors:
        """Embed a non-empty, validated list of texts."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dimension={self.dimension})"


def check_texts(texts: Sequence[str]) -> list[str]:
    """Validate a batch of texts and return it as a list.

    Args:
        texts: A sequence of strings (not a bare string).

    Returns:
        The texts as a list.

    Raises:
        ValidationError: ``texts`` is a string or not iterable, or an element is
            not a string or not valid Unicode (a lone surrogate: no tokenizer or
            API takes it).

    Example:
        >>> check_texts(("a", "b"))
        ['a', 'b']
    """
    if isinstance(texts, (str, bytes)):
        raise ValidationError(
            "embed() takes a sequence of texts, not a single string: use embed([text])",
            field="texts",
            value=repr(texts)[:80],
        )
    try:
        items = list(texts)
    except TypeError:  # None, a number: not a sequence at all
        raise ValidationError(
            f"embed() takes a sequence of texts, not {type(texts).__name__}",
            field="texts",
            value=repr(texts)[:80],
        ) from None
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ValidationError(
                f"texts[{i}] must be a string, not {type(item).__name__}",
                field=f"texts[{i}]",
                value=repr(item)[:80],
            )
        if not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValidationError(
                    f"texts[{i}] is not valid Unicode text (lone surrogate at position {exc.start})",
                    field=f"texts[{i}]",
                    value=repr(item)[:80],
                ) from None
    return items


def l2_normalize(matrix: npt.NDArray[np.floating]) -> Vectors:
    """Scale each row to unit length (zero rows stay zero); returns float32.

    Args:
        matrix: A 2-d array.

    Returns:
        The normalised float32 matrix.

    Example:
        >>> l2_normalize(np.array([[3.0, 4.0]])).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """
    values = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    normalized: Vectors = (values / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)
    return normalized

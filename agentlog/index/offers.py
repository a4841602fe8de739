"""Vectors computed elsewhere, offered to the indexer so that rows are not embedded again.

An import of a dataset that carries vectors (``agentlog export --with-vectors``)
offers them to the target store's indexer (:meth:`~agentlog.index.indexer.Indexer.offer_vectors`)
before it writes the rows. When the indexer later reaches a row, it takes the
offered vector instead of calling the embedder, but only when the row's id
and the text it would embed are exactly those the vector was computed from.
The caller checks that the embedders have the same name and dimension; with
that, an offer can never attach a wrong vector: a row whose text differs (the
store already had it with other content, or another agentlog builds texts
differently) is embedded as usual.

An offer lives until the indexer has passed the change number its rows were
written at (:meth:`~agentlog.index.indexer.Indexer.retire_offer`), so vectors
of rows the import skipped (already stored) do not stay in memory.

Example:
    >>> import uuid
    >>> table = pa.table({
    ...     "id": pa.array([uuid.UUID(int=1).bytes], pa.uuid()),
    ...     "text": ["hello"],
    ...     "vector": pa.array([[0.5, 0.5]], pa.list_(pa.float32())),
    ... })
    >>> offer = VectorOffer({"events": table}, dimension=2)
    >>> offer.rows
    {'events': 1}
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from agentlog.errors import ValidationError

__all__ = ["OFFER_COLUMNS", "VectorOffer"]

OFFER_COLUMNS = ("id", "text", "vector")
"""Columns of an offered table: ``id`` (UUID), ``text`` (what was embedded), ``vector`` (float32 list)."""


class _Offered:
    """One source's offered vectors: position by id (16 bytes), the texts, the matrix."""

    __slots__ = ("matrix", "positions", "texts")

    def __init__(self, positions: dict[bytes, int], texts: pa.StringArray, matrix: npt.NDArray[np.float32]) -> None:
        self.positions = positions
        self.texts = texts
        self.matrix = matrix


class VectorOffer:
    """Precomputed vectors by source, waiting for the indexer to reach their rows.

    Args:
        vectors: By source name (``sessions``, ``events``...), a table with
            :data:`OFFER_COLUMNS`: ids unique, no nulls, every vector of
            ``dimension`` finite float32 values.
        dimension: The dimension of the store's embedder.

    Raises:
        ValidationError: A table lacks a column, has the wrong types, nulls,
            repeated ids, or vectors of another length or with non-finite values.

    Example:
        >>> VectorOffer({}, dimension=4).rows
        {}
    """

    def __init__(self, vectors: Mapping[str, pa.Table], dimension: int) -> None:
        self.dimension = dimension
        self._sources = {name: _prepare(name, table, dimension) for name, table in vectors.items()}
        self.taken = dict.fromkeys(self._sources, 0)
        """Vectors rows have taken so far, by source."""
        self.retire_after: int | None = None
        """Set by the indexer: drop the offer once every source it covers is indexed up to this change."""

    @property
    def sources(self) -> frozenset[str]:
        """The sources this offer has vectors for.

        Example:
            >>> VectorOffer({}, dimension=4).sources
            frozenset()
        """
        return frozenset(self._sources)

    @property
    def rows(self) -> dict[str, int]:
        """How many vectors are still on offer, by source.

        Example:
            >>> VectorOffer({}, dimension=4).rows
            {}
        """
        return {name: len(offered.positions) for name, offered in self._sources.items()}

    def take(
        self,
        source: str,
        ids: Sequence[str],
        texts: Sequence[str],
        out: npt.NDArray[np.float32],
        found: npt.NDArray[np.bool_],
    ) -> int:
        """Fill ``out[i]`` for every row ``i`` not yet ``found`` whose id and text match an offered vector.

        Each offered vector is used at most once: it is removed from the
        offer whether its text matched or not (a row is indexed once per
        change; a later change has a text of its own).

        Args:
            source: The source the rows come from.
            ids: The rows' ids (UUID strings, as the index stores them).
            texts: The texts the indexer would embed.
            out: The rows' vectors, ``(len(ids), dimension)``, filled in place.
            found: Which rows have a vector already; updated in place.

        Returns:
            How many rows were filled.

        Example:
            >>> table = pa.table({"id": pa.array([uuid.UUID(int=1).bytes], pa.uuid()), "text": ["hi"],
            ...     "vector": pa.array([[1.0, 0.0]], pa.list_(pa.float32()))})
            >>> offer = VectorOffer({"events": table}, dimension=2)
            >>> out, found = np.zeros((1, 2), np.float32), np.zeros(1, bool)
            >>> offer.take("events", [str(uuid.UUID(int=1))], ["hi"], out, found), out[0].tolist()
            (1, [1.0, 0.0])
        """
        offered = self._sources.get(source)
        if offered is None or not offered.positions:
            return 0
        filled = 0
        for i, (row_id, text) in enumerate(zip(ids, texts, strict=True)):
            if found[i]:
                continue
            position = offered.positions.pop(uuid.UUID(row_id).bytes, None)
            if position is None or offered.texts[position].as_py() != text:
                continue
            out[i] = offered.matrix[position]
            found[i] = True
            filled += 1
        self.taken[source] += filled
        return filled


def _prepare(name: str, table: Any, dimension: int) -> _Offered:
    if not isinstance(table, pa.Table):
        raise ValidationError(f"vectors of {name} must be a pyarrow Table, got {type(table).__name__}", field=name)
    missing = [c for c in OFFER_COLUMNS if c not in table.column_names]
    if missing:
        raise ValidationError(f"vectors of {name} lack columns {missing}", field=name)
    ids, texts, vectors = (table.column(c) for c in OFFER_COLUMNS)
    if not isinstance(ids.type, pa.UuidType):
        raise ValidationError(f"vectors of {name}: id must be a UUID column, got {ids.type}", field=f"{name}.id")
    if not pa.types.is_string(texts.type):
        raise ValidationError(f"vectors of {name}: text must be a string column, got {texts.type}", field=name)
    kind = vectors.type
    if not (pa.types.is_list(kind) or pa.types.is_fixed_size_list(kind)) or kind.value_type != pa.float32():
        raise ValidationError(f"vectors of {name}: vector must be a list of float32, got {kind}", field=name)
    for column, label in ((ids, "id"), (texts, "text"), (vectors, "vector")):
        if column.null_count:
            raise ValidationError(f"vectors of {name}: {label} has nulls", field=f"{name}.{label}")
    array = vectors.combine_chunks()
    if table.num_rows and not pc.all(pc.equal(pc.list_value_length(array), dimension)).as_py():
        raise ValidationError(f"vectors of {name} must all have {dimension} values", field=f"{name}.vector")
    values = array.flatten()
    if values.null_count or (len(values) and not pc.all(pc.is_finite(values)).as_py()):
        raise ValidationError(f"vectors of {name} must hold finite numbers", field=f"{name}.vector")
    keys = pa.chunked_array([c.storage for c in ids.chunks], type=pa.binary(16)).to_pylist()
    positions = {key: i for i, key in enumerate(keys)}
    if len(positions) != len(keys):
        raise ValidationError(f"vectors of {name} repeat an id", field=f"{name}.id")
    matrix = np.asarray(values, dtype=np.float32).reshape(-1, dimension)
    return _Offered(positions, texts.combine_chunks(), matrix)

"""Calibration: from an embedder's raw cosine to the documented ``similarity`` score.

agentlog promises one meaning for ``similarity`` whatever the embedder:

* ``>= 0.7``: clearly the same topic (the guide's default search threshold),
* ``0.5 - 0.7``: loosely related,
* ``< 0.5``: unrelated.

Raw cosines do not keep that promise: a small local model gives 0.4-0.6 for a
short query against the summary it should find, another model 0.8. So every
embedder carries a :class:`Calibration`, a monotone piecewise-linear map whose
knots are measured on a labelled set of pairs (see
:mod:`agentlog.embeddings.calibrate`). Search results carry both the calibrated
``similarity`` and the raw ``cosine``.
"""

from __future__ import annotations

import itertools
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from agentlog.errors import ValidationError

__all__ = ["Calibration"]


@dataclass(frozen=True)
class Calibration:
    """A non-decreasing piecewise-linear map from raw cosine to ``similarity`` in [0, 1].

    The map is defined by knots ``(cosine, similarity)`` with strictly increasing
    cosines and non-decreasing similarities in [0, 1]. Between knots it is linear;
    below the first knot it is the first similarity, above the last the last one,
    so the result is always in [0, 1]. ``NaN`` maps to 0.

    Attributes:
        knots: The ``(cosine, similarity)`` points.
        source: Where the knots come from (a measurement, a publication).

    Example:
        >>> cal = Calibration(((-1.0, 0.0), (0.2, 0.5), (0.4, 0.7), (1.0, 1.0)))
        >>> cal(0.3)
        0.6
        >>> round(cal.cosine_threshold(0.7), 9)
        0.4
    """

    knots: tuple[tuple[float, float], ...]
    source: str = ""

    def __post_init__(self) -> None:
        try:
            knots = tuple((float(x), float(y)) for x, y in self.knots)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                "calibration knots must be (cosine, similarity) number pairs",
                field="knots",
                value=repr(self.knots)[:200],
            ) from exc
        if len(knots) < 2:
            raise ValidationError("a calibration needs at least two knots", field="knots", value=repr(knots))
        xs = [x for x, _ in knots]
        ys = [y for _, y in knots]
        if not all(math.isfinite(v) for v in xs + ys):
            raise ValidationError("calibration knots must be finite", field="knots", value=repr(knots))
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise ValidationError(
                "calibration knot cosines must be strictly increasing",
                field="knots",
                value=repr(xs),
            )
        if any(b < a for a, b in itertools.pairwise(ys)):
            raise ValidationError(
                "calibration knot similarities must be non-decreasing",
                field="knots",
                value=repr(ys),
            )
        if ys[0] < 0.0 or ys[-1] > 1.0:
            raise ValidationError(
                "calibration knot similarities must lie in [0, 1]",
                field="knots",
                value=repr(ys),
            )
        object.__setattr__(self, "knots", knots)

    @classmethod
    def identity(cls) -> Calibration:
        """The map ``similarity = cosine`` clamped to [0, 1].

        For custom embedders whose raw cosines already follow the thresholds.

        Returns:
            The identity calibration.

        Example:
            >>> Calibration.identity()(0.42)
            0.42
        """
        return cls(((0.0, 0.0), (1.0, 1.0)), source="identity: similarity = cosine in [0, 1]")

    @property
    def cosines(self) -> npt.NDArray[np.float64]:
        """The knot cosines, as an array.

        Example:
            >>> Calibration.identity().cosines.tolist()
            [0.0, 1.0]
        """
        return np.array([x for x, _ in self.knots], dtype=np.float64)

    @property
    def similarities(self) -> npt.NDArray[np.float64]:
        """The knot similarities, as an array.

        Example:
            >>> Calibration.identity().similarities.tolist()
            [0.0, 1.0]
        """
        return np.array([y for _, y in self.knots], dtype=np.float64)

    @overload
    def __call__(self, cosine: float) -> float: ...

    @overload
    def __call__(self, cosine: npt.ArrayLike) -> npt.NDArray[np.float64]: ...

    def __call__(self, cosine: npt.ArrayLike) -> float | npt.NDArray[np.float64]:
        """Map raw cosine(s) to similarity; a scalar gives a float, an array an array.

        Args:
            cosine: One cosine or an array of them.

        Returns:
            The similarity (or similarities), each in [0, 1].

        Raises:
            ValidationError: ``cosine`` is not a number or an array of numbers.

        Example:
            >>> Calibration.identity()([-0.5, 0.25, 2.0]).tolist()
            [0.0, 0.25, 1.0]
        """
        try:
            values = np.asarray(cosine, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValidationError(
                f"cosine must be a number or an array of numbers, not {type(cosine).__name__}",
                field="cosine",
                value=repr(cosine)[:80],
            ) from None
        xs, ys = np.asarray(self.cosines), np.asarray(self.similarities)
        mapped = np.interp(values, xs, ys)
        # Rounding can carry an interpolated value one ulp past its segment's end knot (for a cosine
        # just below a knot): keep each value inside its segment's range, so the map stays monotone.
        segment = np.clip(np.searchsorted(xs, values, side="right") - 1, 0, len(xs) - 2)
        mapped = np.clip(mapped, ys[segment], ys[segment + 1])
        mapped = np.where(np.isnan(mapped), 0.0, mapped)
        if mapped.ndim == 0:
            return float(mapped)
        return mapped

    def cosine_threshold(self, similarity: float) -> float:
        """The smallest cosine whose similarity is at least ``similarity``.

        Lets a vector store filter on raw cosine (or distance) for a ``threshold``
        given as similarity: ``calibration(c) >= s`` exactly when
        ``c >= cosine_threshold(s)``. Returns ``-inf`` when every cosine
        qualifies and ``inf`` when none does.

        Args:
            similarity: A similarity threshold.

        Returns:
            The matching raw cosine threshold.

        Raises:
            ValidationError: ``similarity`` is not a number, or is NaN.

        Example:
            >>> Calibration.identity().cosine_threshold(0.5)
            0.5
            >>> Calibration.identity().cosine_threshold(0.0)
            -inf
        """
        try:
            s = float(similarity)
        except (TypeError, ValueError):
            raise ValidationError(
                f"similarity threshold must be a number, not {type(similarity).__name__}",
                field="threshold",
                value=repr(similarity)[:80],
            ) from None
        if math.isnan(s):
            raise ValidationError("similarity threshold is NaN", field="threshold", value=s)
        knots = self.knots
        if s <= knots[0][1]:
            return -math.inf
        if s > knots[-1][1]:
            return math.inf
        for (x0, _), (x1, y1) in itertools.pairwise(knots):
            if y1 >= s:
                # The answer lies in (x0, x1]: bisect over the floats in between
                # (as ordered integers), so the result is exact for this very
                # map, rounding included.
                lo, hi = _ordered(x0), _ordered(x1)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if self(_unordered(mid)) >= s:
                        hi = mid
                    else:
                        lo = mid + 1
                return _unordered(lo)
        return math.inf  # pragma: no cover - unreachable: s <= last similarity

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for a store manifest).

        Returns:
            ``{"knots": [[cosine, similarity], ...], "source": ...}``.

        Example:
            >>> Calibration.identity().to_dict()["knots"]
            [[0.0, 0.0], [1.0, 1.0]]
        """
        return {"knots": [[x, y] for x, y in self.knots], "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """Rebuild a calibration written by :meth:`to_dict`.

        Args:
            data: The mapping.

        Returns:
            The calibration.

        Raises:
            ValidationError: ``data`` is not such a mapping, or its knots are invalid.

        Example:
            >>> cal = Calibration.identity()
            >>> Calibration.from_dict(cal.to_dict()) == cal
            True
        """
        try:
            knots: Sequence[Sequence[float]] = data["knots"]
            pairs = tuple((k[0], k[1]) for k in knots)
            source = str(data.get("source", ""))
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ValidationError(
                f"a calibration must be {{'knots': [[cosine, similarity], ...], 'source': ...}}: {exc!r}",
                field="calibration",
                value=repr(data)[:200],
            ) from None
        return cls(pairs, source=source)


def _ordered(x: float) -> int:
    """Map a float to an integer with the same order (adjacent floats differ by 1)."""
    bits = int(struct.unpack("<q", struct.pack("<d", x))[0])
    return bits if bits >= 0 else -(bits & 0x7FFF_FFFF_FFFF_FFFF)


def _unordered(key: int) -> float:
    """Inverse of :func:`_ordered`."""
    bits = key if key >= 0 else (-key) | -0x8000_0000_0000_0000
    (value,) = struct.unpack("<d", struct.pack("<q", bits))
    return float(value)

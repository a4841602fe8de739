"""Labelled pairs, and fitting and checking an embedder's calibration on them.

The data (``data/calibration_pairs.jsonl``) is hand-written in the domain of
agent work logs. Each line is a pair shaped like a real search: a short query
(3-8 words, "database migration schema changes", "UI theme preference")
against a session summary, an event text (``event_type: ...``) or a memory
(``key: value``), plus paraphrase pairs of two log lines. Labels:

* ``same_topic``: the text is what the query looks for (or a paraphrase);
* ``loosely_related``: a neighbouring subject (a migration query against a note
  about a slow index, one user preference against another);
* ``unrelated``: nothing a searcher would want for that query.

The pairs were drawn from 43 hand-written topics (each: 2-3 queries, 3-4 texts)
with hand-chosen links between neighbouring topics: every query against texts
of its own topic, of a linked topic and of an unlinked one, then every
loosely-related and suspicious pair relabelled by hand. ``group`` names the
query's topic; whole groups are held out for checking (:func:`split_pairs`).

:func:`fit_calibration` places the knots from each label's cosine distribution,
with the documented thresholds as the two decisions a search makes:

* the **0.7 knot** (default search threshold, "same topic?") at the cosine with
  the best balanced accuracy of same-topic pairs (at or above) against
  loosely-related and unrelated pairs (below, each weighted equally);
* the **0.5 knot** ("related at all?") at the cosine with the best balanced
  accuracy of related pairs (same topic or loosely) against unrelated ones,
  keeping at least 95% of unrelated pairs below it and staying under the 0.7 knot;
* 0.25 at the median unrelated cosine, 0 at cosine -1, 1 at cosine 1, linear in
  between; each knot in the middle of the interval where its score is best.

When the labels' cosines overlap (a small model does not know "GitHub Actions"
is CI), no placement puts 95% of every label in its band: the 0.7 knot then
trades missed same-topic pairs against false ones evenly, and
:func:`evaluate_calibration` reports what was achieved.
Reproduce the pinned numbers with::

    python -m agentlog.embeddings.calibrate --embedder minilm
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from agentlog.embeddings.base import Embedder
from agentlog.embeddings.calibration import Calibration
from agentlog.errors import ValidationError

__all__ = [
    "LABELS",
    "CalibrationPair",
    "evaluate_calibration",
    "fit_calibration",
    "fit_knots",
    "load_calibration_pairs",
    "pair_cosines",
    "split_pairs",
]

LABELS = ("same_topic", "loosely_related", "unrelated")
DATA_FILE = Path(__file__).parent / "data" / "calibration_pairs.jsonl"
_BANDS = {"same_topic": (0.7, 1.01), "loosely_related": (0.5, 0.7), "unrelated": (-0.01, 0.5)}


@dataclass(frozen=True)
class CalibrationPair:
    """A labelled pair of texts.

    Attributes:
        query: The search query (or first text of a paraphrase pair).
        text: The stored text it is compared with.
        label: One of :data:`LABELS`.
        kind: ``"query"`` or ``"paraphrase"``.
        group: The topic the pair belongs to (for held-out splits).

    Example:
        >>> CalibrationPair("dark mode", "ui_theme: dark", "same_topic").label
        'same_topic'
    """

    query: str
    text: str
    label: str
    kind: str = "query"
    group: str = ""

    def __post_init__(self) -> None:
        for name in ("query", "text", "label", "kind", "group"):
            if not isinstance(getattr(self, name), str):
                raise ValidationError(
                    f"a calibration pair's {name} must be a string", field=name, value=repr(getattr(self, name))[:80]
                )
        if self.label not in LABELS:
            raise ValidationError(
                f"unknown pair label {self.label!r}; use one of {', '.join(LABELS)}",
                field="label",
                value=self.label,
            )


def load_calibration_pairs(path: str | Path | None = None) -> list[CalibrationPair]:
    """Read labelled pairs from a JSON-lines file (default: the shipped data set).

    Args:
        path: A ``.jsonl`` file with ``query``, ``text``, ``label`` and optionally
            ``kind`` and ``group`` on each line.

    Returns:
        The pairs, in file order.

    Raises:
        ValidationError: The file cannot be read as UTF-8, or a line is not a valid pair.

    Example:
        >>> len(load_calibration_pairs()) > 300
        True
    """
    source = Path(path) if path is not None else DATA_FILE
    try:
        lines = source.read_text(encoding="utf-8").split("\n")  # not splitlines(): JSON may hold U+2028
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{source}: cannot read calibration pairs: {exc}", field="path") from exc
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            pairs.append(
                CalibrationPair(
                    item["query"],
                    item["text"],
                    item["label"],
                    item.get("kind", "query"),
                    item.get("group", ""),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValidationError(f"{source}:{number}: bad calibration pair: {exc}", field="path") from exc
    return pairs


def split_pairs(
    pairs: Sequence[CalibrationPair], holdout: float = 0.3
) -> tuple[list[CalibrationPair], list[CalibrationPair]]:
    """Split pairs into (fit, held-out) by whole groups, deterministically.

    A group goes to the held-out part when the SHA-256 of its name, read as a
    fraction, is below ``holdout``, so the same texts never appear on both sides.

    Args:
        pairs: The pairs.
        holdout: Fraction of groups to hold out.

    Returns:
        ``(fit_pairs, held_out_pairs)``.

    Example:
        >>> fit, held = split_pairs(load_calibration_pairs())
        >>> {p.group for p in fit} & {p.group for p in held}
        set()
    """
    fit: list[CalibrationPair] = []
    held: list[CalibrationPair] = []
    for pair in pairs:
        digest = hashlib.sha256(pair.group.encode("utf-8")).digest()
        (held if int.from_bytes(digest[:8], "big") / 2**64 < holdout else fit).append(pair)
    return fit, held


def pair_cosines(embedder: Embedder, pairs: Sequence[CalibrationPair]) -> npt.NDArray[np.float64]:
    """The raw cosine of each pair (each distinct text is embedded once).

    Args:
        embedder: The embedder to measure.
        pairs: The pairs.

    Returns:
        One cosine per pair.

    Example:
        >>> from agentlog.embeddings import FakeEmbedder
        >>> pair_cosines(FakeEmbedder(), [CalibrationPair("a b", "a b", "same_topic")]).round(3)
        array([1.])
    """
    texts = sorted({t for p in pairs for t in (p.query, p.text)})
    index = {text: i for i, text in enumerate(texts)}
    vectors = embedder.embed(texts).astype(np.float64)
    left = vectors[[index[p.query] for p in pairs]]
    right = vectors[[index[p.text] for p in pairs]]
    return np.asarray((left * right).sum(axis=1), dtype=np.float64)


def _best(score: npt.NDArray[np.float64], grid: npt.NDArray[np.float64]) -> float:
    """The grid value in the middle of the first run of maximal ``score``."""
    first = int(np.argmax(score))
    last = first
    while last + 1 < len(score) and score[last + 1] == score[first]:
        last += 1
    return float((grid[first] + grid[last]) / 2)


def fit_knots(
    same: Iterable[float],
    loose: Iterable[float],
    unrelated: Iterable[float],
    *,
    coverage: float = 0.95,
    gap: float = 0.02,
) -> tuple[tuple[float, float], ...]:
    """Fit calibration knots from the raw cosines of each label (see module docs).

    Args:
        same: Cosines of ``same_topic`` pairs.
        loose: Cosines of ``loosely_related`` pairs.
        unrelated: Cosines of ``unrelated`` pairs.
        coverage: Least fraction of unrelated pairs kept below the 0.5 knot.
        gap: Least distance between the 0.5 and the 0.7 knots.

    Returns:
        Knots ``(cosine, similarity)``, rounded to 3 decimals.

    Raises:
        ValidationError: A label has no pairs.

    Example:
        >>> fit_knots([0.6, 0.7, 0.8], [0.35, 0.4, 0.45], [0.0, 0.1, 0.2])
        ((-1.0, 0.0), (0.1, 0.25), (0.275, 0.5), (0.525, 0.7), (1.0, 1.0))
    """
    if not 0.002 <= gap <= 0.2:
        raise ValidationError("gap must be between 0.002 and 0.2", field="gap", value=gap)
    s, lo_, u = (np.sort(np.clip(np.asarray(list(v), dtype=np.float64), -1, 1)) for v in (same, loose, unrelated))
    if min(len(s), len(lo_), len(u)) == 0:
        raise ValidationError("fitting a calibration needs pairs of every label", field="pairs")
    everything = np.concatenate([s, lo_, u])
    grid = np.linspace(everything.min() - gap, everything.max() + gap, 1201)

    def below(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.searchsorted(values, grid, side="left") / len(values)

    bs, bl, bu = below(s), below(lo_), below(u)
    # 0.7 knot: same topic (at or above) against the rest (below), labels weighted equally.
    t7 = _best((1 - bs) + (bl + bu) / 2, grid)
    # 0.5 knot: related at all (above) against unrelated (below), keeping `coverage`
    # of unrelated pairs below it, and `gap` under the 0.7 knot.
    score5 = ((1 - bs) + (1 - bl)) / 2 + bu
    feasible = (bu >= coverage) & (grid <= t7 - gap)
    t5 = _best(np.where(feasible, score5, -np.inf), grid) if feasible.any() else t7 - gap
    # Keep -1 < 0.25-knot < t5 < t7 < 1 at least `gap` apart, whatever the data.
    t7 = min(max(t7, -0.99 + 2 * gap), 0.99)
    t5 = max(min(t5, t7 - gap), -0.99 + gap)
    mid_u = max(min(float(np.median(u)), t5 - gap), -0.99)
    xs = [round(x, 3) for x in (-1.0, mid_u, t5, t7, 1.0)]
    return tuple(zip(xs, (0.0, 0.25, 0.5, 0.7, 1.0), strict=True))


def fit_calibration(embedder: Embedder, pairs: Sequence[CalibrationPair]) -> Calibration:
    """Measure ``embedder`` on labelled pairs and fit its calibration.

    Args:
        embedder: The embedder to calibrate.
        pairs: Labelled pairs (e.g. the fit part of :func:`split_pairs`).

    Returns:
        The fitted calibration.

    Example:
        >>> from agentlog.embeddings import FakeEmbedder
        >>> fit, _ = split_pairs(load_calibration_pairs())
        >>> cal = fit_calibration(FakeEmbedder(), fit)
        >>> cal(1.0)
        1.0
    """
    cosines = pair_cosines(embedder, pairs)
    labels = np.array([p.label for p in pairs])
    knots = fit_knots(
        cosines[labels == "same_topic"],
        cosines[labels == "loosely_related"],
        cosines[labels == "unrelated"],
    )
    return Calibration(knots, source=f"{embedder.name} fitted on {len(pairs)} labelled pairs")


def evaluate_calibration(calibration: Calibration, cosines: npt.ArrayLike, labels: Sequence[str]) -> dict[str, float]:
    """How often calibrated similarity lands in each label's documented band.

    Bands: ``same_topic`` >= 0.7, ``loosely_related`` in [0.5, 0.7),
    ``unrelated`` < 0.5. Also reports the looser ``same_topic >= 0.5`` and
    ``unrelated < 0.7`` (no false hit at the default threshold).

    Args:
        calibration: The calibration to check.
        cosines: Raw cosines, one per pair.
        labels: The pairs' labels.

    Returns:
        Fractions keyed by band name, plus ``accuracy`` over all pairs.

    Example:
        >>> r = evaluate_calibration(Calibration.identity(), [0.9, 0.1], ["same_topic", "unrelated"])
        >>> r["accuracy"]
        1.0
    """
    sims = np.asarray(calibration(np.asarray(cosines, dtype=np.float64)), dtype=np.float64)
    labs = np.asarray(labels)
    result: dict[str, float] = {}
    hits = np.zeros(len(labs), dtype=bool)
    for label, (lo, hi) in _BANDS.items():
        mask = labs == label
        inside = (sims >= lo) & (sims < hi)
        hits |= mask & inside
        result[f"{label} in band"] = float(inside[mask].mean()) if mask.any() else float("nan")
    same, unrelated = labs == "same_topic", labs == "unrelated"
    result["same_topic >= 0.5"] = float((sims[same] >= 0.5).mean()) if same.any() else np.nan
    result["unrelated < 0.7"] = float((sims[unrelated] < 0.7).mean()) if unrelated.any() else np.nan
    result["accuracy"] = float(hits.mean()) if len(labs) else float("nan")
    return result

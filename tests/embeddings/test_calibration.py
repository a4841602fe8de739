"""Calibration: validation, monotonicity, clamping, inverse; fitting and the labelled pairs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentlog.embeddings import Calibration, FakeEmbedder, fit_calibration, load_calibration_pairs
from agentlog.embeddings.fake import FAKE_CALIBRATION
from agentlog.embeddings.fitting import LABELS, evaluate_calibration, fit_knots, split_pairs
from agentlog.embeddings.minilm import MINILM_CALIBRATION
from agentlog.embeddings.openai import OPENAI_CALIBRATION
from agentlog.errors import ValidationError

SHIPPED = [MINILM_CALIBRATION, FAKE_CALIBRATION, OPENAI_CALIBRATION, Calibration.identity()]
cosines = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False)


@st.composite
def calibrations(draw: st.DrawFn) -> Calibration:
    xs = sorted(set(draw(st.lists(st.floats(-1, 1, allow_nan=False), min_size=2, max_size=7))))
    if len(xs) < 2:
        xs = [-1.0, 1.0]
    ys = sorted(draw(st.lists(st.floats(0, 1, allow_nan=False), min_size=len(xs), max_size=len(xs))))
    return Calibration(tuple(zip(xs, ys, strict=True)))


@given(calibrations(), cosines, cosines)
def test_monotone_and_clamped(cal: Calibration, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert 0.0 <= cal(lo) <= cal(hi) <= 1.0


@given(calibrations(), st.lists(cosines, max_size=20))
def test_vectorised_matches_scalar(cal: Calibration, values: list[float]) -> None:
    mapped = cal(np.array(values))
    assert mapped.shape == (len(values),)
    assert mapped.tolist() == [cal(v) for v in values]


@given(calibrations(), st.floats(0, 1, allow_nan=False), cosines)
def test_cosine_threshold_is_the_exact_inverse(cal: Calibration, similarity: float, cosine: float) -> None:
    threshold = cal.cosine_threshold(similarity)
    assert (cal(cosine) >= similarity) == (cosine >= threshold)


@pytest.mark.parametrize("cal", SHIPPED, ids=lambda c: c.source.split()[0])
def test_shipped_calibrations_keep_the_documented_shape(cal: Calibration) -> None:
    assert cal(-1.0) == 0.0
    assert cal(1.0) == 1.0
    grid = np.linspace(-1, 1, 2001)
    assert np.all(np.diff(cal(grid)) >= 0)
    assert cal.cosine_threshold(0.5) < cal.cosine_threshold(0.7)


def test_nan_and_scalars() -> None:
    cal = Calibration.identity()
    assert cal(float("nan")) == 0.0
    assert isinstance(cal(0.3), float)
    assert cal(np.float32(2.0)) == 1.0
    assert cal.cosine_threshold(0.0) == -math.inf
    assert cal.cosine_threshold(1.5) == math.inf
    with pytest.raises(ValidationError):
        cal.cosine_threshold(float("nan"))


@pytest.mark.parametrize(
    "knots",
    [
        ((0.0, 0.0),),
        ((0.5, 0.1), (0.5, 0.2)),
        ((0.0, 0.3), (1.0, 0.2)),
        ((0.0, -0.1), (1.0, 1.0)),
        ((0.0, 0.0), (1.0, 1.1)),
        ((0.0, 0.0), (float("inf"), 1.0)),
        (("a", 0.0), (1.0, 1.0)),
    ],
)
def test_bad_knots_are_rejected(knots: tuple[tuple[float, float], ...]) -> None:
    with pytest.raises(ValidationError):
        Calibration(knots)


def test_round_trip_through_dict() -> None:
    assert Calibration.from_dict(MINILM_CALIBRATION.to_dict()) == MINILM_CALIBRATION


def test_fit_knots_on_separable_labels() -> None:
    rng = np.random.default_rng(0)
    same, loose, unrelated = rng.normal(0.7, 0.05, 200), rng.normal(0.45, 0.04, 200), rng.normal(0.1, 0.08, 200)
    cal = Calibration(fit_knots(same, loose, unrelated))
    report = evaluate_calibration(
        cal,
        np.concatenate([same, loose, unrelated]),
        ["same_topic"] * 200 + ["loosely_related"] * 200 + ["unrelated"] * 200,
    )
    assert report["same_topic in band"] >= 0.95
    assert report["unrelated in band"] >= 0.95
    assert report["loosely_related in band"] >= 0.9


@given(
    st.lists(cosines, min_size=1, max_size=30),
    st.lists(cosines, min_size=1, max_size=30),
    st.lists(cosines, min_size=1, max_size=30),
)
def test_fit_knots_always_gives_a_valid_calibration(
    same: list[float], loose: list[float], unrelated: list[float]
) -> None:
    knots = fit_knots(same, loose, unrelated)
    Calibration(knots)  # validates: increasing cosines, non-decreasing similarities in [0, 1]
    assert [y for _, y in knots] == [0.0, 0.25, 0.5, 0.7, 1.0]


def test_fit_knots_needs_every_label() -> None:
    with pytest.raises(ValidationError, match="every label"):
        fit_knots([0.5], [], [0.1])


def test_shipped_pairs_are_well_formed() -> None:
    pairs = load_calibration_pairs()
    assert len(pairs) >= 300
    assert {p.label for p in pairs} == set(LABELS)
    assert {p.kind for p in pairs} == {"query", "paraphrase"}
    assert all(p.query.strip() and p.text.strip() and p.group for p in pairs)
    queries = {p.query for p in pairs if p.kind == "query"}
    assert all(2 <= len(q.split()) <= 8 for q in queries)
    assert len({(p.query, p.text) for p in pairs}) == len(pairs), "no duplicate pairs"


def test_split_is_by_group_and_deterministic() -> None:
    pairs = load_calibration_pairs()
    fit, held = split_pairs(pairs)
    assert len(fit) + len(held) == len(pairs)
    assert {p.group for p in fit}.isdisjoint({p.group for p in held})
    assert 0.2 < len(held) / len(pairs) < 0.45
    assert split_pairs(pairs) == (fit, held)
    for label in LABELS:
        assert any(p.label == label for p in held)


def test_bad_pairs_file(tmp_path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"query": "a", "text": "b", "label": "same_topic"}\n{"query": "a", "label": "x"}\n')
    with pytest.raises(ValidationError, match=r"pairs\.jsonl:2"):
        load_calibration_pairs(path)


def test_fake_calibration_reproduces_from_the_data() -> None:
    fit, _ = split_pairs(load_calibration_pairs())
    assert fit_calibration(FakeEmbedder(), fit).knots == FAKE_CALIBRATION.knots


def test_monotone_next_to_a_knot_despite_rounding() -> None:
    """Found by hypothesis: interpolating just below a knot rounded one ulp past the knot's similarity."""
    cal = Calibration(((-0.578125, 0.0), (4.490485002553193e-215, 0.09927576329394763), (1.0, 1.0)))
    assert cal(0.0) <= cal(1.7523303030315396e-129)
    assert cal(np.array([0.0, 1.7523303030315396e-129])).tolist() == [cal(0.0), cal(1.7523303030315396e-129)]

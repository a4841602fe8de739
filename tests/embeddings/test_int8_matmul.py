"""The int8-activation rewrite: same arithmetic as a per-row reference, batch-invariant, faithful on the real model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from agentlog.embeddings import MiniLMEmbedder
from agentlog.embeddings.int8_matmul import ACTIVATION_LEVELS, quantize_activations, weight_only_int8_example


def run(model: Any, x: np.ndarray) -> np.ndarray:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"x": x})[0])


def reference(model: Any, x: np.ndarray) -> np.ndarray:
    """Per-row asymmetric 7-bit quantisation of x, int8 weights, fp32 scales: what the rewrite promises."""
    inits = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    weight = inits["W"].astype(np.int64)
    column_scale = inits["W_scale"].reshape(-1).astype(np.float64)
    flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
    low = np.minimum(flat.min(axis=1, keepdims=True), 0.0)
    high = np.maximum(flat.max(axis=1, keepdims=True), 0.0)
    row_scale = np.maximum(high - low, 1e-12) / ACTIVATION_LEVELS
    zero_point = np.round(-low / row_scale)
    quantised = np.clip(np.round(flat / row_scale) + zero_point, 0, 255)
    assert quantised.max() <= ACTIVATION_LEVELS  # 7 bits: two u8 x s8 products never overflow int16
    out = ((quantised - zero_point) @ weight) * column_scale * row_scale
    return out.reshape(*x.shape[:-1], weight.shape[1])


@pytest.fixture
def inputs() -> np.ndarray:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 5, 48)).astype(np.float32)
    x[1, 2, 7] = 40.0  # an outlier sets that row's scale and no other row's
    x[2, 0] = 0.0  # an all-zero row must not divide by zero
    return x


def test_rewritten_matmul_matches_the_per_row_reference(inputs: np.ndarray) -> None:
    original = weight_only_int8_example(rows=5, inputs=48, outputs=24)
    rewritten = weight_only_int8_example(rows=5, inputs=48, outputs=24)
    assert quantize_activations(rewritten) == 1
    ops = [node.op_type for node in rewritten.graph.node]
    assert "MatMul" not in ops and ops.count("MatMulIntegerToFloat") == 1
    assert not [node for node in rewritten.graph.node if "W" in node.input and node.op_type == "Cast"]  # no fp32 copy
    assert "W_scale" not in {init.name for init in rewritten.graph.initializer}
    onnx.checker.check_model(rewritten)

    got, fp32 = run(rewritten, inputs), run(original, inputs)
    assert got.shape == fp32.shape == (4, 5, 24)
    np.testing.assert_allclose(got, reference(original, inputs), rtol=1e-4, atol=1e-4)
    assert np.all(got[2, 0] == 0.0)
    # Quantisation error is small next to the values themselves (7-bit activations).
    assert np.abs(got - fp32).max() < 0.05 * np.abs(fp32).max()


def test_each_row_is_quantised_on_its_own(inputs: np.ndarray) -> None:
    model = weight_only_int8_example(rows=5, inputs=48, outputs=24)
    assert quantize_activations(model) == 1  # else the fp32 MatMul would be batch-invariant anyway
    batch = run(model, inputs)
    for item in range(len(inputs)):
        np.testing.assert_array_equal(run(model, inputs[item : item + 1])[0], batch[item])
    # The outlier in row (1, 2) did not coarsen the other rows of its batch item.
    calm = inputs.copy()
    calm[1, 2, 7] = 0.0
    np.testing.assert_array_equal(run(model, calm)[1, [0, 1, 3, 4]], batch[1, [0, 1, 3, 4]])


def test_extreme_values_do_not_saturate() -> None:
    """Weights and activations at their largest: the AVX2 u8 x s8 kernels saturate int16 sums above 7 bits."""
    model = weight_only_int8_example(rows=1, inputs=64, outputs=4)
    extreme = numpy_helper.from_array(np.full((64, 4), 127, np.int8), "W")
    for init in model.graph.initializer:
        if init.name == "W":
            init.CopyFrom(extreme)
    x = np.stack([np.full((1, 64), 5.0), np.full((1, 64), -5.0), np.linspace(-1, 7, 64)[None]]).astype(np.float32)
    expected = reference(model, x)
    fp32 = run(model, x)
    assert quantize_activations(model) == 1
    got = run(model, x)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    np.testing.assert_allclose(got, fp32, rtol=0.02)


def test_models_without_int8_weights_are_left_alone() -> None:
    weight = numpy_helper.from_array(np.ones((4, 3), np.float32), "W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])],
        "fp32",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    before = model.SerializeToString()
    assert quantize_activations(model) == 0
    assert model.SerializeToString() == before


@pytest.mark.model
def test_default_model_agrees_with_fp32_arithmetic() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from embedding import realistic_texts  # type: ignore[import-not-found]

    texts = realistic_texts(200)
    odd = ["fix login bug", "数据库迁移", "x" * 3000]
    int8, fp32 = MiniLMEmbedder(), MiniLMEmbedder(int8_activations=False)
    assert int8.int8_activations and not fp32.int8_activations
    cosines = np.sum(int8.embed(texts + odd) * fp32.embed(texts + odd), axis=1)
    assert cosines[: len(texts)].min() > 0.98
    assert cosines[: len(texts)].mean() > 0.99
    assert cosines[len(texts) :].min() > 0.95  # rare tokens (CJK, one letter repeated) drift a little more
    # The fp32 path is a different runtime, not the same one under another flag.
    assert not np.array_equal(int8.embed(texts[:3]), fp32.embed(texts[:3]))


def test_flag_is_validated() -> None:
    with pytest.raises(ValueError, match="int8_activations"):
        MiniLMEmbedder(int8_activations="yes")  # type: ignore[arg-type]

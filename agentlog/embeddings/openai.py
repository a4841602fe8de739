"""OpenAI embeddings (``text-embedding-3-small``), an optional online embedder.

Needs the ``openai`` extra for its HTTP client (``pip install 'agentlog[openai]'``,
which installs ``httpx``) and an API key. The key comes from the ``api_key``
argument or ``OPENAI_API_KEY``; the base URL from ``base_url`` or
``OPENAI_BASE_URL`` (default ``https://api.openai.com/v1``), so any
OpenAI-compatible server works.

Inputs go out in batches of at most 2,048 texts (the API's limit) and
250,000 UTF-8 bytes (see :data:`_MAX_BATCH_BYTES`), each text cut to 8,191
bytes (see :data:`_MAX_INPUT_BYTES`); 429 and 5xx answers and
network errors are retried with bounded exponential backoff (honouring
``Retry-After``), other errors (a bad URL, an undecodable body, a malformed
reply, a zero vector) raise :class:`~agentlog.embeddings.errors.EmbedderError`
with the server's message.
"""

from __future__ import annotations

import math
import numbers
import os
import random
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from agentlog.embeddings.base import BaseEmbedder, Vectors, l2_normalize
from agentlog.embeddings.calibration import Calibration
from agentlog.embeddings.errors import EmbedderConfigError, EmbedderError
from agentlog.errors import ValidationError
from agentlog.validation import validate_positive_int

__all__ = ["OPENAI_CALIBRATION", "OpenAIEmbedder"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
_MAX_BATCH = 2048
_MAX_INPUT_BYTES = 8191
"""Most UTF-8 bytes of one input: longer texts are cut (at a character boundary) to this.

The API refuses an input of more than 8,191 tokens, and fails the whole request with it. A byte-level BPE
token holds at least one byte (see :data:`_MAX_BATCH_BYTES`), so 8,191 bytes are never more tokens; for
English that keeps about 2,000 tokens. The store's own texts (at most 2,000 characters) are never cut.
"""
_MAX_BATCH_BYTES = 250_000
"""Most UTF-8 bytes of input per request.

The API allows 300,000 tokens summed over a request's inputs. OpenAI's
embedding models use a byte-level BPE tokenizer (``cl100k_base``), where every
token covers at least one byte, so a request's token count never exceeds its
UTF-8 byte count: 250,000 bytes stays under the limit for any script. A cap in
characters did not: CJK text runs at about one token per character, so
500,000 characters could be ~500,000 tokens. English text (~4 bytes a token)
gets ~60,000 tokens a request, which only costs extra requests on huge batches.
"""

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

    The key and every other argument are checked when the embedder is created,
    so a misconfiguration fails at startup and not in a background indexer.

    Args:
        model: ``text-embedding-3-small`` (default), ``-3-large`` or ``ada-002``.
        api_key: The key; default ``OPENAI_API_KEY``.
        base_url: API root; default ``OPENAI_BASE_URL`` or the OpenAI API.
        timeout: Seconds per request (connect, read, write), > 0.
        max_retries: Retries after a 429, a 5xx or a network error (0: none).
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
        ValidationError: An unknown model; a key that is not printable ASCII;
            a base URL that is not an ``http(s)://host...`` URL; ``timeout``
            not > 0; ``max_retries`` not an int >= 0; ``backoff`` or
            ``max_backoff`` not a number >= 0; ``batch_size`` not an int from
            1 to 2,048.

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
        _check_model(model)
        self.base_url = _check_base_url(base_url)
        self.timeout = _check_number("timeout", timeout, positive=True)
        self.max_retries = _check_count("max_retries", max_retries)
        self.backoff = _check_number("backoff", backoff)
        self.max_backoff = _check_number("max_backoff", max_backoff)
        self.batch_size = validate_positive_int(batch_size, "batch_size", maximum=_MAX_BATCH)
        self._api_key = _check_api_key(api_key)
        self._httpx = _import_httpx()
        self.model = model
        self.name = f"openai:{model}"
        self.dimension = _DIMENSIONS[model]
        self.calibration = OPENAI_CALIBRATION
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
            stop, size = start, 0
            while stop < len(texts) and stop - start < self.batch_size:
                size += len(texts[stop].encode("utf-8"))  # embed() has rejected lone surrogates
                if size > _MAX_BATCH_BYTES and stop > start:
                    break
                stop += 1
            # The API rejects empty strings; a space embeds as "no content".
            yield start, [_cut(text) if text.strip() else " " for text in texts[start:stop]]
            start = stop

    def _request(self, batch: list[str]) -> Vectors:
        payload = {"model": self.model, "input": batch, "encoding_format": "float"}
        attempt = 0
        while True:
            response, problem = self._post(payload)
            retry_after: float | None = None
            if response is not None:
                if response.status_code == 200:
                    return self._parse(response, len(batch))
                problem = self._retryable_status(response)
                retry_after = _retry_after(response)
            if attempt >= self.max_retries:
                raise EmbedderError(
                    f"OpenAI embeddings request to {self.base_url} failed after "
                    f"{attempt + 1} attempts; last error: {problem}"
                )
            time.sleep(self._delay(attempt, retry_after))
            attempt += 1

    def _post(self, payload: dict[str, Any]) -> tuple[Any, str]:
        """Send one request: ``(response, "")``, or ``(None, problem)`` after a retryable network error."""
        httpx = self._httpx
        try:
            return self._http().post("/embeddings", json=payload), ""
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
            # Our URL or request is at fault: retrying would fail the same way.
            raise EmbedderError(
                f"OpenAI embeddings request to {self.base_url} cannot be sent: {type(exc).__name__}: {exc}"
            ) from exc
        except httpx.TransportError as exc:  # timeouts, refused connections, resets
            return None, f"{type(exc).__name__}: {exc}"
        except httpx.HTTPError as exc:  # an undecodable body, too many redirects
            raise EmbedderError(
                f"OpenAI embeddings request to {self.base_url} failed with {type(exc).__name__}: {exc}"
            ) from exc

    def _retryable_status(self, response: Any) -> str:
        """Describe a non-200 answer; raise unless it is a 429 or a 5xx (worth retrying)."""
        problem = f"HTTP {response.status_code}: {_error_message(response)}"
        if response.is_redirect:  # not followed: a POST body would not survive every redirect
            problem += f" (redirected to {response.headers.get('location')}; set base_url to that address)"
        if response.status_code != 429 and response.status_code < 500:
            raise EmbedderError(
                f"OpenAI embeddings request to {self.base_url} failed with {problem}"
                + (" (check OPENAI_API_KEY)" if response.status_code == 401 else "")
            )
        return problem

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry ``attempt + 1``: exponential, jittered, capped."""
        delay = min(self.max_backoff, self.backoff * 2.0**attempt)
        delay *= 0.5 + random.random() / 2  # jitter, so parallel clients spread out
        if retry_after is not None:
            delay = min(self.max_backoff, max(delay, retry_after))
        return delay

    def _parse(self, response: Any, expected: int) -> Vectors:
        where = f"{self.base_url}/embeddings"
        try:
            items = response.json()["data"]
            indices = [item["index"] for item in items]
            matrix = np.array([item["embedding"] for item in items], dtype=np.float32)
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:
            # OverflowError: an integer too big for a float; RecursionError: JSON nested too deep.
            raise EmbedderError(f"unexpected response from {where}: {exc!r}") from exc
        if matrix.shape != (expected, self.dimension):
            raise EmbedderError(
                f"{where} returned vectors of shape {matrix.shape}, expected {(expected, self.dimension)}"
            )
        order = _input_order(indices, expected)
        if order is None:
            raise EmbedderError(
                f"{where} returned indices {indices[:10]!r}, expected each of 0..{expected - 1} once "
                "(the vectors cannot be matched to the texts)"
            )
        _check_usable(where, matrix)
        return matrix[order]


def _input_order(indices: list[Any], expected: int) -> list[int] | None:
    """The row order that follows the inputs, or ``None`` unless ``indices`` are exactly ``0..expected-1``."""
    if len(indices) != expected or not all(type(index) is int for index in indices):
        return None
    if sorted(indices) != list(range(expected)):
        return None
    return sorted(range(expected), key=indices.__getitem__)


def _check_usable(where: str, matrix: Vectors) -> None:
    """Raise unless every row has a finite, non-zero length (a cosine index needs a direction)."""
    norms = np.linalg.norm(matrix.astype(np.float64), axis=1)
    bad = np.flatnonzero(~(np.isfinite(norms) & (norms > 1e-12)))
    if bad.size:
        row = int(bad[0])
        kind = "an all-zero" if norms[row] == 0 else "an unusable (near-zero or non-finite)"
        raise EmbedderError(
            f"{where} returned {kind} vector for input {row} of the batch; a cosine index cannot use it"
        )


def _check_api_key(api_key: Any) -> str:
    """The key from ``api_key`` or ``OPENAI_API_KEY``, stripped; never echoed in an error."""
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
    if not isinstance(key, str) or not key.strip():
        raise EmbedderConfigError(
            "the OpenAI embedder needs an API key: set it with "
            "`export OPENAI_API_KEY=sk-...` or pass OpenAIEmbedder(api_key=...); "
            "or use the offline default with AGENTLOG_EMBEDDER=minilm"
        )
    key = key.strip()
    if not key.isascii() or not key.isprintable() or " " in key:
        raise ValidationError(
            "the OpenAI API key must be printable ASCII without spaces (it goes in an HTTP header)",
            field="api_key",
        )
    return key


def _check_model(model: Any) -> None:
    if model not in _DIMENSIONS:
        raise ValidationError(
            f"unknown OpenAI embedding model {model!r}; known: {', '.join(_DIMENSIONS)}",
            field="model",
            value=repr(model)[:80],
        )


def _check_base_url(base_url: Any) -> str:
    """The API root from ``base_url``, ``OPENAI_BASE_URL`` or the default, checked to be an http(s) URL."""
    if base_url:
        url, source = base_url, "base_url"
    elif os.environ.get("OPENAI_BASE_URL"):
        url, source = os.environ["OPENAI_BASE_URL"], "OPENAI_BASE_URL"
    else:
        return DEFAULT_BASE_URL
    if not isinstance(url, str) or not _is_http_url(url):
        raise ValidationError(
            f"{source} must be an http:// or https:// URL with a host and no spaces, "
            f"such as {DEFAULT_BASE_URL!r}; got {repr(url)[:80]}",
            field="base_url",
            value=repr(url)[:80],
        )
    return url.rstrip("/")


def _is_http_url(url: str) -> bool:
    if not url.isprintable() or any(char.isspace() for char in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _check_number(field: str, value: Any, *, positive: bool = False) -> float:
    """Return ``value`` as a float, checked to be finite and >= 0 (> 0 when ``positive``)."""
    number = _finite(value)
    if number is None or number < 0 or (positive and number == 0):
        raise ValidationError(
            f"{field} must be a finite number {'> 0' if positive else '>= 0'}, got {repr(value)[:80]}",
            field=field,
            value=repr(value)[:80],
        )
    return number


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _check_count(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"{field} must be an integer >= 0, got {repr(value)[:80]}",
            field=field,
            value=repr(value)[:80],
        )
    return value


def _import_httpx() -> Any:
    try:
        import httpx
    except ImportError as exc:
        raise EmbedderConfigError("the OpenAI embedder needs httpx: pip install 'agentlog[openai]'") from exc
    return httpx


def _error_message(response: Any) -> str:
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: JSON nested too deep
        message = response.text
    return str(message)[:300]


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _cut(text: str) -> str:
    """``text`` cut to :data:`_MAX_INPUT_BYTES` UTF-8 bytes, at a character boundary.

    Example:
        >>> len(_cut("é" * 5000).encode("utf-8")), _cut("short")
        (8190, 'short')
    """
    data = text.encode("utf-8")
    if len(data) <= _MAX_INPUT_BYTES:
        return text
    return data[:_MAX_INPUT_BYTES].decode("utf-8", errors="ignore")

"""The OpenAI embedder against local fakes (httpx.MockTransport and a real HTTP server): never the network."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import numpy as np
import pytest

from agentlog.embeddings import EmbedderConfigError, EmbedderError, OpenAIEmbedder
from agentlog.errors import ValidationError

DIM = 1536


def fake_vector(text: str) -> list[float]:
    vector = [0.0] * DIM
    vector[len(text) % DIM] = 2.0  # not unit length: the embedder normalises
    vector[(len(text) + 1) % DIM] = 1.0
    return vector


def embeddings_body(inputs: list[str], *, reverse: bool = True) -> dict[str, Any]:
    data = [{"object": "embedding", "index": i, "embedding": fake_vector(t)} for i, t in enumerate(inputs)]
    if reverse:  # the API does not promise order: the embedder sorts by index
        data.reverse()
    return {"object": "list", "data": data, "model": "text-embedding-3-small"}


class Recorder:
    """A MockTransport handler that answers from a script of statuses, recording requests."""

    def __init__(self, statuses: list[int] | None = None, headers: dict[str, str] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.headers = headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        if status != 200:
            return httpx.Response(status, json={"error": {"message": f"scripted {status}"}}, headers=self.headers)
        payload = json.loads(request.content)
        return httpx.Response(200, json=embeddings_body(payload["input"]))

    @property
    def batches(self) -> list[list[str]]:
        return [json.loads(r.content)["input"] for r in self.requests]


def make(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> OpenAIEmbedder:
    kwargs.setdefault("api_key", "sk-test-123")
    kwargs.setdefault("backoff", 0.001)
    return OpenAIEmbedder(transport=httpx.MockTransport(handler), **kwargs)


def test_request_shape_auth_and_vectors() -> None:
    recorder = Recorder()
    emb = make(recorder, base_url="http://fake.local/v1/")
    vectors = emb.embed(["alpha", "be", ""])
    request = recorder.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "http://fake.local/v1/embeddings"
    assert request.headers["authorization"] == "Bearer sk-test-123"
    assert json.loads(request.content) == {
        "model": "text-embedding-3-small",
        "input": ["alpha", "be", " "],  # the API rejects empty strings
        "encoding_format": "float",
    }
    assert vectors.shape == (3, DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert int(np.argmax(vectors[0])) == 5 and int(np.argmax(vectors[1])) == 2  # order kept
    assert emb.name == "openai:text-embedding-3-small" and emb.dimension == DIM


def test_batches_of_at_most_2048_inputs() -> None:
    recorder = Recorder()
    texts = [f"text {i}" for i in range(2049)]
    vectors = make(recorder).embed(texts)
    assert [len(b) for b in recorder.batches] == [2048, 1]
    assert [t for b in recorder.batches for t in b] == texts
    assert np.array_equal(vectors[2048], make(Recorder()).embed([texts[2048]])[0])


def test_smaller_batches_and_a_byte_budget() -> None:
    recorder = Recorder()
    make(recorder, batch_size=3).embed([str(i) for i in range(7)])
    assert [len(b) for b in recorder.batches] == [3, 3, 1]
    recorder = Recorder()
    make(recorder).embed(["x" * 200_000, "y" * 40_000, "z" * 20_000])
    assert [len(b) for b in recorder.batches] == [2, 1]  # at most 250,000 UTF-8 bytes a request
    recorder = Recorder()
    make(recorder).embed(["x" * 300_000, "z"])  # one oversized text still goes, alone
    assert [len(b) for b in recorder.batches] == [1, 1]


def test_cjk_batches_stay_under_the_token_limit() -> None:
    # ~1 token per CJK character: 300 texts of 2,000 characters would be 500,000 tokens under a
    # 500,000-character cap. Tokens never outnumber UTF-8 bytes (byte-level BPE), so a byte cap holds.
    recorder = Recorder()
    texts = ["数据" * 1000] * 300
    make(recorder).embed(texts)
    sizes = [sum(len(t.encode("utf-8")) for t in batch) for batch in recorder.batches]
    assert max(sizes) <= 250_000 < 300_000
    assert [t for batch in recorder.batches for t in batch] == texts


def test_an_input_longer_than_the_api_takes_is_cut_at_a_character_boundary() -> None:
    # The API refuses an input over 8,191 tokens and fails the whole request; a token is at least a byte.
    recorder = Recorder()
    long_text, short = "naïve " * 5000, "kept whole"
    make(recorder).embed([long_text, short])
    sent_long, sent_short = recorder.batches[0]
    assert len(sent_long.encode("utf-8")) <= 8191 and long_text.startswith(sent_long) and sent_long
    assert sent_short == short


def test_retries_429_honouring_retry_after_then_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr("agentlog.embeddings.openai.time.sleep", sleeps.append)
    recorder = Recorder([429, 429], headers={"retry-after": "0.05"})
    vectors = make(recorder).embed(["a", "b"])
    assert vectors.shape == (2, DIM)
    assert len(recorder.requests) == 3
    assert len(sleeps) == 2 and all(s >= 0.05 for s in sleeps)


def test_retries_5xx_and_network_errors_with_bounded_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr("agentlog.embeddings.openai.time.sleep", sleeps.append)
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        if calls < 5:
            return httpx.Response(503, text="upstream busy")
        return httpx.Response(200, json=embeddings_body(json.loads(request.content)["input"]))

    make(flaky, backoff=1.0, max_backoff=3.0).embed(["a"])
    assert calls == 5
    assert len(sleeps) == 4
    assert all(0 < s <= 3.0 for s in sleeps)
    assert sleeps[-1] > sleeps[0]  # exponential, capped


def test_gives_up_after_max_retries() -> None:
    recorder = Recorder([500] * 10)
    with pytest.raises(EmbedderError, match=r"after 3 attempts; last error: HTTP 500: scripted 500"):
        make(recorder, max_retries=2).embed(["a"])
    assert len(recorder.requests) == 3


@pytest.mark.parametrize(("status", "hint"), [(400, "scripted 400"), (401, "check OPENAI_API_KEY")])
def test_client_errors_are_not_retried(status: int, hint: str) -> None:
    recorder = Recorder([status])
    with pytest.raises(EmbedderError, match=hint):
        make(recorder).embed(["a"])
    assert len(recorder.requests) == 1


def test_malformed_responses() -> None:
    def wrong_dim(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0, 2.0]}]})

    with pytest.raises(EmbedderError, match="shape"):
        make(wrong_dim).embed(["a"])
    with pytest.raises(EmbedderError, match="unexpected response"):
        make(lambda r: httpx.Response(200, text="<html>")).embed(["a"])


def test_missing_key_says_how_to_set_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(EmbedderConfigError, match="export OPENAI_API_KEY"):
        OpenAIEmbedder()
    with pytest.raises(EmbedderConfigError):
        OpenAIEmbedder(api_key="  ")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    emb = OpenAIEmbedder()
    assert "sk-from-env" not in repr(emb)


def test_missing_httpx_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # makes `import httpx` fail
    with pytest.raises(EmbedderConfigError, match=r"pip install 'agentlog\[openai\]'"):
        OpenAIEmbedder(api_key="sk-test")


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="known: text-embedding-3-small"):
        OpenAIEmbedder(model="gpt-4", api_key="k")
    with pytest.raises(ValidationError):
        OpenAIEmbedder(api_key="k", batch_size=4096)
    assert OpenAIEmbedder(model="text-embedding-3-large", api_key="k").dimension == 3072


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_url", "not a url"),
        ("base_url", "http://exa mple.com"),
        ("base_url", "ftp://x"),
        ("base_url", "http://"),
        ("base_url", "localhost:8080/v1"),
        ("base_url", "http://host:port/v1"),
        ("base_url", "http://host/\nv1"),
        ("base_url", 5),
        ("timeout", 0),
        ("timeout", -1),
        ("timeout", float("nan")),
        ("timeout", "5"),
        ("max_retries", -1),
        ("max_retries", "3"),
        ("max_retries", 1.5),
        ("max_retries", True),
        ("backoff", -1.0),
        ("backoff", "0.5"),
        ("backoff", float("inf")),
        ("max_backoff", -1),
        ("batch_size", "5"),
        ("batch_size", 0),
        ("batch_size", 2049),
        ("batch_size", True),
    ],
)
def test_every_argument_is_checked_at_construction(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        OpenAIEmbedder(api_key="k", **{field: value})
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


def test_good_arguments_are_kept() -> None:
    emb = OpenAIEmbedder(
        api_key="k",
        base_url="HTTPS://example.com:8443/v1/",
        timeout=np.float64(2.5),
        max_retries=0,
        backoff=0,
        max_backoff=0.0,
        batch_size=16,
    )
    assert emb.base_url == "HTTPS://example.com:8443/v1"
    assert (emb.timeout, emb.max_retries, emb.backoff, emb.max_backoff, emb.batch_size) == (2.5, 0, 0.0, 0.0, 16)


def test_bad_base_url_from_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "api.example.com/v1")
    with pytest.raises(ValidationError, match="OPENAI_BASE_URL must be an http"):
        OpenAIEmbedder(api_key="k")


def test_a_key_that_cannot_go_in_a_header_is_rejected_without_echoing_it() -> None:
    with pytest.raises(ValidationError, match="printable ASCII") as info:
        OpenAIEmbedder(api_key="sk-sécret")
    assert "sécret" not in str(info.value) and info.value.value is None


@pytest.mark.parametrize(
    "error",
    [
        httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."),
        httpx.LocalProtocolError("illegal header value"),
        httpx.TooManyRedirects("Exceeded maximum allowed redirects."),
        httpx.DecodingError("Error -3 while decompressing data"),
    ],
)
def test_request_errors_that_cannot_heal_are_typed_and_not_retried(
    error: httpx.HTTPError, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr("agentlog.embeddings.openai.time.sleep", sleeps.append)
    calls = 0

    def failing(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise error

    with pytest.raises(EmbedderError, match=type(error).__name__):
        make(failing).embed(["a"])
    assert calls == 1 and sleeps == []


def test_an_undecodable_body_is_an_embedder_error() -> None:
    def bad_gzip(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "gzip"}, content=b"not gzip")

    with pytest.raises(EmbedderError, match="DecodingError"):
        make(bad_gzip).embed(["a"])


def test_a_redirect_is_not_followed_and_says_where_it_points() -> None:
    recorder = Recorder([307], headers={"location": "https://elsewhere.example/v1/embeddings"})
    with pytest.raises(EmbedderError, match=r"HTTP 307.*redirected to https://elsewhere\.example/v1/embeddings"):
        make(recorder).embed(["a"])
    assert len(recorder.requests) == 1


def _reply(indices: list[Any], vector: list[Any] | None = None) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        data = [{"index": i, "embedding": vector or fake_vector(str(i))} for i in indices]
        return httpx.Response(200, json={"data": data})

    return handler


@pytest.mark.parametrize("indices", [[0, 0], [1, 2], [0, "1"], [1, True]])
def test_indices_must_be_each_input_once(indices: list[Any]) -> None:
    with pytest.raises(EmbedderError, match=r"expected each of 0\.\.1 once"):
        make(_reply(indices)).embed(["a", "b"])


@pytest.mark.parametrize(
    ("vector", "message"),
    [([0.0] * DIM, "all-zero vector for input 0"), ([None] * DIM, "unusable"), ([1e-30] * DIM, "unusable")],
)
def test_a_vector_without_a_direction_is_an_embedder_error(vector: list[Any], message: str) -> None:
    with pytest.raises(EmbedderError, match=message):
        make(_reply([0], vector)).embed(["a"])


class _Handler(BaseHTTPRequestHandler):
    script: ClassVar[list[int]] = []
    seen: ClassVar[list[tuple[str, str | None, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, self.headers.get("Authorization"), body))
        status = type(self).script.pop(0) if type(self).script else 200
        payload = embeddings_body(body["input"]) if status == 200 else {"error": {"message": "slow down"}}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 429:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    _Handler.script, _Handler.seen = [429], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_real_http_round_trip_via_environment(local_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", local_server)
    emb = OpenAIEmbedder(backoff=0.001, timeout=5.0)
    try:
        vectors = emb.embed(["hello", "world!"])
    finally:
        emb.close()
    assert vectors.shape == (2, DIM)
    assert [(path, auth) for path, auth, _ in _Handler.seen] == [("/v1/embeddings", "Bearer sk-env")] * 2
    assert _Handler.seen[-1][2]["input"] == ["hello", "world!"]

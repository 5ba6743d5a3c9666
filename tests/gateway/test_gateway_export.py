"""How a request's messages combine with the deployment's prompt, and the SFT row exported from the trace:
the prompt's rendered messages first, the request's after them, and the user's turn exactly once."""

from __future__ import annotations

from typing import Any

from genloop.feedback import FeedbackService
from genloop.prompts import PromptService

from .conftest import mock_variant


def test_sft_rows_hold_the_users_turn_once(store: Any, deploy: Any, upstream: Any, gateway_factory: Any) -> None:
    from genloop.datasets import DatasetService

    prompts = PromptService(store)
    prompts.create("ask", messages=[{"role": "system", "content": "Be brief."},
                                    {"role": "user", "content": "{{ question }}"}])
    prompts.create("sys", messages=[{"role": "system", "content": "Be brief."}])
    deploy("templated", variants=[{**mock_variant(upstream), "prompt": "ask@1"}])
    deploy("system-only", variants=[{**mock_variant(upstream), "prompt": "sys@1"}])
    with gateway_factory() as gw:
        client = gw.openai()
        first = client.chat.completions.with_raw_response.create(
            model="templated", messages=[], extra_body={"genloop_variables": {"question": "Capital of France?"}})
        second = client.chat.completions.with_raw_response.create(
            model="system-only", messages=[{"role": "user", "content": "Capital of Spain?"}])
        gw.flush()
    feedback = FeedbackService(store)
    for reply, answer in ((first, "Paris"), (second, "Madrid")):
        feedback.create(reply.headers["x-genloop-trace-id"], name="answer", correction=answer)
    feedback.export(kind="sft", name="sft")
    rows = DatasetService(store).head("sft@1", n=10)
    assert [[m["role"] for m in row["messages"]] for row in rows] == [["system", "user", "assistant"]] * 2
    assert [row["messages"][1]["content"] for row in rows] == ["Capital of France?", "Capital of Spain?"]

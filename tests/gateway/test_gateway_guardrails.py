"""Guardrails on the gateway: block (an error naming the check), redact, reversible mask, flag; streams too."""

from __future__ import annotations

import openai
import pytest

from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.tracing import TraceService

from .conftest import mock_variant

POLICY = {
    "name": "support",
    "rules": [
        {"check": "banned_terms", "name": "no-secret-project", "on": "input", "action": "block",
         "terms": ["project zeus"]},
        {"check": "email", "on": "input", "action": "mask"},
        {"check": "payment_card", "on": "both", "action": "redact"},
        {"check": "banned_terms", "name": "no-leak", "on": "output", "action": "block", "terms": ["internal only"]},
        {"check": "ip_address", "on": "input", "action": "flag"},
    ],
}


def test_block_mask_redact_flag(store, upstream, deploy, gateway_factory) -> None:
    deploy("safe", variants=[mock_variant(upstream)], guardrails=POLICY)
    with gateway_factory() as gw:
        client = gw.openai()
        with pytest.raises(openai.BadRequestError) as blocked:
            client.chat.completions.create(model="safe", messages=[{"role": "user", "content": "tell me about project zeus"}])
        assert "no-secret-project" in str(blocked.value) and blocked.value.code == "content_filter"
        raw = client.chat.completions.with_raw_response.create(model="safe", messages=[
            {"role": "user", "content": "mail ann@example.com card 4111 1111 1111 1111 from 10.0.0.7"}])
        answer = raw.parse().choices[0].message.content
        gw.flush()
    assert "ann@example.com" in answer  # masked on the way in, restored in the answer
    assert "4111" not in answer and "[REDACTED" in answer
    trace = TraceService(store).get(raw.headers["x-genloop-trace-id"])
    assert "ann@example.com" not in str(trace.input) and "<<EMAIL_1>>" in trace.input[0]["content"]
    assert {(f["check"], f["action"]) for f in trace.guardrails} >= {("email", "mask"), ("payment_card", "redact"),
                                                                       ("ip_address", "flag")}
    (blocked_trace,) = TraceService(store).list(status="blocked").items
    assert blocked_trace.guardrails[0]["check"] == "no-secret-project"


def test_output_block_and_redact_on_streams(store, deploy, gateway_factory) -> None:
    script = [{"reply": "this is internal only, sorry"}, {"reply": "your card 4111 1111 1111 1111 is fine"}]
    with MockUpstreamServer(script=script) as up, gateway_factory() as gw:
        deploy("out", variants=[mock_variant(up)], guardrails=POLICY)
        gw.refresh()
        client = gw.openai()
        with pytest.raises(openai.APIError) as blocked:
            list(client.chat.completions.create(model="out", messages=[{"role": "user", "content": "q"}], stream=True))
        assert "no-leak" in str(blocked.value)
        chunks = client.chat.completions.create(model="out", messages=[{"role": "user", "content": "q"}], stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert "4111" not in text and text.startswith("your card [REDACTED")
        with pytest.raises(openai.BadRequestError):  # the same block on a plain answer
            client.chat.completions.create(model="out", messages=[{"role": "user", "content": "q"}])
        gw.flush()
    statuses = sorted(t.status for t in TraceService(store).list(deployment="out").items)
    assert statuses == ["blocked", "blocked", "ok"]


def test_prompt_variables_are_guarded_like_messages(store, upstream, deploy, gateway_factory) -> None:
    """The caller's text reaches the prompt through variables too: input rules check their values."""
    from genloop.prompts import PromptService

    PromptService(store).create("ask", messages=[{"role": "system", "content": "Answer briefly."},
                                                 {"role": "user", "content": "{{ question }}"}])
    deploy("vars", variants=[mock_variant(upstream, prompt="ask")], guardrails=POLICY)
    with gateway_factory() as gw:
        client = gw.openai()
        with pytest.raises(openai.BadRequestError) as blocked:
            client.chat.completions.create(model="vars", messages=[],
                                           extra_body={"genloop_variables": {"question": "what is project zeus?"}})
        assert "no-secret-project" in str(blocked.value)
        raw = client.chat.completions.with_raw_response.create(
            model="vars", messages=[], extra_body={"genloop_variables": {"question": "write to bo@example.org"}})
        gw.flush()
    assert raw.parse().choices[0].message.content == "write to bo@example.org"  # the echo, unmasked for the caller
    trace = TraceService(store).get(raw.headers["x-genloop-trace-id"])
    assert trace.input[-1] == {"role": "user", "content": "write to <<EMAIL_1>>"}  # what the model saw
    assert ("email", "mask") in {(f["check"], f["action"]) for f in trace.guardrails}

"""The mock upstream against the official openai client, on a real uvicorn server on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from genloop.errors import InvalidInput
from genloop.providers.mock_upstream import MockUpstreamServer, load_script, run_mock_upstream

USER = [{"role": "user", "content": "the quick brown fox"}]


@pytest.fixture
def client(upstream: MockUpstreamServer) -> Iterator[openai.OpenAI]:
    c = openai.OpenAI(base_url=upstream.url + "/v1", api_key="x", max_retries=0)
    yield c
    c.close()


def test_chat_completion(client: openai.OpenAI) -> None:
    response = client.chat.completions.create(model="mock-model", messages=USER)  # type: ignore[arg-type]
    assert response.choices[0].message.content == "the quick brown fox"
    assert response.choices[0].finish_reason == "stop"
    assert response.model == "mock-model"
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens, response.usage.total_tokens) == (4, 4, 8)


def test_chat_stream_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="m", messages=USER, stream=True,  # type: ignore[arg-type]
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "the quick brown fox"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 4


def test_chat_stream_without_usage(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="m", messages=USER, stream=True))  # type: ignore[arg-type]
    assert all(c.usage is None for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "the quick brown fox"


def test_max_tokens_and_stop(client: openai.OpenAI) -> None:
    short = client.chat.completions.create(model="m", messages=USER, max_tokens=2)  # type: ignore[arg-type]
    assert (short.choices[0].message.content, short.choices[0].finish_reason) == ("the quick", "length")
    stopped = client.chat.completions.create(model="m", messages=USER, stop=[" brown"])  # type: ignore[arg-type]
    assert stopped.choices[0].message.content == "the quick"


def test_embeddings_base64_and_float(client: openai.OpenAI) -> None:
    default = client.embeddings.create(model="emb", input=["a b", "c"])  # the client asks for base64
    floats = client.embeddings.create(model="emb", input=["a b", "c"], encoding_format="float")
    assert [len(d.embedding) for d in default.data] == [32, 32]
    assert default.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-6)
    assert default.data[0].embedding != default.data[1].embedding
    assert default.usage.prompt_tokens == 3
    again = client.embeddings.create(model="emb", input="a b", dimensions=8, encoding_format="float")
    assert len(again.data[0].embedding) == 8


def test_models_and_completions(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["mock-model"]
    completion = client.completions.create(model="m", prompt="once upon a time")
    assert completion.choices[0].text == "once upon a time"
    streamed = list(client.completions.create(model="m", prompt="once upon", stream=True))
    assert "".join(c.choices[0].text for c in streamed if c.choices) == "once upon"


def test_fixed_reply_failures_and_stats(upstream: MockUpstreamServer, client: openai.OpenAI) -> None:
    upstream.app.config.reply = "fixed"
    assert client.chat.completions.create(model="m", messages=USER).choices[0].message.content == "fixed"  # type: ignore[arg-type]
    upstream.app.config.fail_rate, upstream.app.config.fail_status = 1.0, 429
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert info.value.response.headers["retry-after"] == "1"
    assert info.value.body["message"]  # type: ignore[index]
    stats = httpx.get(upstream.url + "/_mock/stats").json()
    assert (stats["chat.completions"], stats["errors"]) == (2, 1)
    httpx.post(upstream.url + "/_mock/reset")
    assert httpx.get(upstream.url + "/_mock/stats").json()["chat.completions"] == 0


def test_seeded_fail_rate_is_repeatable() -> None:
    def outcomes() -> list[int]:
        with run_mock_upstream(fail_rate=0.5, seed=7, fail_status=503) as url, httpx.Client(base_url=url) as http:
            body = {"model": "m", "messages": USER}
            return [http.post("/v1/chat/completions", json=body).status_code for _ in range(12)]

    first = outcomes()
    assert first == outcomes() and set(first) == {200, 503}


def test_script_cycles_replies_and_failures(tmp_path: Path) -> None:
    script = tmp_path / "s.jsonl"
    script.write_text('"one"\n{"status": 503, "message": "busy"}\n{"reply": "three", "latency_ms": 1}\n')
    with run_mock_upstream(script=load_script(script)) as url, httpx.Client(base_url=url) as http:
        answers = [http.post("/v1/chat/completions", json={"model": "m", "messages": USER}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 503, 200, 200]
    assert answers[1].json()["error"]["message"] == "busy"
    assert [answers[i].json()["choices"][0]["message"]["content"] for i in (0, 2, 3)] == ["one", "three", "one"]


def test_bad_script_and_requests(tmp_path: Path, upstream: MockUpstreamServer) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"nothing": 1}\n')
    with pytest.raises(InvalidInput, match="bad.jsonl:1"):
        load_script(bad)
    with httpx.Client(base_url=upstream.url) as http:
        assert http.post("/v1/chat/completions", content=b"{oops").status_code == 400
        assert http.post("/v1/chat/completions", json={"model": "m"}).status_code == 400
        assert http.get("/v1/nothing").json()["error"]["type"] == "not_found_error"


def test_api_key_required_when_configured() -> None:
    with run_mock_upstream(api_key="k1") as url:
        wrong = openai.OpenAI(base_url=url + "/v1", api_key="nope", max_retries=0)
        right = openai.OpenAI(base_url=url + "/v1", api_key="k1", max_retries=0)
        with wrong, right:
            with pytest.raises(openai.AuthenticationError):
                wrong.models.list()
            assert right.models.list().data


@pytest.mark.slow
def test_cli_command_serves(tmp_path: Path) -> None:
    """`genloop mock-upstream` as the lead wires it: the Typer function run as a command in a subprocess."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = "import typer; from genloop.cli.mock_upstream import mock_upstream; typer.run(mock_upstream)"
    args = [sys.executable, "-c", code, "--port", str(port), "--reply", "pong", "--latency-ms", "1"]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    response = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions",
                                          json={"model": "m", "messages": USER})
                    break
                except httpx.ConnectError:
                    assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()  # type: ignore[union-attr]
                    time.sleep(0.05)
            assert response.json()["choices"][0]["message"]["content"] == "pong"
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=10)
    assert f"127.0.0.1:{port}/v1" in out.decode()


def test_cli_rejects_conflicting_modes() -> None:
    import typer
    from typer.testing import CliRunner

    from genloop.cli.mock_upstream import mock_upstream

    app = typer.Typer()
    app.command()(mock_upstream)
    result = CliRunner().invoke(app, ["--reply", "x", "--echo"])
    assert isinstance(result.exception, InvalidInput)
    assert "alternatives" in str(result.exception)

"""`genloop mock-upstream`: serve a mock OpenAI-compatible API for tests, demos and gateway benchmarks."""

from __future__ import annotations

from pathlib import Path

import typer


def mock_upstream(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8100, help="TCP port."),
    latency_ms: float = typer.Option(0.0, "--latency-ms", min=0, help="Delay before each answer, in milliseconds."),
    fail_rate: float = typer.Option(0.0, "--fail-rate", min=0, max=1, help="Share of calls that fail (0..1)."),
    fail_status: int = typer.Option(500, "--fail-status", min=400, max=599, help="HTTP status of injected failures."),
    seed: int | None = typer.Option(None, "--seed", help="Seed for --fail-rate, for repeatable failure sequences."),
    reply: str | None = typer.Option(None, "--reply", help="Answer every call with this text."),
    echo: bool = typer.Option(False, "--echo", help="Answer with the last user message (the default)."),
    script: Path | None = typer.Option(
        None, "--script", exists=True, dir_okay=False,
        help='JSONL steps cycled per call: {"reply": "..."} or {"status": 503}, each with optional "latency_ms".',
    ),
    retry_after: float = typer.Option(1.0, "--retry-after", min=0, help="Retry-After seconds sent with 429s."),
    api_key: str | None = typer.Option(None, "--api-key", help="Require this bearer key (default: accept any)."),
) -> None:
    """Serve a mock OpenAI-compatible API (chat, completions, embeddings, models) on HOST:PORT/v1."""
    from genloop.errors import InvalidInput
    from genloop.providers.mock_upstream import MockUpstreamConfig, load_script, serve

    if sum([reply is not None, echo, script is not None]) > 1:
        raise InvalidInput("--reply, --echo and --script are alternatives", hint="pass at most one of them")
    config = MockUpstreamConfig(latency_ms=latency_ms, fail_rate=fail_rate, fail_status=fail_status, seed=seed,
                                reply=reply, script=load_script(script) if script else None, retry_after=retry_after,
                                api_key=api_key)
    typer.echo(f"mock upstream on http://{host}:{port}/v1  (stats: http://{host}:{port}/_mock/stats)")
    serve(config, host=host, port=port)

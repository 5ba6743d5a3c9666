"""`genloop gateway`: serve deployments over the OpenAI API (chat, embeddings, models, OTLP in, metrics)."""

from __future__ import annotations

import typer


def gateway(
    host: str = typer.Option("127.0.0.1", help="Interface to bind; use 0.0.0.0 to accept remote clients."),
    port: int = typer.Option(8080, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes (each keeps its own view, limits and spool)."),
) -> None:
    """Serve every deployment at http://HOST:PORT/v1 for any OpenAI client (set base_url to it)."""
    from genloop.gateway import serve_gateway

    typer.echo(f"GenLoop gateway on http://{host}:{port}/v1  (metrics: /metrics, health: /healthz)")
    serve_gateway(host=host, port=port, workers=workers)


def trace_writer() -> None:
    """Write the trace spool (GENLOOP_TRACE_SPOOL_DIR) to the store until stopped (Ctrl-C or SIGTERM).

    `genloop server` and `genloop gateway` start one of these per process already; run it alone when the spool
    lives on a volume that a separate writer drains. One writer leads per spool folder; others wait as standbys.
    """
    from genloop.gateway._writer_process import main

    typer.echo("GenLoop trace writer: draining the trace spool into the store (Ctrl-C to stop)")
    main([])

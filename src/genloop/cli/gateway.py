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

"""`genloop server`: serve the REST API (and, later, the gateway and UI)."""

from __future__ import annotations

import typer


def server(
    host: str = typer.Option("127.0.0.1", help="Interface to bind; use 0.0.0.0 to accept remote clients."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes (each opens its own store connections)."),
) -> None:
    """Serve the REST API (/api/v1, docs at /api/v1/docs) and the OpenAI-compatible gateway (/v1) on HOST:PORT."""
    import uvicorn

    typer.echo(f"GenLoop server on http://{host}:{port}  REST docs: /api/v1/docs  OpenAI API: /v1  metrics: /metrics")
    uvicorn.run("genloop.server.app:create_server", factory=True, host=host, port=port, workers=workers,
                log_level="info")

"""`genloop gateway`: serve deployments over the OpenAI API (chat, embeddings, models, OTLP in, metrics)."""

from __future__ import annotations

from typing import Any

import typer

_LOCAL = {"deployments": ("genloop.deployments", "DeploymentService"), "traces": ("genloop.tracing", "TraceService"),
          "feedback": ("genloop.feedback", "FeedbackService"), "keys": ("genloop.auth", "KeyService")}
_REMOTE = {"deployments": ("genloop.client._deployments", "RemoteDeployments"),
           "traces": ("genloop.client._traces", "RemoteTraces"),
           "feedback": ("genloop.client._feedback", "RemoteFeedback"), "keys": ("genloop.client._keys", "RemoteKeys")}


def namespace(client: Any, name: str) -> Any:
    """``client.<name>``, or the service/REST twin built from the client when the SDK does not bind it yet."""
    bound = getattr(client, name, None)
    if bound is not None:
        return bound
    import importlib

    module, attr = (_REMOTE if client.is_remote else _LOCAL)[name]
    cls = getattr(importlib.import_module(module), attr)
    return cls(client._http, project=client.project) if client.is_remote else cls(client._store, client.project)


def gateway(
    host: str = typer.Option("127.0.0.1", help="Interface to bind; use 0.0.0.0 to accept remote clients."),
    port: int = typer.Option(8080, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes (each keeps its own view, limits and spool)."),
) -> None:
    """Serve every deployment at http://HOST:PORT/v1 for any OpenAI client (set base_url to it)."""
    from genloop.gateway import serve_gateway

    typer.echo(f"GenLoop gateway on http://{host}:{port}/v1  (metrics: /metrics, health: /healthz)")
    serve_gateway(host=host, port=port, workers=workers)

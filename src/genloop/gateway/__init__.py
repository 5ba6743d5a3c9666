"""The gateway: deployments served over the OpenAI API, with guardrails, tracing, feedback and keys.

    genloop gateway --port 8080                       # alone
    app = with_gateway(create_app(store), store)      # in front of the REST server, one port

Endpoints: ``POST /v1/chat/completions`` (plain and SSE), ``POST /v1/embeddings``, ``GET /v1/models``,
``POST /v1/traces`` (OTLP/HTTP, JSON or protobuf), ``GET /metrics`` (Prometheus), ``GET /healthz``.
Response headers: ``x-genloop-trace-id``, ``x-genloop-deployment``, ``x-genloop-variant``, ``x-genloop-cache``.
"""

from genloop.gateway._app import GATEWAY_PATHS, GatewayApp, compose, create_gateway_app
from genloop.gateway._chat import sticky_fraction
from genloop.gateway._gateway import Gateway
from genloop.gateway._serve import serve_gateway, uvicorn_options, with_gateway

__all__ = [
    "GATEWAY_PATHS",
    "Gateway",
    "GatewayApp",
    "compose",
    "create_gateway_app",
    "serve_gateway",
    "sticky_fraction",
    "uvicorn_options",
    "with_gateway",
]

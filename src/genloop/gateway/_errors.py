"""OpenAI-shaped errors: ``{"error": {"message", "type", "param", "code"}}`` with the status OpenAI would use.

The official client picks its exception class by status (400 BadRequestError, 401 AuthenticationError,
403 PermissionDeniedError, 404 NotFoundError, 413/422, 429 RateLimitError, 5xx InternalServerError), so the
status is what matters most; ``type`` and ``code`` follow OpenAI's vocabulary where it has a word.
"""

from __future__ import annotations

from typing import Any

import orjson

from genloop.errors import GenLoopError, ProviderError

__all__ = ["GatewayError", "error_body", "from_genloop_error"]

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "invalid_request_error", 405: "invalid_request_error", 408: "timeout_error",
          413: "invalid_request_error", 415: "invalid_request_error", 429: "rate_limit_error",
          499: "client_closed_request", 500: "server_error", 502: "upstream_error", 503: "service_unavailable",
          504: "timeout_error"}


class GatewayError(Exception):
    """An answer the gateway gives instead of a completion. ``trace_status`` is what the trace records."""

    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None,
                 type: str | None = None, retry_after: float | None = None, trace_status: str = "error",
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type or _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
        self.retry_after = retry_after
        self.trace_status = trace_status
        self.details = details

    def body(self) -> bytes:
        return error_body(self.status, self.message, code=self.code, param=self.param, type=self.type,
                          details=self.details)

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [(b"content-type", b"application/json")]
        if self.retry_after is not None:
            out.append((b"retry-after", str(max(1, round(self.retry_after))).encode()))
        if self.status == 401:
            out.append((b"www-authenticate", b"Bearer"))
        return out


def error_body(status: int, message: str, *, code: str | None = None, param: str | None = None,
               type: str | None = None, details: dict[str, Any] | None = None) -> bytes:
    """The JSON bytes of an OpenAI-shaped error."""
    error: dict[str, Any] = {"message": message, "type": type or _TYPES.get(status, "server_error"),
                             "param": param, "code": code}
    if details:
        error["genloop"] = details
    return orjson.dumps({"error": error})


def from_genloop_error(exc: GenLoopError) -> GatewayError:
    """The gateway answer for a GenLoop exception (bad prompt variables, a provider failure...)."""
    message = exc.text_for("gateway")  # the hint in the gateway's request fields
    if isinstance(exc, ProviderError):
        status = exc.upstream_status or 502
        if status == 429:
            return GatewayError(429, message, code="upstream_rate_limited")
        if 400 <= status < 500 and status not in (401, 403, 404, 408):
            return GatewayError(400, message, code="upstream_rejected")
        return GatewayError(504 if status == 408 else 502, message, code="upstream_error")
    code = {400: None, 404: "not_found", 413: "request_too_large", 429: "rate_limit_exceeded"}.get(exc.status_code)
    return GatewayError(exc.status_code, message, code=code)

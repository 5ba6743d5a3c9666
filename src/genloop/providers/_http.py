"""What the HTTP wire formats share: one httpx.AsyncClient, keys, retries, the limiter, errors and SSE.

Keys live in a ``SecretStr`` and go only into request headers built per call, never into the client's
default headers, URLs, reprs, logs or error messages (an upstream message that echoes the key is redacted).
A key from settings or the environment goes only to the base URL from settings, the environment or the
wire format's default: a ``base_url`` passed in ``config`` gets no key unless ``api_key`` is passed too
(a named provider connection passes both), so a caller-chosen URL never receives the server's key.

An answer of the wrong shape (``choices`` not a list, token counts that are not integers, a missing
message) is a :class:`ProviderError` (retryable), never a ``TypeError`` from deep inside the parsing.
"""

from __future__ import annotations

import functools
import itertools
import os
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import AsyncExitStack
from typing import Any, ClassVar

import httpx
import orjson
from pydantic import SecretStr

from genloop.errors import InvalidInput, ProviderError
from genloop.providers._base import Provider
from genloop.providers._limiter import THROTTLE_STATUSES, AdaptiveLimiter, shared_limiter
from genloop.providers._pricing import PriceTable
from genloop.providers._retry import RetryPolicy, is_retryable_status, parse_retry_after, retry_call

__all__ = ["HTTPProvider"]

_HINTS = {
    400: "the upstream rejected the request; check the parameters and messages",
    401: "check the API key",
    403: "the key lacks access to this model or endpoint",
    404: "check the model name and the base URL",
    408: "the upstream timed out; retry later",
    413: "the request is too large for this model",
    429: "rate limited; lower the concurrency or retry later",
}


_MALFORMED = (TypeError, AttributeError, KeyError, IndexError, ValueError)


def _malformed(provider: Any, exc: BaseException) -> ProviderError:
    return ProviderError(f"{provider.name} answered a malformed response ({type(exc).__name__}: {str(exc)[:200]})",
                         hint="the endpoint does not speak this wire format correctly", retryable=True,
                         provider=provider.name)


def _guard_call(fn: Any) -> Any:
    @functools.wraps(fn)
    async def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(self, *args, **kwargs)
        except ProviderError:
            raise
        except _MALFORMED as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise _malformed(self, exc) from exc

    guarded._guarded = True  # type: ignore[attr-defined]
    return guarded


def _guard_stream(fn: Any) -> Any:
    @functools.wraps(fn)
    async def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        stream = fn(self, *args, **kwargs)
        try:
            async for item in stream:
                yield item
        except ProviderError:
            raise
        except _MALFORMED as exc:
            raise _malformed(self, exc) from exc
        finally:
            await stream.aclose()

    guarded._guarded = True  # type: ignore[attr-defined]
    return guarded


class HTTPProvider(Provider):
    """Base of the HTTP wire formats: configured by base URL and key, as pydantic-ai separates them."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Each wire format's parsing is guarded: a malformed answer becomes a ProviderError."""
        super().__init_subclass__(**kwargs)
        for name in ("chat", "complete", "embed"):
            fn = cls.__dict__.get(name)
            if fn is not None and not getattr(fn, "_guarded", False):
                setattr(cls, name, _guard_call(fn))
        fn = cls.__dict__.get("chat_stream")
        if fn is not None and not getattr(fn, "_guarded", False):
            cls.chat_stream = _guard_stream(fn)  # type: ignore[method-assign]

    #: Read ``<settings_prefix>_api_key`` / ``_base_url`` from Settings, then these environment variables.
    settings_prefix: ClassVar[str]
    key_env_vars: ClassVar[tuple[str, ...]] = ()
    base_url_env_vars: ClassVar[tuple[str, ...]] = ()
    default_base_url: ClassVar[str]

    def __init__(
        self,
        *,
        name: str,
        base_url: str | None = None,
        api_key: str | SecretStr | None = None,
        timeout: float | httpx.Timeout = 60.0,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 64,
        limiter: AdaptiveLimiter | None = None,
        prices: PriceTable | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(name=name, prices=prices)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self._api_key = api_key if isinstance(api_key, SecretStr) or api_key is None else SecretStr(api_key)
        if self._api_key is None and self.base_url == self.default_base_url.rstrip("/"):
            env = " or ".join([*self.key_env_vars, f"GENLOOP_{self.settings_prefix.upper()}_API_KEY"])
            raise InvalidInput(f"provider '{name}' has no API key", hint=f"set {env}, or pass api_key=...")
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or shared_limiter(name, self.base_url, max_concurrency)
        self._extra_headers = dict(headers or {})
        timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout, connect=min(timeout, 10.0))
        # httpcore's pool walks all its connections on every request start and finish, so its cost per request
        # grows with concurrency (encode/httpx#3215). Several small pools, used in turn, keep each walk short:
        # at 64 concurrent requests this about halves the client's CPU per request.
        shards = 1 if transport is not None else max(1, min(16, max_concurrency // 8))
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=max_concurrency)
        self._clients = [httpx.AsyncClient(timeout=timeout, limits=limits, transport=transport, verify=_ssl_context())
                         for _ in range(shards)]
        self._turn = itertools.count()

    @classmethod
    def from_settings(cls, settings: Any, **config: Any) -> HTTPProvider:
        """Build from Settings and the standard environment variables; ``config`` overrides both."""
        prefix = cls.settings_prefix
        chosen_url = config.get("base_url") is not None
        if config.get("api_key") is None and not chosen_url:  # the server's key, for the server's endpoint only
            config["api_key"] = getattr(settings, f"{prefix}_api_key", None) or _env(cls.key_env_vars)
        if config.get("base_url") is None:
            config["base_url"] = getattr(settings, f"{prefix}_base_url", None) or _env(cls.base_url_env_vars)
        config.setdefault("name", prefix)
        config.setdefault("timeout", getattr(settings, "provider_timeout", 60.0))
        config.setdefault("max_concurrency", getattr(settings, "provider_max_concurrency", 64))
        if "retry" not in config:
            config["retry"] = RetryPolicy(max_attempts=getattr(settings, "provider_max_attempts", 4))
        if "prices" not in config:
            config["prices"] = PriceTable.from_settings(settings)
        return cls(**config)

    def auth_headers(self, key: str) -> dict[str, str]:
        """The headers that carry ``key`` on this wire."""
        return {"authorization": f"Bearer {key}"}

    def _client(self) -> httpx.AsyncClient:
        return self._clients[next(self._turn) % len(self._clients)]

    def _headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json", **self._extra_headers}
        if self._api_key is not None:
            headers.update(self.auth_headers(self._api_key.get_secret_value()))
        return headers

    async def post_json(self, path: str, body: dict[str, Any], *, what: str) -> dict[str, Any]:
        """POST JSON under the limiter with retries; the decoded JSON answer or a ProviderError."""
        url = self.base_url + path
        content = orjson.dumps(body)

        async def attempt() -> dict[str, Any]:
            async with self.limiter.slot() as permit:
                try:
                    response = await self._client().post(url, content=content, headers=self._headers())
                except httpx.HTTPError as exc:
                    raise self._transport_error(exc) from None
                if response.status_code >= 400:
                    if response.status_code in THROTTLE_STATUSES:
                        permit.throttled()
                    raise self._status_error(response.status_code, response.content, response.headers)
                permit.success()
                return self._decode(response.content)

        return await retry_call(attempt, self.retry, what=f"{self.name} {what}")

    async def stream_sse(self, path: str, body: dict[str, Any], *, what: str) -> AsyncGenerator[tuple[str, str], None]:
        """POST and yield ``(event, data)`` server-sent events; retries only until the stream opens."""
        url = self.base_url + path
        content = orjson.dumps(body)

        async def open_stream() -> tuple[httpx.Response, AsyncExitStack]:
            stack = AsyncExitStack()
            try:
                permit = await stack.enter_async_context(self.limiter.slot())
                client = self._client()
                request = client.build_request("POST", url, content=content, headers=self._headers())
                try:
                    response = await client.send(request, stream=True)
                except httpx.HTTPError as exc:
                    raise self._transport_error(exc) from None
                stack.push_async_callback(response.aclose)
                if response.status_code >= 400:
                    if response.status_code in THROTTLE_STATUSES:
                        permit.throttled()
                    raw = await response.aread()
                    raise self._status_error(response.status_code, raw, response.headers)
                permit.success()
                return response, stack
            except BaseException:
                await stack.aclose()
                raise

        response, stack = await retry_call(open_stream, self.retry, what=f"{self.name} {what}")
        async with stack:
            try:
                async for event in _sse_events(response):
                    yield event
            except httpx.HTTPError as exc:
                raise self._transport_error(exc, mid_stream=True) from None

    def _decode(self, content: bytes) -> dict[str, Any]:
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise ProviderError(f"{self.name} answered with invalid JSON: {self._redact(content[:200].decode('utf-8', 'replace'))}",
                                retryable=False, provider=self.name) from None
        return data if isinstance(data, dict) else {"data": data}

    def _status_error(self, status: int, content: bytes, headers: Mapping[str, str]) -> ProviderError:
        message = self._redact(_error_message(content))
        details: dict[str, Any] = {"provider": self.name}
        retry_after = parse_retry_after(headers)
        if retry_after is not None:
            details["retry_after"] = retry_after
        hint = _HINTS.get(status, "the upstream failed; retry later" if status >= 500 else None)
        if status == 401 and self.key_env_vars:
            hint = f"check the API key ({' or '.join(self.key_env_vars)})"
        return ProviderError(f"{self.name} answered HTTP {status}: {message}", hint=hint, upstream_status=status,
                             retryable=is_retryable_status(status), **details)

    def _transport_error(self, exc: httpx.HTTPError, *, mid_stream: bool = False) -> ProviderError:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else f"connection failed ({type(exc).__name__})"
        where = "while streaming from" if mid_stream else "calling"
        return ProviderError(f"{self.name} {kind} {where} {self.base_url}: {self._redact(str(exc)) or 'no detail'}",
                             hint="check that the endpoint is up and reachable", retryable=True, provider=self.name)

    def _redact(self, text: str) -> str:
        if self._api_key is not None:
            key = self._api_key.get_secret_value()
            if key:
                text = text.replace(key, "***")
        return text

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()

    def __repr__(self) -> str:
        key = "'**********'" if self._api_key is not None else "None"
        return f"{type(self).__name__}(name={self.name!r}, base_url={self.base_url!r}, api_key={key})"


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every provider: loading the CA bundle costs ~100 ms each time.
    Honours SSL_CERT_FILE / SSL_CERT_DIR as httpx does, else uses certifi's bundle."""
    import certifi

    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    return ssl.create_default_context(cafile=cafile or (None if capath else certifi.where()), capath=capath)


def _env(names: tuple[str, ...]) -> str | None:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return None


def _error_message(content: bytes) -> str:
    """The upstream's own message: OpenAI, Anthropic and Gemini all answer ``{"error": {"message": ...}}``."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return content[:300].decode("utf-8", "replace").strip() or "no body"
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str):
        return error
    return str(data)[:300]


async def _sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """Parse text/event-stream: ``event:`` and ``data:`` lines, dispatched on a blank line."""
    data: list[str]
    event, data = "", []
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
        elif line.startswith("event:"):
            event = line[6:].strip()
    if data:
        yield event or "message", "\n".join(data)

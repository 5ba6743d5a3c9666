"""The remote client's transport: httpx to a GenLoop server, errors rebuilt as the same exceptions."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from genloop.errors import GenLoopError, InvalidInput, Unavailable, error_from_payload

__all__ = ["HttpTransport"]

M = TypeVar("M")


class HttpTransport:
    """Calls ``{server}/api/v1`` and turns JSON error envelopes back into GenLoop exceptions."""

    def __init__(self, base_url: str, *, api_key: str | None = None, actor: str | None = None,
                 timeout: float = 60.0, transport: httpx.BaseTransport | None = None) -> None:
        headers = {"user-agent": "genloop-client"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        if actor:
            headers["x-genloop-actor"] = actor
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=f"{self.base_url}/api/v1", headers=headers, timeout=timeout,
                                    transport=transport)

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request; return the decoded JSON body (None for 204)."""
        return self.request_with_status(method, path, **kwargs)[1]

    def request_with_status(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        """Send one request; return ``(status, decoded JSON body)`` (body None for 204)."""
        if "json" in kwargs:
            kwargs["content"] = _json_body(kwargs.pop("json"))
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "content-type": "application/json"}
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unavailable(f"cannot reach GenLoop server at {self.base_url}: {exc}",
                              hint="start it with `genloop server`, or unset GENLOOP_SERVER_URL") from exc
        if response.status_code == 204:
            return 204, None
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.status_code >= 400:
            raise error_from_payload(payload, response.status_code)
        return response.status_code, payload

    def get_as(self, model: type[M] | Any, path: str, **kwargs: Any) -> M:
        return _validate(model, self.request("GET", path, **kwargs))

    def post_as(self, model: type[M] | Any, path: str, **kwargs: Any) -> M:
        return _validate(model, self.request("POST", path, **kwargs))

    def put_as(self, model: type[M] | Any, path: str, **kwargs: Any) -> M:
        return _validate(model, self.request("PUT", path, **kwargs))

    def stream_to(self, path: str, dest: Any, **kwargs: Any) -> None:
        """Stream a binary response body into the open file ``dest``."""
        with self._client.stream("GET", path, **kwargs) as response:
            if response.status_code >= 400:
                response.read()
                try:
                    raise error_from_payload(response.json(), response.status_code)
                except ValueError as exc:
                    raise GenLoopError(f"server answered HTTP {response.status_code}") from exc
            for chunk in response.iter_bytes(1 << 20):
                dest.write(chunk)


def _json_body(value: Any) -> bytes:
    """The JSON body as UTF-8; text that is not Unicode (a lone surrogate) travels escaped, so the server names
    the field in its answer, as in-process, instead of the encoder failing here with a traceback."""
    try:
        text = json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii")
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"the request cannot be sent as JSON: {exc}",
                           hint="use text, finite numbers, booleans, lists and mappings") from exc


def _validate(model: Any, payload: Any) -> Any:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_validate(payload)
    return TypeAdapter(model).validate_python(payload)

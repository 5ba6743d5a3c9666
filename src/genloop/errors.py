"""The GenLoop exception tree.

Every error that reaches a user is one of these. Each names the problem and, in ``hint``,
the next step. Each maps to exactly one HTTP status, so the REST server answers it as a JSON
envelope and the remote client raises the same class again on the other side.

    GenLoopError
    ├── InvalidInput        400  the caller's mistake: bad value, malformed file, bad reference
    ├── Unauthorized        401  no or unknown credentials
    ├── Forbidden           403  credentials valid, but not for this project or deployment
    ├── NotFound            404  a name, version or label that does not exist
    ├── Conflict            409  the change clashes with the current state (a protected alias moved without an
    │                            approved review: ``details["missing"]`` names each missing requirement)
    ├── PayloadTooLarge     413  a request body over the configured limit
    ├── RateLimited         429  a per-key limit or budget was reached
    ├── MissingDependency   501  an optional extra is not installed (hint: the pip command)
    ├── ProviderError       502  an upstream model API failed (carries its status)
    └── Unavailable         503  overloaded or shutting down; retry later

Convert at the boundary only: the CLI prints ``str(error)`` on one line and exits non-zero,
the REST API answers ``{"error": {"type", "message", "hint"}}``; nothing in between swallows.

A hint may be a :class:`Hint`: the fix phrased for each interface (the CLI's flags, the SDK's arguments,
the REST API's fields, the gateway's request fields). Each boundary asks ``error.hint_for(INTERFACE)``;
``str(error)`` and ``error.hint`` are the SDK's phrasing.
"""

from __future__ import annotations

import difflib
from typing import Any, ClassVar

__all__ = [
    "INTERFACES",
    "Conflict",
    "Forbidden",
    "GenLoopError",
    "Hint",
    "InvalidInput",
    "MissingDependency",
    "NotFound",
    "PayloadTooLarge",
    "ProviderError",
    "RateLimited",
    "Unauthorized",
    "Unavailable",
    "did_you_mean",
    "error_from_payload",
]

#: The interfaces a hint can be phrased for.
INTERFACES = ("sdk", "cli", "rest", "gateway")


class Hint(str):
    """A hint with a phrasing per interface: ``Hint(sdk="pass variables={'input': ...}", cli="pass --var
    input=...", rest="send variables.input", gateway="send genloop_variables.input")``.

    It is the SDK's text (or ``default``) as a plain string, so code that only knows ``str`` still works;
    ``for_interface`` picks the variant (falling back to that text).
    """

    variants: dict[str, str]

    def __new__(cls, default: str | None = None, **variants: str) -> Hint:
        unknown = set(variants) - set(INTERFACES)
        if unknown:
            raise ValueError(f"unknown interface(s) {sorted(unknown)}; known: {', '.join(INTERFACES)}")
        text = variants.get("sdk") or default or next(iter(variants.values()), "")
        hint = super().__new__(cls, text)
        hint.variants = dict(variants)
        return hint

    def for_interface(self, interface: str) -> str:
        """The phrasing for ``interface`` (one of :data:`INTERFACES`), else the default text."""
        return self.variants.get(interface) or str(self)


def did_you_mean(word: str, known: Any) -> str:
    """``"; did you mean 'openai'?"`` for the closest of ``known``, or ``""``."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class GenLoopError(Exception):
    """Base of every GenLoop error: a message that names the problem and a hint for the fix."""

    status_code: ClassVar[int] = 500
    type: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message

    def hint_for(self, interface: str) -> str | None:
        """The hint phrased for ``interface`` (``sdk``, ``cli``, ``rest``, ``gateway``)."""
        if isinstance(self.hint, Hint):
            return self.hint.for_interface(interface)
        return self.hint

    def text_for(self, interface: str) -> str:
        """``message; hint`` as ``interface`` shows it."""
        hint = self.hint_for(interface)
        return f"{self.message}; {hint}" if hint else self.message

    def to_payload(self) -> dict[str, Any]:
        """The JSON error envelope the REST API sends (its ``hint`` in REST terms; ``hints`` keeps the others,
        so the remote SDK raises the same text as the in-process one)."""
        body: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.hint:
            body["hint"] = self.hint_for("rest")
        if isinstance(self.hint, Hint) and self.hint.variants:
            body["hints"] = dict(self.hint.variants)
        if self.details:
            body["details"] = self.details
        return {"error": body}


class InvalidInput(GenLoopError):
    """The caller passed something malformed: a bad file, field, name, reference or value."""

    status_code = 400
    type = "invalid_input"


class Unauthorized(GenLoopError):
    status_code = 401
    type = "unauthorized"


class Forbidden(GenLoopError):
    status_code = 403
    type = "forbidden"


class NotFound(GenLoopError):
    """A name, version, label or id that does not exist."""

    status_code = 404
    type = "not_found"


class Conflict(GenLoopError):
    """The change clashes with the current state (a name taken, a frozen run written to)."""

    status_code = 409
    type = "conflict"


class PayloadTooLarge(GenLoopError):
    status_code = 413
    type = "payload_too_large"


class RateLimited(GenLoopError):
    status_code = 429
    type = "rate_limited"


class MissingDependency(GenLoopError):
    """An optional dependency is not installed; the hint is the command that installs it."""

    status_code = 501
    type = "missing_dependency"

    @classmethod
    def for_extra(cls, module: str, extra: str) -> MissingDependency:
        return cls(
            f"this feature needs the optional package '{module}', which is not installed",
            hint=f"pip install 'genloop[{extra}]'",
        )


class ProviderError(GenLoopError):
    """An upstream model API failed; ``upstream_status`` is its HTTP status when it had one."""

    status_code = 502
    type = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        upstream_status: int | None = None,
        retryable: bool = False,
        **details: Any,
    ) -> None:
        super().__init__(message, hint=hint, **details)
        self.upstream_status = upstream_status
        self.retryable = retryable


class Unavailable(GenLoopError):
    status_code = 503
    type = "unavailable"


_BY_TYPE: dict[str, type[GenLoopError]] = {
    cls.type: cls
    for cls in (
        GenLoopError,
        InvalidInput,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PayloadTooLarge,
        RateLimited,
        MissingDependency,
        ProviderError,
        Unavailable,
    )
}


def error_from_payload(payload: Any, status_code: int) -> GenLoopError:
    """Rebuild the exception a server sent as a JSON envelope (used by the remote client)."""
    body = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(body, dict):
        return GenLoopError(f"server answered HTTP {status_code}: {str(payload)[:200]}")
    cls = _BY_TYPE.get(str(body.get("type")), GenLoopError)
    details = body.get("details") or {}
    hint = body.get("hint")
    hints = body.get("hints")
    if isinstance(hints, dict) and hints:
        hint = Hint(hint, **{k: str(v) for k, v in hints.items() if k in INTERFACES})
    return cls(str(body.get("message", "")), hint=hint, **details)

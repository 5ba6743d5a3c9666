"""Schemas of the auth package: API keys as listed, and the secret shown once at creation."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SCOPES", "CreatedKey", "KeyInfo"]

SCOPES = ("gateway", "read", "write", "admin")
"""``gateway``: call /v1 (OpenAI API, OTLP); ``read``/``write``: the REST API; ``admin``: manage keys."""


class KeyInfo(BaseModel):
    """An API key without its secret; ``id`` is the visible prefix (``glk_ab12cd34``)."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Visible prefix of the key; use it to show or revoke the key")
    project: str
    name: str
    scopes: list[str]
    deployments: list[str] | None = Field(default=None, description="Deployments it may call; None means all")
    rpm_limit: int | None = Field(default=None, description="Requests per minute")
    tpm_limit: int | None = Field(default=None, description="Tokens per minute")
    budget_usd: float | None = Field(default=None, description="Spend after which requests get 429")
    spent_usd: float = 0.0
    created_at: dt.datetime
    created_by: str = ""
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        now = dt.datetime.now(dt.UTC)
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes

    def allows_deployment(self, name: str) -> bool:
        return self.deployments is None or name in self.deployments


class CreatedKey(KeyInfo):
    """A new key with its secret, which is shown only this once (the store keeps its sha256)."""

    key: str = Field(description="The secret; send it as Authorization: Bearer <key>")

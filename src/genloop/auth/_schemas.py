"""Schemas of the auth package: API keys as listed, and the secret shown once at creation."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from genloop.auth._permissions import ROLE_PERMISSIONS, SCOPE_MAIN, SCOPE_PERMISSIONS

__all__ = ["SCOPES", "SERVER_SCOPES", "CreatedKey", "KeyInfo", "Membership", "UserInfo"]

SCOPES = ("gateway", "read", "write", "admin", "metrics", "operator", "annotate")
"""``gateway``: call /v1 (OpenAI API, OTLP); ``read``/``write``: the REST API; ``admin``: manage the project's
keys (implies gateway, read, write). Server-wide, for the operator: ``metrics``: /metrics and the /healthz
details of every project; ``operator``: manage provider connections (implies metrics, and admin in its
own project); ``annotate``: read and rate the items of the review queues the key is an annotator of, nothing
else."""

SERVER_SCOPES = frozenset({"metrics", "operator"})
"""Scopes over the whole server, not one project: only a key that holds ``operator`` may grant them over REST."""

_IMPLIED = {"admin": frozenset({"gateway", "read", "write"}),
            "operator": frozenset({"metrics", "admin", "gateway", "read", "write"})}


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
    owner: str | None = Field(default=None, description="The user or service account the key belongs to")
    owner_kind: str | None = Field(default=None, description="user or service; None: a key made before users")
    role: str | None = Field(default=None, description="A user owner's role in the key's project (None: no role)")

    @property
    def user(self) -> str | None:
        """The owning person's name when the key belongs to a user (not a service account), else None."""
        return self.owner if self.owner_kind == "user" else None

    @property
    def actor(self) -> str:
        """Who the audit log names: ``user:<name>`` for a user's key, ``key:<name>`` for a service key."""
        return f"user:{self.owner}" if self.user else f"key:{self.name}"

    def permits(self, permission: str) -> bool:
        """Whether the key holds ``permission``: one of its scopes grants it and, for a user's key, the user's
        role in the project does too (effective = scopes ∩ role)."""
        if not any(permission in SCOPE_PERMISSIONS.get(s, ()) for s in self.scopes):
            return False
        return self.user is None or permission in ROLE_PERMISSIONS.get(self.role or "", ())

    @property
    def active(self) -> bool:
        now = dt.datetime.now(dt.UTC)
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def allows(self, scope: str) -> bool:
        """Whether the key holds ``scope``, itself or through one that implies it (admin, operator), and for a
        user's key whether the user's role grants what the scope stands for."""
        held = scope in self.scopes or any(scope in _IMPLIED.get(s, ()) for s in self.scopes)
        return held and (self.user is None or SCOPE_MAIN.get(scope, scope) in ROLE_PERMISSIONS.get(self.role or "", ()))

    def allows_deployment(self, name: str) -> bool:
        return self.deployments is None or name in self.deployments


class CreatedKey(KeyInfo):
    """A new key with its secret, which is shown only this once (the store keeps its sha256)."""

    key: str = Field(description="The secret; send it as Authorization: Bearer <key>")


class UserInfo(BaseModel):
    """A person or a service account (never its password hash); ``roles`` maps project to role."""

    id: int
    name: str
    email: str = ""
    kind: str = Field(description="user (a person, may log in to Studio) or service (owns keys only)")
    has_password: bool = False
    roles: dict[str, str] = Field(default_factory=dict, description="Role per project")
    created_at: dt.datetime
    created_by: str = ""
    deactivated_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.deactivated_at is None


class Membership(BaseModel):
    """A user's role in a project."""

    project: str
    user: str
    user_id: int
    role: str
    created_at: dt.datetime
    created_by: str = ""

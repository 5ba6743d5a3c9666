"""Schemas of the connections package: a connection as listed (never its secret), and what creates one."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["WIRE_FORMATS", "ConnectionCreate", "ConnectionInfo"]

WIRE_FORMATS = ("openai", "anthropic", "gemini")
"""The wire formats a connection can speak (``openai`` covers every OpenAI-compatible server)."""


class ConnectionCreate(BaseModel):
    """What an operator gives to create (or, with ``replace``, change) a connection."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="How deployments and models refer to it (variant.connection, config.connection)")
    provider: str = Field(description="Wire format: openai (any OpenAI-compatible server), anthropic or gemini")
    base_url: str | None = Field(default=None, description="Endpoint; default the provider's public one")
    secret_env: str | None = Field(default=None, description="Server environment variable holding the key")
    secret: str | None = Field(default=None, description="The key itself, stored on the server (never shown again)")
    description: str = ""
    replace: bool = Field(default=False, description="Change an existing connection of that name")


class ConnectionInfo(BaseModel):
    """A named provider connection as listed: endpoint and where its secret comes from, never the secret."""

    name: str
    provider: str
    base_url: str
    secret_env: str | None = Field(default=None, description="Environment variable the server reads the key from")
    has_secret: bool = Field(default=False, description="A key is stored on the server for this connection")
    description: str = ""
    created_at: dt.datetime
    created_by: str = ""

"""Schemas of the deployments package: the spec a version freezes, and what the service returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from genloop.refs import validate_name

__all__ = [
    "CacheSpec",
    "CircuitBreakerSpec",
    "DeploymentInfo",
    "DeploymentSpec",
    "RetrySpec",
    "VariantSpec",
]


class VariantSpec(BaseModel):
    """One way to answer: a prompt ref and/or a model ref, a weight, and parameter overrides.

    ``model`` is a registry ref (``tiny@champion``) or a provider model (``openai:gpt-4o-mini``); when
    left out, the prompt version's own model is used. ``connection`` names a provider connection an
    operator created (endpoint and credentials); ``base_url`` points an OpenAI-compatible model at a server
    of the deployment's choosing, which never receives a server-held credential.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", description="Variant name, shown on traces and in x-genloop-variant")
    prompt: str | None = Field(default=None, description="Prompt ref, e.g. support@production")
    model: str | None = Field(default=None, description="Model ref (tiny@champion) or provider:model")
    weight: float = Field(default=1.0, ge=0, description="Share of traffic, relative to the other variants")
    params: dict[str, Any] = Field(default_factory=dict, description="Overrides: temperature, max_tokens, ...")
    connection: str | None = Field(default=None, description="Named provider connection (endpoint and credentials, "
                                   "created by an operator: genloop connections create)")
    base_url: str | None = Field(default=None, description="OpenAI-compatible base URL for this variant; it gets no "
                                 "server credentials (use a connection for that)")
    api_key_env: str | None = Field(default=None, description="Refused: use a connection (kept so older versions load)")

    @model_validator(mode="after")
    def _needs_target(self) -> VariantSpec:
        if not self.prompt and not self.model:
            raise ValueError("a variant needs a prompt ref, a model ref, or both")
        if self.connection and self.base_url:
            raise ValueError("give a connection or a base_url, not both (the connection holds the endpoint)")
        return self


class RetrySpec(BaseModel):
    """Retries of one upstream before moving down the fallback chain (exponential backoff with jitter)."""

    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=2, ge=1, le=10, description="Tries per upstream, the first included")
    backoff_ms: float = Field(default=50, ge=0, description="Wait before the second try; doubles each time")
    max_backoff_ms: float = Field(default=2000, ge=0)


class CircuitBreakerSpec(BaseModel):
    """Stop calling an upstream after ``failures`` failures in a row, for ``cooldown_s`` seconds."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    failures: int = Field(default=5, ge=1)
    cooldown_s: float = Field(default=30, gt=0)


class CacheSpec(BaseModel):
    """Exact-match response cache (opt-in): identical non-streamed requests within ``ttl_s`` are served from memory."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    ttl_s: float = Field(default=300, gt=0)
    max_entries: int = Field(default=10_000, ge=1)


class DeploymentSpec(BaseModel):
    """Everything one deployment version serves; frozen when the version is created."""

    model_config = ConfigDict(extra="forbid")

    variants: list[VariantSpec] = Field(min_length=1)
    shadows: list[VariantSpec] = Field(default_factory=list, description="Get a copy of traffic; traced, never returned")
    fallbacks: list[VariantSpec] = Field(default_factory=list, description="Tried in order when a variant fails")
    retries: RetrySpec = Field(default_factory=RetrySpec)
    timeout_s: float = Field(default=60.0, gt=0, description="Limit of one upstream attempt")
    circuit_breaker: CircuitBreakerSpec = Field(default_factory=CircuitBreakerSpec)
    cache: CacheSpec = Field(default_factory=CacheSpec)
    guardrails: dict[str, Any] | None = Field(default=None, description="Guardrail policy (genloop.guardrails format)")

    @field_validator("variants", "shadows", "fallbacks")
    @classmethod
    def _name_variants(cls, value: list[VariantSpec], info: Any) -> list[VariantSpec]:
        prefix = {"variants": "v", "shadows": "shadow", "fallbacks": "fallback"}[info.field_name]
        seen: set[str] = set()
        for i, variant in enumerate(value):
            if not variant.name:
                variant.name = f"{prefix}{i + 1}"
            validate_name(variant.name, "variant name")
            if variant.name in seen:
                raise ValueError(f"variant name {variant.name!r} is used twice")
            seen.add(variant.name)
        return value

    @model_validator(mode="after")
    def _some_weight(self) -> DeploymentSpec:
        if sum(v.weight for v in self.variants) <= 0:
            raise ValueError("at least one variant needs a weight above 0")
        return self


class DeploymentInfo(DeploymentSpec):
    """One deployment version as the service returns it and the REST API sends it."""

    model_config = ConfigDict(extra="ignore")

    project: str
    name: str
    version: int
    description: str = ""
    message: str = ""
    content_hash: str
    created_at: dt.datetime
    created_by: str = ""

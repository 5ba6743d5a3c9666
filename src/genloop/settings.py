"""Every GenLoop setting, declared once. Each is read from a ``GENLOOP_*`` environment variable.

The README's configuration table lists each field; a test keeps the two in step.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from pydantic import Field
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
    cache_ttl: float = Field(
        default=1.0,
        ge=0,
        description="Seconds a resolved NAME@label stays cached in-process when another process may move it; "
        "changes made by this process invalidate at once.",
    )
    max_upload_mb: int = Field(
        default=4096,
        ge=1,
        description="Largest dataset file, in MiB, the REST server accepts in one upload.",
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

"""Pydantic schemas of the prompts package: what the service returns and the REST API sends.

Every schema is frozen: the SDK hands out cached instances (``client.prompts.get`` returns the same
object until the prompt changes), so treat their lists and dicts as read-only too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChatMessage",
    "FieldChange",
    "PromptDiff",
    "PromptInfo",
    "PromptVersion",
    "RenderedPrompt",
]

TemplateType = Literal["chat", "text"]


class ChatMessage(BaseModel):
    """One chat message: a role (``system``, ``user``, ``assistant``, ...) and its content."""

    model_config = ConfigDict(frozen=True)

    role: str
    content: str


class PromptVersion(BaseModel):
    """One immutable prompt version, with the labels that point at it now."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    name: str
    version: int
    template_type: TemplateType = Field(description="'chat' (messages) or 'text' (template)")
    messages: list[ChatMessage] | None = Field(default=None, description="Chat template: role + Jinja2 content")
    template: str | None = Field(default=None, description="Text template (Jinja2)")
    variables: list[str] = Field(default_factory=list, description="Variables the template uses, sorted")
    model: str | None = Field(default=None, description="Model reference: provider:model or a registry NAME@ref")
    params: dict[str, Any] = Field(default_factory=dict, description="Model parameters (temperature, max_tokens...)")
    response_schema: dict[str, Any] | None = Field(default=None, description="JSON Schema the response must match")
    message: str = Field(default="", description="Commit message (not part of the content identity)")
    content_hash: str
    labels: list[str] = Field(default_factory=list, description="Labels pointing at this version, sorted")
    created_at: dt.datetime
    created_by: str = ""

    @property
    def ref(self) -> str:
        """The concrete reference of this version, ``NAME@N``."""
        return f"{self.name}@{self.version}"


class PromptInfo(BaseModel):
    """A prompt in a listing: its latest version and its labels."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    latest_version: int | None = None
    labels: dict[str, int] = Field(default_factory=dict, description="Label -> version")
    created_at: dt.datetime
    created_by: str = ""
    updated_at: dt.datetime | None = Field(default=None, description="When the latest version was created")


class RenderedPrompt(BaseModel):
    """A prompt version rendered with variables, ready for a model call."""

    model_config = ConfigDict(frozen=True)

    ref: str = Field(description="The concrete version rendered, NAME@N")
    template_type: TemplateType
    messages: list[ChatMessage] | None = None
    text: str | None = None
    model: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    response_schema: dict[str, Any] | None = None
    content_hash: str


class FieldChange(BaseModel):
    """One field that differs between two versions (``messages[1].content``, ``params.temperature``)."""

    model_config = ConfigDict(frozen=True)

    field: str
    change: Literal["added", "removed", "changed"]
    before: Any = None
    after: Any = None


class PromptDiff(BaseModel):
    """The difference between two versions: field-level changes and a unified diff of their YAML."""

    model_config = ConfigDict(frozen=True)

    a: str = Field(description="Concrete ref of the first version, NAME@N")
    b: str = Field(description="Concrete ref of the second version, NAME@N")
    identical: bool = Field(description="Same content (the commit messages may differ)")
    changes: list[FieldChange] = Field(default_factory=list)
    unified: str = Field(default="", description="Unified diff of the two versions in prompt.yaml form")

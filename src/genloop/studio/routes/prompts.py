"""Studio pages: prompts."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

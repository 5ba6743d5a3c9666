"""REST routes for prompts (placeholder until its slice lands)."""

from fastapi import APIRouter

router = APIRouter(tags=["prompts"])

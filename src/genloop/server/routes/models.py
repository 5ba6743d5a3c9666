"""REST routes for models (placeholder until its slice lands)."""

from fastapi import APIRouter

router = APIRouter(tags=["models"])

"""REST routes for datasets (placeholder until its slice lands)."""

from fastapi import APIRouter

router = APIRouter(tags=["datasets"])

"""REST routes for runs (placeholder until its slice lands)."""

from fastapi import APIRouter

router = APIRouter(tags=["runs"])

"""REST routes for lineage (placeholder until its slice lands)."""

from fastapi import APIRouter

router = APIRouter(tags=["lineage"])

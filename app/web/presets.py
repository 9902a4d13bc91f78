"""Routes: presets (skeleton)."""

from fastapi import APIRouter

router = APIRouter()

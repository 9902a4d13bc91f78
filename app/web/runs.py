"""Routes: runs (skeleton)."""

from fastapi import APIRouter

router = APIRouter()

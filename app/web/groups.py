"""Routes: groups (skeleton)."""

from fastapi import APIRouter

router = APIRouter()

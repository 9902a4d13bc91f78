"""Routes: ws (skeleton)."""

from fastapi import APIRouter

router = APIRouter()

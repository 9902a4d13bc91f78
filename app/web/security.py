"""Security headers and the presenter token (skeleton)."""

from fastapi import FastAPI

from app.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Add the security middleware to app."""

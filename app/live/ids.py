"""Ids of runs and groups: 8 hex digits, random, shared by the REST paths and the websocket streams."""

import secrets


def new_id() -> str:
    return secrets.token_hex(4)

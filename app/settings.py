"""Server settings: typed, from GRADCAST_* environment variables or the command line, each with its reason."""

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def default_data_dir() -> Path:
    """A per-user data directory (XDG on Linux), so recorded runs outlive a checkout."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gradcast"


class Settings(BaseSettings):
    """Every knob of the server. Each field is documented in docs/configuration.md (a test checks)."""

    model_config = SettingsConfigDict(env_prefix="GRADCAST_", extra="ignore", validate_default=True)

    host: str = Field(
        "127.0.0.1", description="Address to bind. Loopback by default: nobody else can reach it."
    )
    port: int = Field(8000, ge=1, le=65535, description="TCP port to listen on.")
    lecture: bool = Field(
        False,
        description="Lecture mode: bind 0.0.0.0, require a presenter token for control, print presenter and viewer links.",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where recorded runs are kept (SQLite). Per-user by default; /data in the Docker image.",
    )
    presenter_token: SecretStr | None = Field(
        None,
        description="When set, every mutating route needs it (Bearer header or the presenter cookie). Never logged.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra Host names accepted on every HTTP request and websocket handshake, besides localhost, the "
        "machine's own names and any IP address (names can be rebound by DNS; digits cannot).",
    )
    max_running_runs: int = Field(
        default_factory=lambda: max(4, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="Runs training at once. One per core, but never fewer than 4 so a 4-run comparison always fits.",
    )
    max_runs: int = Field(
        64, ge=1, le=10_000, description="Runs kept in memory (any status) before creating more is refused."
    )
    max_params: int = Field(
        5_000_000,
        ge=1_000,
        description="Largest network (total parameters) a run may build: keeps a CPU responsive.",
    )
    max_steps: int = Field(1_000_000, ge=1, description="Upper bound on a run's max_steps.")
    display_fps: float = Field(
        30.0,
        gt=0,
        le=120,
        description="Frames per second sent to viewers at most; the steps between ride along compactly.",
    )
    history_points: int = Field(
        4000,
        ge=100,
        le=1_000_000,
        description="Step records kept per run in memory; older ones are downsampled.",
    )
    max_viewers: int = Field(
        500, ge=1, description="Websocket viewers per run or group; past it a viewer is refused (1013)."
    )
    viewer_queue: int = Field(
        64, ge=2, description="Frames buffered per viewer; a slow viewer loses the oldest first."
    )
    send_timeout: float = Field(
        5.0, gt=0, description="Seconds a send may block before the viewer is evicted as stalled."
    )
    ws_max_message: int = Field(
        65_536, ge=1024, description="Largest websocket message accepted from a client, in bytes."
    )
    ws_send_buffer: int = Field(
        65_536,
        ge=0,
        le=16_777_216,
        description="Kernel send buffer per websocket, in bytes (0: the OS's autotuning, up to 4 MB on Linux loopback):"
        " bounds what a stalled viewer holds, so send_timeout notices it within seconds.",
    )
    snapshot_points: int = Field(
        500,
        ge=10,
        le=1_000_000,
        description="Step records per run in a websocket snapshot (newest half dense, older thinned): a 10-layer"
        " record is ~2.8 kB of JSON, so 100 viewers joining at once do not each pull the whole history.",
    )
    replay_messages: int = Field(
        1024,
        ge=16,
        le=100_000,
        description="Messages kept per stream so a client reconnecting with ?since=SEQ gets exactly what it missed.",
    )
    switch_interval: float = Field(
        0.001,
        gt=0,
        le=0.1,
        description="Python's GIL switch interval, in s: shorter keeps the event loop responsive beside training threads.",
    )
    torch_threads: int = Field(
        1,
        ge=1,
        le=64,
        description="torch threads per training worker: more contend with the other runs and the server for "
        "the cores (docs/configuration.md has the figure).",
    )
    training_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="Niceness added to each training thread (Linux): the server's event loop and its websockets come "
        "first and training takes the CPU they leave. It orders threads within the server's session only; "
        "session_nice is what puts a browser started elsewhere first. 0 = the server's own priority.",
    )
    session_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="Niceness the server gives its session's scheduling group while it runs (Linux autogroups), "
        "restored when it stops. Linux shares the CPU between sessions before threads, so without it a browser "
        "started from the desktop gets only half the CPU against training whatever the threads' niceness "
        "(docs/configuration.md has the figures). 0 = leave the session alone.",
    )
    record: bool = Field(True, description="Record every run to SQLite in data_dir.")
    max_body_bytes: int = Field(
        4_000_000,
        ge=65_536,
        le=1_000_000_000,
        description="Largest request body, in bytes (the import route has its own cap): reading stops there with "
        "413. 4 MB is ~4,900 plain step records of a 10-layer network, far above what watch() sends at once.",
    )
    max_import_bytes: int = Field(
        16_000_000,
        ge=65_536,
        le=1_000_000_000,
        description="Largest JSON export accepted by POST /api/records/import, in bytes: parsing holds several times its "
        "size in memory for a moment. 16 MB holds ~19,600 plain step records of a 10-layer network.",
    )
    max_import_steps: int = Field(
        100_000,
        ge=1,
        le=10_000_000,
        description="Most step records in one import: past it the import is refused (422) before any is validated.",
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, v: object) -> object:
        """GRADCAST_ALLOWED_HOSTS may be a comma-separated list as well as JSON."""
        if isinstance(v, str) and not v.lstrip().startswith("["):
            return [h.strip() for h in v.split(",") if h.strip()]
        return v

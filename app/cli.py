"""The `gradcast` command: `gradcast serve [--host H] [--port P] [--lecture] [--data-dir PATH]`."""

import argparse
import ipaddress
import secrets
import sys
from pathlib import Path

from pydantic import SecretStr, ValidationError

from app import __version__
from app.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradcast", description="Live per-layer gradient dashboard.")
    parser.add_argument("--version", action="version", version=f"gradcast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the dashboard server (one process; runs live in its memory)")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1; --lecture binds 0.0.0.0)")
    serve.add_argument("--port", type=int, help="TCP port (default 8000)")
    serve.add_argument(
        "--lecture", action="store_true", default=None, help="presenter token + read-only viewer link"
    )
    serve.add_argument("--data-dir", type=Path, help="where recorded runs are kept")
    return parser


def load_settings(args: argparse.Namespace) -> Settings:
    """Environment (GRADCAST_*) first, command-line flags over it; --lecture implies 0.0.0.0 unless --host says."""
    overrides = {
        k: v
        for k, v in {
            "host": args.host,
            "port": args.port,
            "lecture": args.lecture,
            "data_dir": args.data_dir,
        }.items()
        if v is not None
    }
    settings = Settings(**overrides)
    if settings.lecture and args.host is None and "host" not in settings.model_fields_set:
        settings = settings.model_copy(update={"host": "0.0.0.0"})
    return settings


def _loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: reachable from this machine only."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _banner(settings: Settings, token_from_env: bool) -> str:
    shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    base = f"http://{shown}:{settings.port}"
    lines = [f"GradCast {__version__}: open {base}/"]
    if settings.lecture:
        from app.web.netinfo import lan_addresses

        hosts = lan_addresses() or [shown]
        viewer = [f"http://{h}:{settings.port}/follow" for h in hosts]
        lines.append("Viewer link for students (follows the presenter): " + "  ".join(viewer))
        if _loopback(settings.host):
            lines.append(
                f"WARNING: lecture mode is bound to {settings.host}, a loopback address: no phone or other"
                " computer can reach it, and the viewer link above will not open for students."
                " Use --host 0.0.0.0 (or leave --host out) so the room can connect."
            )
        if token_from_env:
            lines.append("Presenter token: taken from GRADCAST_PRESENTER_TOKEN (not shown).")
        elif settings.presenter_token is not None:
            token = settings.presenter_token.get_secret_value()
            lines.append(f"Presenter link (keep it private): {base}/?token={token}")
        lines += _lesson_lines(settings, base)
    return "\n".join(lines)


def _lesson_lines(settings: Settings, base: str) -> list[str]:
    """The lessons to give, each a link for the presenter's browser (after the presenter link): students need none,
    the viewer link follows the lesson step by step."""
    from app.lessons.library import LessonLibrary
    from app.lessons.service import LESSONS_SUBDIR

    entries = LessonLibrary(settings.data_dir / LESSONS_SUBDIR).entries()
    return [
        f"Lesson ({e.lesson.title.en}; open it after the presenter link, then → / ← or a clicker):"
        f" {base}/lessons/{e.lesson.id}"
        for e in entries
    ]


def serve(settings: Settings, token_from_env: bool) -> int:
    from app.main import create_app
    from app.web.server import run

    print(_banner(settings, token_from_env), flush=True)
    run(create_app(settings), settings)  # uvicorn with the options in app/web/server.py
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `gradcast` and `python -m app`."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args)
    except ValidationError as exc:
        for err in exc.errors():
            field = "GRADCAST_" + "_".join(str(p) for p in err["loc"]).upper()
            print(f"gradcast: bad setting {field}: {err['msg']} (got {err.get('input')!r})", file=sys.stderr)
        return 2
    token_from_env = settings.presenter_token is not None
    if settings.lecture and settings.presenter_token is None:
        settings = settings.model_copy(update={"presenter_token": SecretStr(secrets.token_urlsafe(24))})
    return serve(settings, token_from_env)

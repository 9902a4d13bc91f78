"""The `gradcast` command: the dashboard server, which needs the `server` extra (the client does not)."""

import sys


def main() -> int:
    try:
        from app.cli import main as serve
    except ModuleNotFoundError as exc:
        sys.stderr.write(
            f"gradcast: the dashboard server needs its own dependencies ({exc.name} is missing): "
            "pip install 'gradcast[server]'\n"
        )
        return 2
    return serve()


if __name__ == "__main__":
    sys.exit(main())

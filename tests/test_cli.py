"""The `gradcast` command: settings from flags and GRADCAST_* variables, fail-fast on bad ones, the banner."""

import os
import subprocess
import sys

import httpx
import pytest

from app.cli import _parser, load_settings
from tests.support.live import wait_until
from tests.support.server import free_port


def _settings(argv, monkeypatch, **env):
    for key in list(os.environ):
        if key.startswith("GRADCAST_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return load_settings(_parser().parse_args(["serve", *argv]))


def test_defaults_bind_loopback(monkeypatch):
    s = _settings([], monkeypatch)
    assert (s.host, s.port, s.lecture) == ("127.0.0.1", 8000, False)


def test_flags_override_environment(monkeypatch, tmp_path):
    s = _settings(["--port", "9001", "--data-dir", str(tmp_path)], monkeypatch, GRADCAST_PORT="9000")
    assert s.port == 9001 and s.data_dir == tmp_path


def test_environment_is_read(monkeypatch):
    s = _settings([], monkeypatch, GRADCAST_PORT="9002", GRADCAST_ALLOWED_HOSTS="lab.example, hall")
    assert s.port == 9002 and s.allowed_hosts == ["lab.example", "hall"]


def test_lecture_binds_all_interfaces_unless_host_given(monkeypatch):
    assert _settings(["--lecture"], monkeypatch).host == "0.0.0.0"
    assert _settings(["--lecture", "--host", "127.0.0.1"], monkeypatch).host == "127.0.0.1"


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"GRADCAST_PORT": "seventy"}, "GRADCAST_PORT"),
        ({"GRADCAST_PORT": "70000"}, "GRADCAST_PORT"),
        ({"GRADCAST_DISPLAY_FPS": "0"}, "GRADCAST_DISPLAY_FPS"),
    ],
)
def test_bad_setting_fails_fast_with_the_field_named(env, field):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADCAST_")}
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert field in result.stderr and "Traceback" not in result.stderr


def _serve(argv, env_extra=None, timeout=30.0):
    """Start `python -m app serve ...` and wait until /healthz answers; returns (process, port)."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADCAST_")}
    env = {**clean, "GRADCAST_RECORD": "false", **(env_extra or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout=timeout, interval=0.2)
    except AssertionError:
        proc.kill()
        raise AssertionError(
            "server did not answer /healthz: " + (proc.stdout.read() if proc.stdout else "")
        ) from None
    return proc, port


def test_serve_prints_the_url_and_answers(tmp_path):
    proc, port = _serve(["--data-dir", str(tmp_path)])
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
        assert health["status"] == "ok" and health["version"]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in out
    # uvicorn shuts down cleanly, then re-raises SIGTERM so the exit status tells how it ended.
    assert "Application shutdown complete" in out
    assert proc.returncode in (0, -15)


def test_lecture_banner_shows_presenter_link_but_never_an_env_token(tmp_path):
    proc, port = _serve(["--lecture", "--host", "127.0.0.1", "--data-dir", str(tmp_path)])
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    assert "Presenter link" in out and "?token=" in out and "viewer" in out.lower()
    assert f":{port}/follow" in out  # the one stable link of the lecture
    assert "WARNING" in out and "loopback" in out  # 127.0.0.1: no phone can reach it

    secret = "s3cret-from-env-0123456789"
    proc, port = _serve(
        ["--lecture", "--host", "127.0.0.1", "--data-dir", str(tmp_path)],
        {"GRADCAST_PRESENTER_TOKEN": secret},
    )
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    assert secret not in out and "GRADCAST_PRESENTER_TOKEN" in out


def test_lecture_banner_warns_only_on_loopback():
    from app.cli import _banner
    from app.settings import Settings

    for host in ("127.0.0.1", "::1", "localhost", "127.0.1.1"):
        assert "loopback" in _banner(Settings(lecture=True, host=host), True), host
    assert "WARNING" not in _banner(Settings(lecture=True, host="0.0.0.0"), True)
    assert "WARNING" not in _banner(Settings(lecture=False, host="127.0.0.1"), True)


def test_lecture_banner_links_every_lesson(tmp_path):
    from app.cli import _banner
    from app.lessons.builtin import VANISHING_GRADIENT
    from app.lessons.files import dump
    from app.settings import Settings

    own = VANISHING_GRADIENT.model_copy(update={"id": "my-own-lesson"})
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "my-own-lesson.json").write_text(dump(own, "json"), encoding="utf-8")
    out = _banner(Settings(lecture=True, host="0.0.0.0", port=8123, data_dir=tmp_path), True)
    lessons = [line for line in out.splitlines() if line.startswith("Lesson")]
    assert [line.rsplit(" ", 1)[-1] for line in lessons] == [
        "http://127.0.0.1:8123/lessons/vanishing-gradient",  # built in
        "http://127.0.0.1:8123/lessons/my-own-lesson",  # the lecturer's file in <data dir>/lessons
    ]
    assert "Lesson" not in _banner(Settings(lecture=False, data_dir=tmp_path), True)

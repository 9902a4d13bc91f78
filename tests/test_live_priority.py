"""The server's session yields the CPU to other sessions (a browser) while the server runs, and only then."""

import pytest
from fastapi.testclient import TestClient

from app.live import priority
from app.main import create_app
from app.settings import Settings

BASE = priority.session_nice()
pytestmark = [
    pytest.mark.skipif(BASE is None, reason="no Linux autogroup for this process (/proc/self/autogroup)"),
    pytest.mark.skipif(
        BASE is not None and BASE + 4 > 19, reason="this session is already at the lowest priority"
    ),
]


@pytest.fixture(autouse=True)
def _put_back():
    """A failing test must not leave the session (the whole test run) at a lower priority."""
    yield
    if priority.session_nice() != BASE:
        priority._set_session_nice(BASE)


def test_a_running_server_lowers_its_session_and_restores_it_when_it_stops(tmp_path):
    settings = Settings(data_dir=tmp_path, record=False, session_nice=BASE + 3)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert priority.session_nice() == BASE + 3
    assert priority.session_nice() == BASE


def test_the_last_of_several_servers_restores_it():
    first = priority.lower_session_priority(BASE + 2)
    second = priority.lower_session_priority(
        BASE + 4
    )  # the session is already lowered: left as the first set it
    assert priority.session_nice() == BASE + 2
    first()
    first()  # a second call changes nothing
    assert priority.session_nice() == BASE + 2  # the second server still runs
    second()
    assert priority.session_nice() == BASE


def test_zero_or_a_session_already_lower_is_left_alone():
    priority.lower_session_priority(0)()
    assert priority.session_nice() == BASE
    assert priority._set_session_nice(BASE + 4)  # lowered by someone else (say, `nice` or the user)
    restore = priority.lower_session_priority(BASE + 1)
    assert priority.session_nice() == BASE + 4
    restore()
    assert priority.session_nice() == BASE + 4  # not "restored" to anything

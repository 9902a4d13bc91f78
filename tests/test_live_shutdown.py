"""SIGTERM on a real `python -m app serve` while a run trains and a viewer watches: 1001, exit within 5 s."""

import signal
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.live import SMALL, recv_json
from tests.support.server import server_process


@pytest.mark.slow
@pytest.mark.parametrize("record", ["false", "true"])
def test_sigterm_stops_runs_closes_sockets_with_1001_and_exits_fast(tmp_path, record):
    with server_process(tmp_path, env={"GRADCAST_RECORD": record}) as srv, srv.client() as c:
        rid = c.post("/api/runs", json={**SMALL, "steps_per_second": 20, "max_steps": 100_000}).json()["id"]
        gid = c.post("/api/presets/sigmoid-vs-relu-vs-leaky-relu/runs", json={"steps_per_second": 0}).json()[
            "group"
        ]
        with (
            connect(f"{srv.ws_url}/ws/runs/{rid}") as ws,
            connect(f"{srv.ws_url}/ws/groups/{gid}") as group_ws,
        ):
            recv_json(ws), recv_json(ws), recv_json(group_ws)  # snapshot and a frame: training
            start = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            codes = []
            for sock in (ws, group_ws):
                with pytest.raises(ConnectionClosed) as info:
                    for _ in range(10_000):
                        sock.recv(timeout=5)
                codes.append((info.value.rcvd.code, info.value.rcvd.reason))
            srv.proc.wait(10)
            elapsed = time.monotonic() - start
    assert codes == [(1001, "server shutting down")] * 2
    assert elapsed < 5.0, f"exit took {elapsed:.2f} s"
    assert srv.proc.returncode is not None

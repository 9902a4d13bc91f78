"""Reading a finished external run back from a live server, with a bounded wait."""

import time


def finished_run(srv, name: str, seconds: float = 15) -> dict:
    """GET /api/runs/{id} of the run called `name` once it has ended (fails after `seconds`)."""
    deadline = time.monotonic() + seconds
    with srv.client() as http:
        while True:
            found = [r for r in http.get("/api/runs").json() if r["name"] == name]
            if found and found[0]["status"] != "running":
                return http.get(f"/api/runs/{found[0]['id']}").json()
            assert time.monotonic() < deadline, f"run {name!r} did not end within {seconds} s: {found}"
            time.sleep(0.05)

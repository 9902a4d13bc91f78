"""Reading a finished external run back from a live server, with a bounded wait."""

from tests.support.live import wait_until


def finished_run(srv, name: str, seconds: float = 15) -> dict:
    """GET /api/runs/{id} of the run called `name` once it has ended (fails after `seconds`)."""
    with srv.client() as http:
        rid = wait_until(
            lambda: (
                (found := [r for r in http.get("/api/runs").json() if r["name"] == name])
                and found[0]["status"] != "running"
                and found[0]["id"]
            ),
            timeout=seconds,
        )
        return http.get(f"/api/runs/{rid}").json()

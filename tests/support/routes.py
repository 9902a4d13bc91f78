"""What the OpenAPI document of a running app lists."""


def assert_documented(client, *paths: str) -> None:
    """Every path is a route of GET /openapi.json (the routes people read in /docs)."""
    documented = client.get("/openapi.json").json()["paths"]
    missing = [p for p in paths if p not in documented]
    assert not missing, f"not in the OpenAPI document: {missing}"

"""The web layer: routers, websockets, security. Knows the run manager; the ML core knows nothing of it."""

"""The machine's own addresses: the viewer link students type, and the Host allowlist for websockets."""

import socket


def lan_addresses() -> list[str]:
    """Non-loopback IPv4 addresses this machine's name resolves to."""
    found: list[str] = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addr = str(info[4][0])
            if addr not in found and not addr.startswith("127."):
                found.append(addr)
    except OSError:
        pass
    return [a for a in found if not a.startswith("127.")]


def own_host_names() -> set[str]:
    """Names and addresses by which this machine may be addressed in a Host header."""
    names = {"localhost", "127.0.0.1", "::1", "[::1]", socket.gethostname()}
    names.update(lan_addresses())
    return names

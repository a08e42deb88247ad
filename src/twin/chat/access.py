"""Who may talk to `twin serve`: this machine alone, or holders of a token."""

from __future__ import annotations

import ipaddress
import secrets

from twin.errors import TwinError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8642


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token."""
    if not is_loopback(host) and not token:
        raise TwinError(
            f"listening on {host} lets other machines talk to your twin: a token is required "
            "(--token, or let `twin serve` make one)"
        )


def new_token() -> str:
    return secrets.token_urlsafe(24)

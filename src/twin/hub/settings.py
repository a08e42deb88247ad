"""The hub's settings, in one class; it refuses an unsafe combination instead of guessing."""

from __future__ import annotations

import ipaddress

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    """Whether an address or host name stays on this machine."""
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class HubSettings(BaseSettings):
    """How the hub runs; each field can be set as ``TWIN_HUB_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="TWIN_HUB_", extra="ignore")

    host: str = "127.0.0.1"
    """Address to listen on; anything but loopback needs ``lan``."""
    port: int = 8765
    """Port to listen on (0: any free port)."""
    lan: bool = False
    """Serve the home network: HTTPS, paired devices, Host check on the machine's names."""
    idle_minutes: float = 15.0
    """A browser session locks again after this long without a request."""
    allowed_hosts: list[str] = []
    """Extra names the Host header may carry (the machine's name is added under ``lan``)."""
    open_browser: bool = True
    """Open the hub's address in a browser when one is available."""
    pairing_minutes: float = 10.0
    """How long a pairing code stays valid."""
    max_upload_mb: int = 2048
    """The largest export an upload may be."""

    @model_validator(mode="after")
    def refuse_unsafe(self) -> HubSettings:
        if not self.lan and not is_loopback(self.host):
            raise ValueError(
                f"listening on {self.host} reaches other machines: use --lan, which turns on "
                "HTTPS and device pairing"
            )
        if self.idle_minutes <= 0:
            raise ValueError("idle_minutes must be positive")
        return self

    @property
    def scheme(self) -> str:
        return "https" if self.lan else "http"

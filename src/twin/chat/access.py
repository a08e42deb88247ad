"""Who may talk to `twin serve`: this machine alone, or, over HTTPS, holders of a token.

On 127.0.0.1 (or ``localhost``, ``::1``) the API is plain HTTP for this machine only. On any
other address, 127.0.0.2 included, it requires a token, serves HTTPS only with a self-signed
certificate made on first use (its SHA-256 fingerprint is printed, so a client can pin it),
and slows down each client that sends wrong tokens.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import ipaddress
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from twin.atomic import write_file
from twin.errors import TwinError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8642
THIS_MACHINE = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine's own default address, reachable from it alone.

    Other loopback addresses (127.0.0.2…) are treated as another machine's: they are what
    tests and containers use to stand for one.
    """
    return host in THIS_MACHINE


def check_listen(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token."""
    if not is_loopback(host) and not token:
        raise TwinError(
            f"listening on {host} lets other machines talk to your twin: a token is required "
            "(--token, or let `twin serve` make one)"
        )


def new_token() -> str:
    return secrets.token_urlsafe(24)


def allowed_hosts(host: str) -> list[str]:
    """Host header values a request may carry: the address listened on and this machine's names.

    Anything else (a web page whose name was pointed at this address) is refused.
    """
    names = {host.strip("[]"), "127.0.0.1", "localhost", "::1"}
    try:
        unspecified = ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        unspecified = False
    if unspecified:
        names.add(socket.gethostname())
        names.add(socket.getfqdn())
        with contextlib.suppress(OSError):
            names.update(str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None))
    return sorted(names)


@dataclass(frozen=True)
class Certificate:
    """The server's self-signed certificate and key files, and the fingerprint to pin."""

    cert: Path
    key: Path
    fingerprint: str
    """SHA-256 of the certificate (DER), as colon-separated hex."""


def _fingerprint(pem: bytes) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def ensure_certificate(
    folder: Path, host: str | Iterable[str], *, name: str = "serve"
) -> Certificate:
    """The certificate in `folder`, made on first use (ECDSA P-256, valid ten years).

    It names `host` (one or several addresses and host names), localhost, this machine's name
    and 127.0.0.1. `name` tells the servers apart: ``serve`` for `twin serve`, ``hub`` for the hub.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert_path, key_path = folder / f"{name}-cert.pem", folder / f"{name}-key.pem"
    if cert_path.is_file() and key_path.is_file():
        return Certificate(cert_path, key_path, _fingerprint(cert_path.read_bytes()))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName(socket.gethostname())]
    hosts = {host} if isinstance(host, str) else set(host)
    for address in sorted({h.strip("[]") for h in hosts} | {"127.0.0.1"}):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            names.append(x509.DNSName(address))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"twin {name}")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    for path, data in ((key_path, key_pem), (cert_path, cert_pem)):

        def write(tmp: Path, data: bytes = data) -> None:
            tmp.write_bytes(data)

        write_file(path, write)
    os.chmod(key_path, 0o600)
    return Certificate(cert_path, key_path, _fingerprint(cert_pem))


@dataclass
class SlowDown:
    """Failed token attempts per client: each failure doubles the wait before the next try."""

    free: int = 3
    """Wrong tokens a client may send before it must wait (a typo is not an attack)."""
    first: float = 0.5
    """Seconds a client waits after its first wrong token beyond the free ones."""
    longest: float = 60.0
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_left(self, client: str) -> float:
        """Seconds before `client` may try again (0 when it may now)."""
        with self._lock:
            _, until = self._failures.get(client, (0, 0.0))
        return max(0.0, until - time.monotonic())

    def failed(self, client: str) -> None:
        with self._lock:
            count, _ = self._failures.get(client, (0, 0.0))
            count += 1
            wait = (
                0.0
                if count < self.free
                else min(self.longest, self.first * 2 ** (count - self.free))
            )
            self._failures[client] = (count, time.monotonic() + wait)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

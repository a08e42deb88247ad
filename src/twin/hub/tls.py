"""The hub's self-signed HTTPS certificate for the home network, made on first start.

The same certificate maker as `twin serve` (`twin.chat.access.ensure_certificate`), under the
hub's own name and folder.
"""

from __future__ import annotations

from pathlib import Path

from twin.chat.access import ensure_certificate


def certificate(folder: Path, names: set[str]) -> tuple[Path, Path, str]:
    """The certificate and key files (made if missing) and the certificate's SHA-256 fingerprint."""
    made = ensure_certificate(folder, names, name="hub")
    return made.cert, made.key, made.fingerprint


def fingerprint(cert_path: Path) -> str:
    """SHA-256 of the certificate, as browsers show it (AA:BB:…)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))

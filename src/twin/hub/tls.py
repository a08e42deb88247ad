"""The hub's self-signed HTTPS certificate for the home network, made on first start."""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
from pathlib import Path

from twin.atomic import write_text


def certificate(folder: Path, names: set[str]) -> tuple[Path, Path, str]:
    """The certificate and key files (made if missing) and the certificate's SHA-256 fingerprint."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    cert_path, key_path = folder / "hub-cert.pem", folder / "hub-key.pem"
    if not (cert_path.is_file() and key_path.is_file()):
        key = ec.generate_private_key(ec.SECP256R1())
        alternatives: list[x509.GeneralName] = []
        for name in sorted(names | {"localhost", socket.gethostname()}):
            try:
                alternatives.append(x509.IPAddress(ipaddress.ip_address(name.strip("[]"))))
            except ValueError:
                alternatives.append(x509.DNSName(name))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "twin hub")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
            .sign(key, hashes.SHA256())
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as stream:
            stream.write(pem)
        write_text(cert_path, cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    return cert_path, key_path, fingerprint(cert_path)


def fingerprint(cert_path: Path) -> str:
    """SHA-256 of the certificate, as browsers show it (AA:BB:…)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))

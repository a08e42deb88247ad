"""Paths to the small exports the vault tests collect."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twin.home import Home

FIXTURES = Path(__file__).parent.parent / "fixtures" / "vault"
ANN = FIXTURES / "WhatsApp Chat with Ann.txt"
ANN_LATER = FIXTURES / "later" / "WhatsApp Chat with Ann.txt"
BO = FIXTURES / "WhatsApp Chat with Bo.txt"


def decrypted_pages(home: Home, passphrase: str) -> bytes:
    """Every page of the vault file (and its write-ahead log, if any) decrypted, concatenated.

    SQLCipher 4 with a raw key: AES-256-CBC per 4096-byte page, the IV in the page's last
    80 reserved bytes, the first 16 bytes of the file a salt. This reads what an attacker who
    had the key would find on disk, free pages included.
    """
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from twin.vault.key import KeySettings

    key = KeySettings.load(home.key_settings).derive(passphrase)
    page_size, reserve = 4096, 80
    data = home.vault.read_bytes()
    plain = bytearray()
    for offset in range(0, len(data), page_size):
        page = data[offset : offset + page_size]
        iv = page[page_size - reserve : page_size - reserve + 16]
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        start = 16 if offset == 0 else 0
        plain += decryptor.update(page[start : page_size - reserve]) + decryptor.finalize()
    return bytes(plain)

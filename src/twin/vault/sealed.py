"""Files sealed with AES-256-GCM under keys derived from the vault key.

Everything twin derives from your records (datasets, the redaction review, training adapters
and checkpoints, backups) is kept in sealed files, never in the clear. A sealed file is::

    magic "TWINSEAL" · version (1 byte) · file id (16 random bytes)
    · label length (2 bytes) · label (UTF-8) · chunks

Its key is HKDF-SHA256 of the vault key with the file id as salt and the label as info, so
every file has its own key and a file moved to another label does not open. The plaintext is
cut into chunks of `CHUNK` bytes, each encrypted with a nonce made of its index and a flag set
on the last one (the STREAM construction): a truncated, reordered or altered file fails to open
instead of yielding part of its contents. Contents are decrypted into memory only.
"""

from __future__ import annotations

import io
import os
import secrets
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from twin.atomic import write_file
from twin.errors import TwinError

MAGIC = b"TWINSEAL"
VERSION = 1
CHUNK = 1 << 16
TAG = 16
SUFFIX = ".sealed"


def derive_key(vault_key: bytes, label: str, salt: bytes = b"") -> bytes:
    """A 256-bit key for one purpose, derived from the vault key."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt or None, info=b"twin/" + label.encode()
    ).derive(vault_key)


def _nonce(index: int, last: bool) -> bytes:
    return struct.pack(">QI", index, 1 if last else 0)


def _header(file_id: bytes, label: str) -> bytes:
    raw = label.encode("utf-8")
    return MAGIC + bytes([VERSION]) + file_id + struct.pack(">H", len(raw)) + raw


class SealedWriter(io.RawIOBase):
    """A write-only stream that seals what is written to it into `out`."""

    def __init__(self, out: IO[bytes], vault_key: bytes, label: str) -> None:
        super().__init__()
        file_id = secrets.token_bytes(16)
        self._out = out
        self._header = _header(file_id, label)
        self._aead = AESGCM(derive_key(vault_key, "sealed/" + label, file_id))
        self._buffer = bytearray()
        self._index = 0
        out.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._buffer += data
        if len(self._buffer) > CHUNK:
            view, start = memoryview(self._buffer), 0
            while len(self._buffer) - start > CHUNK:  # keep one chunk back: it may be the last
                self._emit(bytes(view[start : start + CHUNK]), last=False)
                start += CHUNK
            view.release()
            del self._buffer[:start]  # one move per write, not one per chunk
        return len(data)

    def _emit(self, chunk: bytes, last: bool) -> None:
        self._out.write(self._aead.encrypt(_nonce(self._index, last), chunk, self._header))
        self._index += 1

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


def read_header(stream: IO[bytes], where: str) -> tuple[bytes, str, bytes]:
    """(file id, label, raw header) of a sealed stream."""
    start = stream.read(len(MAGIC) + 1 + 16 + 2)
    if len(start) < len(MAGIC) + 19 or not start.startswith(MAGIC):
        raise TwinError(f"{where}: not a sealed twin file")
    if start[len(MAGIC)] != VERSION:
        raise TwinError(f"{where}: sealed with a newer twin (format {start[len(MAGIC)]})")
    file_id = start[len(MAGIC) + 1 : len(MAGIC) + 17]
    (size,) = struct.unpack(">H", start[-2:])
    raw = stream.read(size)
    return file_id, raw.decode("utf-8", "replace"), start + raw


def open_chunks(
    stream: IO[bytes], vault_key: bytes, label: str | None, where: str
) -> Iterator[bytes]:
    """The plaintext chunks of a sealed stream; `label` None accepts any label."""
    file_id, found, header = read_header(stream, where)
    if label is not None and found != label:
        raise TwinError(f"{where}: sealed as {found!r}, not {label!r}")
    aead = AESGCM(derive_key(vault_key, "sealed/" + found, file_id))
    index = 0
    block = stream.read(CHUNK + TAG)
    while True:
        following = stream.read(CHUNK + TAG) if len(block) == CHUNK + TAG else b""
        last = not following
        try:
            yield aead.decrypt(_nonce(index, last), block, header)
        except InvalidTag:
            raise TwinError(
                f"{where}: cannot be opened with this vault's key (damaged, cut short, or "
                "sealed by another vault)"
            ) from None
        if last:
            return
        block, index = following, index + 1


class SealedReader(io.RawIOBase):
    """A read-only stream over the plaintext of a sealed stream (for tar and big files)."""

    def __init__(self, stream: IO[bytes], vault_key: bytes, label: str | None, where: str):
        super().__init__()
        self._chunks = open_chunks(stream, vault_key, label, where)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            if not self._pending:
                continue
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@dataclass(frozen=True)
class Sealer:
    """Seals and opens files in the twin home with keys derived from the vault key."""

    vault_key: bytes

    def seal_bytes(self, path: Path, label: str, data: bytes) -> None:
        """Write `data` sealed to `path`, atomically (a crash leaves the old file or the new)."""

        def write(tmp: Path) -> None:
            with tmp.open("wb") as out, SealedWriter(out, self.vault_key, label) as sealed:
                sealed.write(data)

        write_file(path, write)

    def seal_text(self, path: Path, label: str, text: str) -> None:
        self.seal_bytes(path, label, text.encode("utf-8"))

    def open_bytes(self, path: Path, label: str | None = None) -> bytes:
        """The plaintext of sealed file `path`, in memory."""
        try:
            with path.open("rb") as stream:
                return b"".join(open_chunks(stream, self.vault_key, label, str(path)))
        except FileNotFoundError:
            raise TwinError(f"{path}: missing") from None

    def open_text(self, path: Path, label: str | None = None) -> str:
        return self.open_bytes(path, label).decode("utf-8")

    def reseal(self, path: Path, new: Sealer, out: Path) -> None:
        """Write `path`'s contents to `out`, sealed under `new`'s key with the same label."""
        with path.open("rb") as stream:
            _, label, _ = read_header(stream, str(path))

        def write(tmp: Path) -> None:
            with (
                path.open("rb") as source,
                tmp.open("wb") as target,
                SealedWriter(target, new.vault_key, label) as sealed,
            ):
                for chunk in open_chunks(source, self.vault_key, label, str(path)):
                    sealed.write(chunk)

        write_file(out, write)


def sealed_files(root: Path) -> list[Path]:
    """Every sealed file under `root`, in a stable order.

    Hidden folders are left out: they hold work cut short (a build's staging folder, a
    passphrase change's copies), thrown away or finished by the next run.
    """
    if not root.is_dir():
        return []
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        found += [Path(folder) / name for name in names if name.endswith(SUFFIX)]
    return sorted(found)


class SealedTextFile(io.TextIOWrapper):
    """A new sealed text file at `path`, written as a stream; `sha256` hashes the plaintext.

    Nothing is renamed into place: use it inside a staging folder that is swapped in whole.
    """

    def __init__(self, path: Path, vault_key: bytes, label: str) -> None:
        import hashlib

        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self._sealed = SealedWriter(self._file, vault_key, label)
        digest, sealed = self._digest, self._sealed

        class _Hashing(io.RawIOBase):
            def writable(self) -> bool:
                return True

            def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
                digest.update(data)
                return sealed.write(data)

        buffered = io.BufferedWriter(_Hashing(), CHUNK)  # type: ignore[type-var]
        super().__init__(buffered, encoding="utf-8", newline="\n")

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._sealed.close()
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()


@contextmanager
def open_sealed_text(path: Path, vault_key: bytes, label: str | None) -> Iterator[io.TextIOWrapper]:
    """Read a sealed text file as a stream of lines, without holding it all in memory."""
    with path.open("rb") as stream:
        reader = SealedReader(stream, vault_key, label, str(path))
        with io.TextIOWrapper(
            io.BufferedReader(reader, CHUNK), encoding="utf-8", newline="\n"
        ) as text:
            yield text


def memory_views_work() -> bool:
    """Whether `opened_in_memory` works here (Linux: ``memfd_create`` and ``/proc``)."""
    return hasattr(os, "memfd_create") and Path(f"/proc/{os.getpid()}/fd").is_dir()


@contextmanager
def opened_in_memory(path: Path, vault_key: bytes, label: str, name: str) -> Iterator[Path]:
    """A path under which the plaintext of sealed file `path` can be read, held in memory only.

    For code that reads files by path (importers): the plaintext goes into an anonymous
    in-memory file (``memfd_create``), never onto a disk, and the path yielded is a link
    named `name` (so a reader sees the original file name) in a fresh owner-only folder beside
    `path`. Both are gone when the block ends, or with the process if it is killed. A reader
    that resolves the link to its target's name (rather than opening it) does not find it.
    """
    import tempfile

    fd = os.memfd_create(f"twin-{Path(name).name}", os.MFD_CLOEXEC)
    folder = Path(tempfile.mkdtemp(prefix=".open-", dir=path.parent))
    try:
        with os.fdopen(os.dup(fd), "wb") as plain, path.open("rb") as stream:
            for chunk in open_chunks(stream, vault_key, label, str(path)):
                plain.write(chunk)
        link = folder / Path(name).name
        link.symlink_to(f"/proc/{os.getpid()}/fd/{fd}")
        yield link
    finally:
        os.close(fd)
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()

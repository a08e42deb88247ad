"""An app's SQLite database as of its last commit, read into memory: no copy on disk, no write.

An app that is running (Messages, a browser, Signal Desktop) keeps its newest commits in the
database's write-ahead log (``chat.db-wal``) until it checkpoints them into the file. Reading
the file alone, as SQLite's ``immutable`` mode does, misses them; opening it normally writes to
the app's ``-shm`` file and can checkpoint the app's log. Here the file and its log are read as
bytes, the log's committed frames (each checked by its salt and checksum, as SQLite's own
recovery checks them) are laid over the file's pages, and the result is handed to SQLite as an
in-memory database (`sqlite3.Connection.deserialize`). Nothing is written anywhere: not beside
the app's files, not to a temporary folder.
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

from twin.errors import BadInput

WAL_HEADER = 32
FRAME_HEADER = 24
_WAL_BYTE_ORDER = {0x377F0682: "<", 0x377F0683: ">"}
"""A log's magic number says in which byte order its checksums add up its words."""
ATTEMPTS = 5
"""Reads of a log the app restarts (after a checkpoint) while it is read, before giving up."""


def _checksum(data: bytes | memoryview, order: str, s0: int, s1: int) -> tuple[int, int]:
    """SQLite's write-ahead log checksum of `data`, carried on from `(s0, s1)`."""
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def committed_frames(wal: bytes) -> tuple[int, list[tuple[int, int]], int]:
    """The log's page size, its committed frames as ``(page number, offset of the page)`` in log
    order, and the database's size in pages after the last commit (0: nothing committed).

    Frames after the last commit (a transaction still being written), frames of an earlier
    generation of the log (another salt) and frames whose checksum fails are not committed.
    """
    if len(wal) < WAL_HEADER:
        return 0, [], 0
    magic, _version, page_size, _sequence, salt1, salt2, c1, c2 = struct.unpack(">8I", wal[:32])
    order = _WAL_BYTE_ORDER.get(magic)
    if order is None or not 512 <= page_size <= 65536 or page_size & (page_size - 1):
        return 0, [], 0
    sums = _checksum(wal[:24], order, 0, 0)
    if sums != (c1, c2):
        return 0, [], 0
    view = memoryview(wal)
    frames: list[tuple[int, int]] = []
    committed, size = 0, 0
    offset = WAL_HEADER
    while offset + FRAME_HEADER + page_size <= len(wal):
        number, commit, s1, s2, f1, f2 = struct.unpack(">6I", view[offset : offset + 24])
        if (s1, s2) != (salt1, salt2) or number == 0:
            break
        sums = _checksum(view[offset : offset + 8], order, *sums)
        page = offset + FRAME_HEADER
        sums = _checksum(view[page : page + page_size], order, *sums)
        if sums != (f1, f2):
            break
        frames.append((number, page))
        if commit:
            committed, size = len(frames), commit
        offset = page + page_size
    return page_size, frames[:committed], size


def _salts(wal_path: Path) -> bytes:
    """The log's salts, which change whenever the app restarts it; b"" when there is no log."""
    try:
        with wal_path.open("rb") as stream:
            return stream.read(WAL_HEADER)[16:24]
    except FileNotFoundError:
        return b""


def _read(path: Path) -> bytearray:
    """The whole file, read straight into one buffer (a database can be gigabytes)."""
    with path.open("rb") as stream:
        buffer = bytearray(path.stat().st_size)
        read = stream.readinto(buffer)
        del buffer[read:]
        if extra := stream.read():  # it grew while read
            buffer += extra
    return buffer


def database_image(path: Path, label: str) -> bytearray:
    """The bytes of the database at `path` as of its last commit, its log's frames laid in.

    The file is read before its log, and both again when the app restarted the log meanwhile:
    frames of the log read are then at least as new as every page of the file read.
    """
    wal_path = path.with_name(path.name + "-wal")
    for _ in range(ATTEMPTS):
        salts = _salts(wal_path)
        main = _read(path)
        try:
            wal = wal_path.read_bytes() if salts else b""
        except FileNotFoundError:  # checkpointed and removed meanwhile: the file is whole
            wal = b""
        if wal[16:24] == salts:
            return _lay_in(main, wal, label)
    raise BadInput(label, "the app keeps restarting its write-ahead log; quit it and try again")


def _lay_in(image: bytearray, wal: bytes, label: str) -> bytearray:
    """`image` (the file's bytes) with the log's committed pages written over it, in place."""
    page_size, frames, size = committed_frames(wal)
    if not frames:
        return _without_wal_mode(image)
    if len(image) >= 18:
        (declared,) = struct.unpack(">H", image[16:18])
        if (65536 if declared == 1 else declared) != page_size:
            raise BadInput(label, "its write-ahead log does not belong to it (another page size)")
    if size * page_size > len(image) + len(wal):
        raise BadInput(label, "a damaged write-ahead log (it claims more pages than it holds)")
    if len(image) > size * page_size:
        del image[size * page_size :]  # the last commit made the database smaller
    else:
        image.extend(bytes(size * page_size - len(image)))
    for number, offset in frames:
        if number <= size:
            start = (number - 1) * page_size
            image[start : start + page_size] = wal[offset : offset + page_size]
    return _without_wal_mode(image)


def _without_wal_mode(image: bytearray) -> bytearray:
    """The image marked as a rollback-journal database: an in-memory one has no log."""
    if len(image) >= 20 and image[18:20] == b"\x02\x02":
        image[18:20] = b"\x01\x01"
    return image


def in_memory(image: bytearray) -> sqlite3.Connection:
    """A read-only SQLite connection to a database image held in memory."""
    db = sqlite3.connect(":memory:")
    try:
        db.deserialize(image)
        db.execute("PRAGMA query_only = ON")
    except sqlite3.Error:
        db.close()
        raise
    return db

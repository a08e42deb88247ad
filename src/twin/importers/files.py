"""Reading untrusted export files safely: plain files, folders and zip archives read in place."""

from __future__ import annotations

import codecs
import hashlib
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from twin.errors import BadInput
from twin.importers.sqlite_image import WAL_HEADER, database_image, in_memory

MAX_UNCOMPRESSED_BYTES = 8 * 1024**3
"""Largest total size an archive may expand to."""
MAX_COMPRESSION_RATIO = 200
"""Largest expansion ratio for a member over 1 MiB; zip bombs go far above it."""


class SourceFile:
    """An export the user pointed at: a file, a folder or a zip archive (never extracted)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise BadInput(self.path, "no such file or folder")
        self._zip: zipfile.ZipFile | None = None
        if self.path.is_file() and zipfile.is_zipfile(self.path):
            self._zip = self._open_zip()
        elif self.path.is_file() and self.head(4) == b"PK\x03\x04":
            raise BadInput(self.path, "a zip archive that cannot be read; is it cut short?")

    @property
    def is_zip(self) -> bool:
        return self._zip is not None

    @property
    def is_dir(self) -> bool:
        return self.path.is_dir()

    def _open_zip(self) -> zipfile.ZipFile:
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as error:
            raise BadInput(self.path, f"not a readable zip archive ({error})") from None
        total = 0
        for info in archive.infolist():
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or info.filename[1:2] == ":":
                raise BadInput(self.path, f"archive member has an unsafe path: {info.filename!r}")
            total += info.file_size
            ratio = info.file_size // max(info.compress_size, 1)
            if info.file_size > 1024**2 and ratio > MAX_COMPRESSION_RATIO:
                raise BadInput(
                    self.path,
                    f"archive member {info.filename!r} expands {ratio}-fold; "
                    "refusing a possible zip bomb",
                )
        if total > MAX_UNCOMPRESSED_BYTES:
            raise BadInput(
                self.path,
                f"archive expands to {total / 1024**3:.1f} GiB, more than the "
                f"{MAX_UNCOMPRESSED_BYTES // 1024**3} GiB limit",
            )
        return archive

    def members(self) -> list[str]:
        """Names inside the archive or folder (relative, '/'-separated); [] for a plain file."""
        if self._zip is not None:
            return [i.filename for i in self._zip.infolist() if not i.is_dir()]
        if self.is_dir:
            return sorted(
                p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()
            )
        return []

    def label(self, member: str | None = None) -> str:
        """How errors name the file: ``export.zip:chat.txt`` for a member."""
        return f"{self.path}:{member}" if member else str(self.path)

    @contextmanager
    def open(self, member: str | None = None) -> Iterator[IO[bytes]]:
        """Open the file itself, or one member of the archive or folder, for binary reading."""
        if member is None:
            if self._zip is not None or self.is_dir:
                raise BadInput(self.path, "is an archive or folder; a member must be chosen")
            with self.path.open("rb") as stream:
                yield stream
        elif self._zip is not None:
            with self._zip.open(member) as stream:
                yield stream
        else:
            with (self.path / member).open("rb") as stream:
                yield stream

    def head(self, size: int = 4096, member: str | None = None) -> bytes:
        """The first bytes of the file (or member), for detection."""
        with self.open(member) as stream:
            return stream.read(size)

    def sha256(self) -> str:
        """Content hash of what the user pointed at; for a folder, of its files in name order."""
        digest = hashlib.sha256()
        paths = [self.path] if self.path.is_file() else [self.path / m for m in self.members()]
        for path in paths:
            with path.open("rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
        return digest.hexdigest()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def iter_text_lines(stream: IO[bytes], label: str) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` decoded as strict UTF-8 (a BOM is dropped).

    Line endings are removed; ``\\r\\n`` and ``\\n`` both end a line. Invalid UTF-8 raises
    `BadInput` naming the line.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    number = 0
    for number, raw in enumerate(stream, start=1):
        try:
            line = decoder.decode(raw)
        except UnicodeDecodeError as error:
            raise BadInput(label, f"not valid UTF-8 ({error.reason})", line=number) from None
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        yield number, line.rstrip("\r\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise BadInput(label, "file ends in the middle of a UTF-8 character", line=number) from None


@contextmanager
def read_only_database(
    path: Path, label: str | None = None, *, latest: bool = True
) -> Iterator[sqlite3.Connection]:
    """A read-only connection to an app's SQLite database that writes nothing anywhere.

    Without a write-ahead log beside it, the file is read in place, immutable (no lock, no
    ``-shm``, no ``-wal`` made or touched). With one, or where SQLite can't open the file by
    name, the file and its log are read into memory and the log's committed pages laid in
    (`twin.importers.sqlite_image`): an app that is running keeps its newest messages there.
    `latest=False` is for detection: the tables an importer looks for are in the file itself.
    """
    real = path.resolve()  # a link to the app's file: its log lies beside the file itself
    by_name = real.is_file()  # not so for an upload the hub holds in memory (a link into /proc)
    where = real if by_name else path
    wal = where.with_name(where.name + "-wal")
    if by_name and not (latest and wal.is_file() and wal.stat().st_size > WAL_HEADER):
        db = sqlite3.connect(f"{real.as_uri()}?mode=ro&immutable=1", uri=True)
    else:
        db = in_memory(database_image(where, label or str(path)))
    try:
        yield db
    finally:
        db.close()


SQLITE_MAGIC = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""


def sqlite_file_where(source: SourceFile, test: Callable[[sqlite3.Connection], bool]) -> bool:
    """Whether `source` is an SQLite database, opened as `read_only_database`, that passes `test`.

    For importers' ``detect``: anything that is not such a database (a zip, a folder, another
    file, a damaged database) is simply not theirs.
    """
    if source.is_zip or source.is_dir:
        return False
    try:
        if source.head(16) != SQLITE_MAGIC:
            return False
        with read_only_database(source.path, source.label(), latest=False) as db:
            return test(db)
    except (sqlite3.Error, OSError, BadInput):
        return False

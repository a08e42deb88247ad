"""What a file that no importer reads looks like (a PDF, an image, binary data), in words.

Used to turn "not an export" errors into ones that help: say what the file seems to be and
which exports twin reads, and never echo its raw bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

from twin.errors import BadInput, TwinError

SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP image, WAV audio or AVI video)"),
    (b"OggS", "an Ogg audio or video file"),
    (b"ID3", "an MP3 audio file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
]
"""Leading bytes of common files that are not chat exports."""

SNIFF = 4096

READ_AS_IS = (b"PK\x03\x04", b"PK\x05\x06", b"SQLite format 3\x00")
"""Leading bytes of binary files importers read (zip exports; iMessage, browser databases)."""


def looks_like(path: Path) -> str | None:
    """What `path` seems to be if it is plainly not a text export, else None."""
    if not path.is_file():
        return None
    with path.open("rb") as stream:
        head = stream.read(SNIFF)
    if not head:
        return None
    if head.startswith(READ_AS_IS):
        return None  # exports come as zip archives and databases: the importers judge those
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[4:8] == b"ftyp":
        return "an MP4 or MOV video (or HEIC image)"
    if b"\x00" in head:
        return "binary data"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the sniff's end
            printable = sum(32 <= byte < 127 or byte in b"\t\r\n" for byte in head)
            if printable < 0.7 * len(head):
                return "binary data"
    return None


def holds_raw_bytes(message: str) -> bool:
    """Whether an error message echoes bytes (``b'…'`` or ``\\x..`` escapes)."""
    return re.search(r"\bb['\"]|\\x[0-9a-f]{2}", message) is not None


def explain_unreadable(
    path: Path, error: TwinError, known: list[str], *, forced: bool = False
) -> TwinError:
    """`error` said more helpfully when `path` is plainly not an export; else `error` itself.

    With `forced` (the person named the source), an importer's own message is kept unless it
    echoes raw bytes: a Signal database, say, is binary and its importer knows better.
    """
    kind = looks_like(path)
    if kind is None or (forced and not holds_raw_bytes(str(error))):
        return error
    return BadInput(
        path,
        f"this looks like {kind}, not a chat export; twin reads exports from "
        f"{', '.join(sorted(known))}",
    )

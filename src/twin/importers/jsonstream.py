"""Streaming helpers for large JSON exports: escape repair and the fastest `ijson` backend."""

from __future__ import annotations

import re
from functools import cache
from types import ModuleType
from typing import IO

import ijson

_HEX = b"0123456789abcdefABCDEF"
# A run of escaped backslashes (pairs), then a `\xNN` escape. The lookbehind makes the run start
# at the beginning of its backslash run, so `\\x41` (a backslash, then "x41") is left alone.
_X_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9a-fA-F]{2})")


@cache
def fast_ijson() -> ModuleType:
    """The C (yajl2) backend of `ijson` when it is installed, else the default one."""
    backend: ModuleType
    try:
        backend = ijson.get_backend("yajl2_c")
    except ImportError:
        backend = ijson
    return backend


class XEscapeRepair:
    """A binary reader that rewrites invalid ``\\xNN`` escapes into ``\\u00NN`` on the fly.

    Some exports write bytes as ``\\xNN`` inside JSON strings, which strict parsers reject. A
    backslash starts an escape only when an odd number of backslashes precede the ``x``, so
    ``\\\\x41`` (an escaped backslash followed by text) is kept. An escape cut by a read boundary
    is held back until the next read completes it. Outside strings a backslash is never valid
    JSON, so the rewrite cannot change the meaning of a valid document. A leading UTF-8 byte
    order mark, which JSON parsers reject, is dropped.
    """

    def __init__(self, raw: IO[bytes], chunk_size: int = 1 << 18) -> None:
        self._raw = raw
        self._chunk_size = chunk_size
        self._carry = b""
        self._eof = False
        self._started = False

    def read(self, size: int = -1) -> bytes:
        """Up to about `size` repaired bytes (more when a held-back escape is prepended)."""
        if size == 0:
            return b""
        want = self._chunk_size if size is None or size < 0 else size
        while not self._eof:
            chunk = self._raw.read(want)
            if not chunk:
                self._eof = True
                break
            if not self._started:
                self._started = True
                chunk = chunk.removeprefix(b"\xef\xbb\xbf")
            data = self._carry + chunk if self._carry else chunk
            cut = _incomplete_escape_start(data)
            self._carry = data[cut:]
            ready = data[:cut]
            if ready:
                return _X_ESCAPE.sub(rb"\1\\u00\2", ready) if b"\\x" in ready else ready
        tail, self._carry = self._carry, b""
        return _X_ESCAPE.sub(rb"\1\\u00\2", tail) if b"\\x" in tail else tail


def _incomplete_escape_start(data: bytes) -> int:
    """Where a trailing, possibly unfinished ``\\xNN`` escape (or lone backslash) begins.

    Returns ``len(data)`` when the data ends on a complete token. Only an escaping backslash
    (odd position in its run) is held back; the even pairs before it are complete escapes.
    """
    end = len(data)
    slash = data.rfind(b"\\", max(0, end - 3))
    if slash < 0:
        return end
    rest = data[slash + 1 :]
    if rest and (rest[:1] != b"x" or any(byte not in _HEX for byte in rest[1:])):
        return end
    run = 1
    while slash - run >= 0 and data[slash - run] == 0x5C:
        run += 1
    return slash if run % 2 == 1 else end

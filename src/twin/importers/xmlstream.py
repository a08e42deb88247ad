"""Streaming helpers for XML exports: repair of escaped UTF-16 surrogate pairs.

Android apps written in Java escape characters outside the Basic Multilingual Plane (most
emoji) as two numeric character references, one per UTF-16 half: ``&#55357;&#56832;`` for 😀.
XML forbids surrogate code points, so a strict parser stops at the first emoji. `SurrogateRepair`
rewrites each such pair into the one reference XML allows (``&#128512;``) while the file is read,
and a lone half into U+FFFD, so the file can be streamed as it is.
"""

from __future__ import annotations

import re
from typing import IO

_REFERENCE = rb"&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});"
_SURROGATES = re.compile(rb"(" + _REFERENCE + rb")(" + _REFERENCE + rb")?")
_HOLD = 24
"""Bytes kept back at a read boundary: enough for two references cut anywhere."""


def _code(reference: bytes) -> int:
    body = reference[2:-1]
    return int(body[1:], 16) if body[:1] in (b"x", b"X") else int(body)


def _fix(match: re.Match[bytes]) -> bytes:
    first, second = match.group(1), match.group(2)
    high = _code(first)
    if 0xD800 <= high <= 0xDBFF:
        if second is not None and 0xDC00 <= (low := _code(second)) <= 0xDFFF:
            joined = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            return b"&#%d;" % joined
        return b"&#65533;" + (_SURROGATES.sub(_fix, second) if second else b"")
    if 0xDC00 <= high <= 0xDFFF:
        first = b"&#65533;"
    if second is None:
        return first
    return first + _SURROGATES.sub(_fix, second)


def repair_surrogates(data: bytes) -> bytes:
    """`data` with every escaped surrogate pair joined and every lone half replaced."""
    return _SURROGATES.sub(_fix, data) if b"&#" in data else data


_LAST_REFERENCE = re.compile(_REFERENCE + rb"$")


def _safe_cut(data: bytes) -> int:
    """Where to split `data` so no reference, nor a high half and its partner, is cut apart."""
    cut = data.rfind(b"&", max(0, len(data) - _HOLD))
    if cut < 0:
        cut = len(data)
    before = _LAST_REFERENCE.search(data, max(0, cut - _HOLD), cut)
    if before is not None and 0xD800 <= _code(before.group(0)) <= 0xDBFF:
        cut = before.start()
    return cut


class SurrogateRepair:
    """A binary reader that applies `repair_surrogates` on the fly, across read boundaries."""

    def __init__(self, raw: IO[bytes], chunk_size: int = 1 << 16) -> None:
        self._raw = raw
        self._chunk_size = chunk_size
        self._carry = b""
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        """Up to about `size` repaired bytes."""
        if size == 0:
            return b""
        want = self._chunk_size if size is None or size < 0 else size
        while not self._eof:
            chunk = self._raw.read(want)
            if not chunk:
                self._eof = True
                break
            data = self._carry + chunk
            cut = _safe_cut(data)
            self._carry = data[cut:]
            ready = data[:cut]
            if ready:
                return repair_surrogates(ready)
        tail, self._carry = self._carry, b""
        return repair_surrogates(tail)

"""Email in mbox form: Gmail Takeout (``All mail Including Spam and Trash.mbox``), Thunderbird,
Apple Mail and ``mutt`` folders; a plain ``.mbox`` file, or a folder or zip holding some.

The rules this importer follows:

* Messages are split at ``From `` lines that follow a blank line (mboxo/mboxrd), streamed one
  at a time, and parsed with the standard library's `email` package, which decodes RFC 2047
  headers (``=?UTF-8?B?…?=``) and every transfer encoding and charset.
* The text is the ``text/plain`` part, else the visible text of the ``text/html`` part. Quoted
  replies (``>`` lines and the "On … wrote:" line above them, Outlook's header blocks and
  "Original Message" markers) and signatures (after ``-- ``, "Sent from my iPhone") are removed,
  so a message holds only what its author wrote that time (`twin.importers.email_text`).
* The user's own mail is their voice: a message labelled ``Sent`` by Gmail
  (``X-Gmail-Labels``), or from an address the user sends from (learnt from those Sent
  messages and from ``Delivered-To`` headers in one quick first pass over the headers).
* A thread is a conversation: Gmail's ``X-GM-THRID``, else the first ``References`` id (the
  thread's root), else ``In-Reply-To``, else the message's own id; titled by its subject
  without ``Re:``/``Fwd:``.
* Spam, trash, drafts and chat logs (Gmail labels ``Spam``, ``Trash``, ``Draft``, ``Chat``)
  are skipped; they are not mail the user exchanged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message as EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import IO, ClassVar

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.email_text import html_to_text, own_words
from twin.importers.files import SourceFile
from twin.records import Kind, Message

_FROM_LINE = re.compile(rb"^From \S+")
_HEADER = re.compile(rb"^[!-9;-~]+:")
_SKIPPED_LABELS = frozenset({"spam", "trash", "draft", "drafts", "chat"})
_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|tr|rv|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
# compat32 keeps headers as raw strings: ten times faster than the default policy's header
# objects. RFC 2047 words are decoded where they are read (`_header`).
_PARSER = BytesParser(policy=policy.compat32)


def _mbox_members(source: SourceFile) -> list[str]:
    return sorted(m for m in source.members() if m.lower().endswith(".mbox"))


def _looks_like_mbox(head: bytes) -> bool:
    """A ``From `` separator line, then mail headers."""
    lines = head.removeprefix(b"\xef\xbb\xbf").splitlines()
    if len(lines) < 2 or not _FROM_LINE.match(lines[0]):
        return False
    headers = [line for line in lines[1:8] if line and not line[:1].isspace()]
    return bool(headers) and all(_HEADER.match(line) for line in headers[:3])


def _split(stream: IO[bytes]) -> Iterator[bytes]:
    """Each message's bytes, without its ``From `` line; ``>From`` quoting undone (mboxrd)."""
    lines: list[bytes] = []
    blank_before = True
    started = False
    for line in stream:
        if blank_before and line.startswith(b"From "):
            if started:
                yield b"".join(lines)
            lines = []
            started = True
            blank_before = False
            continue
        if not started:
            if line.strip():
                raise ValueError("does not start with a From line")
            continue
        if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
            line = line[1:]
        lines.append(line)
        blank_before = not line.strip()
    if started:
        yield b"".join(lines)


def _header(message: EmailMessage, name: str) -> str:
    """A header's text with RFC 2047 encoded words (``=?UTF-8?B?…?=``) decoded."""
    raw = message.get(name)
    if raw is None:
        return ""
    return _words(raw if isinstance(raw, str) else str(raw))


def _words(text: str) -> str:
    """RFC 2047 encoded words decoded; text left as it is where they are broken."""
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (LookupError, ValueError, UnicodeDecodeError):
        return text


def _labels(message: EmailMessage) -> set[str]:
    raw = _header(message, "X-Gmail-Labels")
    return {label.strip().strip('"').lower() for label in raw.split(",") if label.strip()}


def _addresses(message: EmailMessage, *names: str) -> list[tuple[str, str]]:
    values: list[str] = []
    for name in names:
        values.extend(str(v) for v in message.get_all(name, []) or [])
    found = []
    for display, address in getaddresses(values):
        if address:
            found.append((_words(display), address.lower()))
    return found


def _decoded(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # a charset Python doesn't know
        return payload.decode("utf-8", "replace")


def _body(message: EmailMessage) -> tuple[str, bool]:
    """The written text of a message, and whether it carries attachments."""
    plain: EmailMessage | None = None
    html: EmailMessage | None = None
    attachments = False
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
        kind = part.get_content_type()
        if disposition == "attachment" or not kind.startswith("text/"):
            attachments = True
        elif kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    if plain is not None:
        return own_words(_decoded(plain)), attachments
    if html is not None:
        return own_words(html_to_text(_decoded(html))), attachments
    return "", attachments


def _subject(message: EmailMessage) -> str:
    subject = " ".join(_header(message, "Subject").split())
    return _PREFIX.sub("", subject).strip() or "(no subject)"


def _ids(value: object) -> list[str]:
    return re.findall(r"<[^<>\s]+>", str(value or ""))


def _thread(message: EmailMessage) -> str:
    gmail = _header(message, "X-GM-THRID").strip()
    if gmail:
        return f"gmail:{gmail}"
    for header in ("References", "In-Reply-To", "Message-ID"):
        found = _ids(message.get(header))
        if found:
            return found[0]
    return "subject:" + _subject(message).lower()


class MboxImporter:
    """Email in mbox files, Gmail Takeout included."""

    name: ClassVar[str] = "mbox"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """A file that opens with an mbox ``From `` line and headers, or a folder/zip of .mbox."""
        try:
            if source.is_zip or source.is_dir:
                members = _mbox_members(source)
                return bool(members) and _looks_like_mbox(source.head(4096, members[0]))
            return _looks_like_mbox(source.head(4096))
        except (BadInput, OSError):
            return False

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield every exchanged mail, streaming; `BadInput` on a file that is not mbox."""
        members: list[str | None]
        if source.is_zip or source.is_dir:
            members = list(_mbox_members(source))
            if not members:
                raise BadInput(source.path, "holds no .mbox file")
        else:
            members = [None]
        mine = self._my_addresses(source, members)
        for member in members:
            yield from self._read(source, member, mine)

    def _messages(
        self, source: SourceFile, member: str | None, *, headers_only: bool = False
    ) -> Iterator[EmailMessage]:
        label = source.label(member)
        try:
            with source.open(member) as stream:
                for raw in _split(stream):
                    if headers_only:
                        cuts = [c for c in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if c >= 0]
                        raw = raw[: min(cuts)] if cuts else raw  # the body is not needed
                        parsed = _PARSER.parsebytes(raw, headersonly=True)
                    else:
                        parsed = _PARSER.parsebytes(raw)
                    yield parsed
        except ValueError as error:
            raise BadInput(label, f"not an mbox file ({error})") from None

    def _my_addresses(self, source: SourceFile, members: list[str | None]) -> set[str]:
        """The user's addresses: senders of Gmail's Sent mail, and Delivered-To recipients."""
        mine: set[str] = set()
        for member in members:
            for message in self._messages(source, member, headers_only=True):
                if "sent" in _labels(message):
                    mine.update(a for _, a in _addresses(message, "From"))
                mine.update(a for _, a in _addresses(message, "Delivered-To"))
        return mine

    def _read(self, source: SourceFile, member: str | None, mine: set[str]) -> Iterator[Message]:
        label = source.label(member)
        for message in self._messages(source, member):
            labels = _labels(message)
            if labels & _SKIPPED_LABELS:
                continue
            sent_at = _date(message)
            if sent_at is None:
                continue  # no readable date: an unsent or broken message
            senders = _addresses(message, "From")
            name, address = senders[0] if senders else ("", "")
            from_me: bool | None = "sent" in labels or (address in mine if address else False)
            if not from_me and not mine:
                from_me = None  # nothing says which address is the user's: ask, don't guess
            people = {a for _, a in _addresses(message, "From", "To", "Cc")} - mine
            text, attachments = _body(message)
            kind = Kind.TEXT if text else (Kind.MEDIA if attachments else Kind.OTHER)
            if not text and attachments:
                text = "<attachment>"
            ids = _ids(message.get("Message-ID"))
            reply = _ids(message.get("In-Reply-To"))
            yield Message(
                source="mbox",
                conversation=_subject(message),
                conversation_id=_thread(message),
                sender=name or address or "Unknown sender",
                sender_id=address or None,
                message_id=ids[0] if ids else _fallback_id(message, label),
                sent_at=sent_at,
                kind=kind,
                text=text,
                reply_to=reply[0] if reply else None,
                from_me=from_me,
                is_group=len(people | ({address} - mine if address else set())) > 1,
            )


def _date(message: EmailMessage) -> datetime | None:
    raw = message.get("Date")
    if raw is None:
        return None
    try:
        return parsedate_to_datetime(str(raw))
    except (TypeError, ValueError, IndexError):
        return None


def _fallback_id(message: EmailMessage, label: str) -> str:
    """A stable id for a message without Message-ID: a hash of its headers and start."""
    digest = hashlib.blake2b(digest_size=12)
    for header in ("From", "To", "Date", "Subject"):
        digest.update(str(message.get(header, "")).encode("utf-8", "replace") + b"\x1f")
    return "hash:" + digest.hexdigest()

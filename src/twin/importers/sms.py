"""SMS Backup & Restore (SyncTech, Android) XML backups: ``sms-20240301120000.xml``.

The file is one ``<smses count="N">`` element holding ``<sms …/>`` and ``<mms …>`` elements,
every field an attribute. The rules this importer follows:

* ``sms``: ``date`` is milliseconds since 1970 (UTC); ``type`` 1 is received, 2 sent, 4 outbox,
  5 failed and 6 queued are the user's own (sent or tried), 3 (draft) is skipped as never sent.
* ``mms``: ``msg_box`` plays the role of ``type`` (1 inbox, 2 sent, 4 outbox, 3 draft skipped).
  Its ``<parts>`` hold the content: ``seq="-1"`` is the SMIL layout and is skipped, ``text/plain``
  parts are the text, anything else (images, video, vCards) is media. The sender of a received
  MMS is its ``<addr type="137">`` (PduHeaders FROM); a group MMS has several addresses, joined
  by ``~`` in the ``address`` attribute.
* The app writes the string ``"null"`` for a missing value, and ``contact_name`` is
  ``"(Unknown)"`` for a number not in the contacts; both count as missing.
* Emoji are written as escaped UTF-16 surrogate pairs (``&#55357;&#56832;``), which XML forbids;
  they are joined while the file is read (`twin.importers.xmlstream`), before parsing.
* Parsed with defusedxml (no DTDs or entities) and streamed with ``iterparse``, each element
  cleared once read, so a backup of any size imports in bounded memory.
* A conversation is the other party's number (several, for a group MMS), titled with the
  contact's name where the backup has one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.xmlstream import SurrogateRepair
from twin.records import Kind, Message

ME = "Me"
"""The sender name of the user's own messages: the backup never names its owner."""
_MINE = frozenset({"2", "4", "5", "6"})
_THEIRS = frozenset({"1"})
_FROM = "137"
_MISSING = frozenset({"", "null", "(Unknown)"})
_ROOT = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*)*<smses[\s>]", re.S
)


def _value(element: Element, name: str) -> str | None:
    """An attribute, with the app's spellings of "missing" as None."""
    value = element.get(name)
    if value is None or value.strip() in _MISSING:
        return None
    return value


def _digits(address: str) -> str:
    """A phone number reduced to what identifies it (``+1 (555) 010-0199`` -> ``+15550100199``)."""
    kept = "".join(c for c in address if c.isdigit() or c == "+")
    return kept or address.strip()


class SmsBackupImporter:
    """SMS Backup & Restore's XML backup of SMS and MMS."""

    name: ClassVar[str] = "sms"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """Whether the file opens with an ``<smses>`` root element."""
        if source.is_zip or source.is_dir:
            return False
        try:
            return _ROOT.match(source.head(4096)) is not None
        except (BadInput, OSError):
            return False

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield every sent or received SMS and MMS, streaming; `BadInput` on a broken file."""
        label = source.label()
        if source.is_zip or source.is_dir:
            raise BadInput(label, "expected an SMS Backup & Restore .xml file")
        depth = 0
        root: Element | None = None
        try:
            with source.open() as stream:
                events: Iterator[tuple[str, Any]] = iterparse(
                    SurrogateRepair(stream), events=("start", "end")
                )
                for event, element in events:
                    if event == "start":
                        if depth == 0:
                            if element.tag != "smses":
                                found = element.tag
                                raise BadInput(label, f"not an SMS backup (root is <{found}>)")
                            root = element
                        depth += 1
                        continue
                    depth -= 1
                    if depth != 1:
                        continue
                    if element.tag == "sms":
                        message = _sms(element, label)
                    elif element.tag == "mms":
                        message = _mms(element, label)
                    else:
                        message = None
                    element.clear()
                    if root is not None:
                        root.clear()  # drop the emptied children too: memory stays flat
                    if message is not None:
                        yield message
        except ParseError as error:
            raise BadInput(label, f"broken XML ({error})") from None
        except DefusedXmlException as error:
            raise BadInput(label, f"refused unsafe XML ({type(error).__name__})") from None
        if root is None:
            raise BadInput(label, "not an SMS backup (no <smses> element)")


def _when(element: Element, label: str) -> datetime:
    raw = _value(element, "date")
    try:
        return datetime.fromtimestamp(int(raw or "") / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        raise BadInput(label, f"a <{element.tag}> has an unreadable date {raw!r}") from None


def _conversation(addresses: list[str], names: str | None) -> tuple[str, str]:
    """Title and id of the conversation with these other parties."""
    key = "~".join(sorted({_digits(a) for a in addresses})) or "unknown"
    return (names or ", ".join(addresses) or "Unknown number"), key


def _sms(element: Element, label: str) -> Message | None:
    box = element.get("type", "")
    if box not in _MINE and box not in _THEIRS:
        return None  # drafts (3) were never sent; unknown boxes are not messages
    address = _value(element, "address") or ""
    name = _value(element, "contact_name")
    title, key = _conversation([address] if address else [], name)
    mine = box in _MINE
    text = _value(element, "body") or ""
    return Message(
        source="sms",
        conversation=title,
        conversation_id=key,
        sender=ME if mine else (name or address or "Unknown number"),
        sender_id="me" if mine else (_digits(address) if address else None),
        sent_at=_when(element, label),
        kind=Kind.TEXT if text else Kind.OTHER,
        text=text,
        from_me=mine,
        is_group=False,
    )


def _mms(element: Element, label: str) -> Message | None:
    box = element.get("msg_box", "")
    if box not in _MINE and box not in _THEIRS:
        return None
    mine = box in _MINE
    texts: list[str] = []
    media: list[str] = []
    for part in element.iter("part"):
        if part.get("seq") == "-1" or part.get("ct") == "application/smil":
            continue
        kind = (part.get("ct") or "").lower()
        if kind == "text/plain":
            text = _value(part, "text")
            if text:
                texts.append(text)
        elif kind:
            media.append(kind)
    addresses = [a for a in (_value(element, "address") or "").split("~") if a.strip()]
    sender_address: str | None = None
    for addr in element.iter("addr"):
        if addr.get("type") == _FROM:
            sender_address = _value(addr, "address")
    # The thread is everyone but the user; for a received message the address list already is.
    others = addresses or ([sender_address] if sender_address else [])
    names = _value(element, "contact_name")
    title, key = _conversation(others, names)
    group = len(others) > 1
    sender_id: str | None
    if mine:
        sender, sender_id = ME, "me"
    else:
        who = sender_address or (others[0] if others else None)
        single_name = names if names and not group else None
        sender = single_name or who or "Unknown number"
        sender_id = _digits(who) if who else None
    text = "\n".join(texts)
    if text:
        kind_of = Kind.TEXT
    elif media:
        kind_of = Kind.MEDIA
        text = " ".join(f"<{m}>" for m in media)
    else:
        kind_of = Kind.OTHER
    subject = _value(element, "sub")
    if not text and subject:
        text, kind_of = subject, Kind.TEXT
    return Message(
        source="sms",
        conversation=title,
        conversation_id=key,
        sender=sender,
        sender_id=sender_id,
        sent_at=_when(element, label),
        kind=kind_of,
        text=text,
        from_me=mine,
        is_group=group,
    )

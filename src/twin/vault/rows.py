"""Messages as rows of the ``messages`` table: identity, sort key and the values to bind.

Building the rows needs no database: the ids of conversations and senders come from an `Ids`,
which stores them in the vault in this process (`VaultIds`) or asks the process that holds the
vault (`twin.vault.import_worker`), so the same code builds the rows either way.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from typing import Protocol

from twin.records import Kind, Message
from twin.vault.people import People
from twin.vault.vault import Vault


def message_uid(message: Message, conversation_key: str, moment: str, occurrence: int) -> bytes:
    """The identity of a message: its source id where there is one, else its content.

    `moment` is ``sent_at`` in ISO form; `occurrence` counts identical messages at the same
    moment, so real repeats are kept while the same export imported twice adds nothing.
    """
    if message.message_id is not None:
        identity = f"{message.source}\x1f{conversation_key}\x1f{message.message_id}"
    else:
        identity = (
            f"{message.source}\x1f{conversation_key}\x1f{message.sender or ''}\x1f{moment}"
            f"\x1f{message.kind}\x1f{message.text}\x1f{occurrence}"
        )
    return hashlib.blake2b(identity.encode(), digest_size=16).digest()


def sort_key(moment: datetime, iso: str) -> str:
    """UTC when the offset is known, so messages from different offsets order correctly."""
    if moment.tzinfo is None:
        return iso
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


COLUMNS = (
    "uid", "conversation_id", "sender_id", "sent_at", "sort_key", "kind", "text",
    "source_message_id", "reply_to", "forwarded_from", "edited",
)  # fmt: skip
_OPTIONAL = (2, 7, 8, 9)
"""Columns often empty (sender, source ids): written as a NULL literal rather than bound, since
binding None takes the driver's slow adapter path (a quarter of an import's insert time)."""
_KIND_TEXT = {kind: str(kind.value) for kind in Kind}
"""Each kind as a plain `str`: an enum member is bound through the same slow path as None."""

Row = tuple[int, tuple[object, ...]]
"""A message ready to insert: the shape of its row (which columns are empty) and its values."""


def insert_sql(shape: int, import_id: int) -> str:
    """The INSERT for rows of one shape: bit i set means optional column i is NULL, bit 4 that
    the sort key is the moment as written (a naive time), so it is bound once."""
    values: list[str] = []
    bound = 0
    for column, name in enumerate(COLUMNS):
        if column in _OPTIONAL and shape >> _OPTIONAL.index(column) & 1:
            values.append("NULL")
        elif name == "sort_key" and shape & 16:
            values.append(f"?{bound}")  # the same parameter as sent_at, just before it
        else:
            bound += 1
            values.append(f"?{bound}")
    return (
        f"INSERT OR IGNORE INTO messages ({', '.join(COLUMNS)}, import_id) "
        f"VALUES ({', '.join(values)}, {int(import_id)})"
    )


class Ids(Protocol):
    """Where the ids of conversations and senders come from; each is asked once per import."""

    def conversation(self, source: str, key: str, title: str, is_group: bool | None) -> int:
        """The id of a conversation, its title and group flag brought up to date."""
        ...

    def person(self, source: str, name: str, sender_id: str | None) -> int:
        """The id of the person behind a sender."""
        ...


class VaultIds:
    """`Ids` stored in the vault by this process, inside the import's transaction."""

    def __init__(self, vault: Vault) -> None:
        self.db = vault.db
        self.people = People(vault)
        self.conversations: dict[tuple[str, str], int] = {}
        """Every conversation asked for, by source and key."""

    def conversation(self, source: str, key: str, title: str, is_group: bool | None) -> int:
        cached = self.conversations.get((source, key))
        if cached is None:
            self.db.execute(
                "INSERT INTO conversations (source, external_id, title, is_group) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (source, external_id) DO UPDATE SET "
                "title = excluded.title, is_group = coalesce(excluded.is_group, is_group)",
                (source, key, title, is_group),
            )
            cached = self.db.execute(
                "SELECT id FROM conversations WHERE source = ? AND external_id = ?",
                (source, key),
            ).fetchone()[0]
            self.conversations[(source, key)] = cached
        return cached

    def person(self, source: str, name: str, sender_id: str | None) -> int:
        return self.people.person_for(source, name, sender_id)


class RowBuilder:
    """Turns the messages of one import into rows, in order; counts who sent them."""

    def __init__(self, ids: Ids) -> None:
        self.ids = ids
        self.conversations: dict[tuple[str, str], int] = {}
        self.senders: Counter[int] = Counter()
        """Messages per sender (person id)."""
        self.me_seen: set[int] = set()
        """Senders the source marked as the user."""
        self._occurrences: dict[tuple[str, str, str, str], int] = {}
        self._moment: str | None = None
        self._last_sent_at: datetime | None = None
        self._people: dict[tuple[str, str, str | None], int] = {}

    def row(self, message: Message) -> Row:
        """The message as a row to insert; called once per message, so kept lean."""
        source = message.source
        key = message.conversation_id or message.conversation
        conversation = self.conversations.get((source, key))
        if conversation is None:
            conversation = self.ids.conversation(
                source, key, message.conversation, message.is_group
            )
            self.conversations[(source, key)] = conversation
        name = message.sender
        sender = None
        kind = message.kind
        if name is not None and kind is not Kind.SYSTEM:
            who = (source, name, message.sender_id)
            sender = self._people.get(who)
            if sender is None:
                sender = self._people[who] = self.ids.person(source, name, who[2])
            self.senders[sender] += 1
            if message.from_me:
                self.me_seen.add(sender)
        sent_at = message.sent_at
        naive = sent_at.tzinfo is None
        last = self._last_sent_at
        if naive and last is not None and last.tzinfo is None and sent_at == last:
            moment = self._moment
            assert moment is not None
        else:
            moment = sent_at.isoformat()
            self._last_sent_at = sent_at
            if moment != self._moment:
                self._occurrences.clear()
                self._moment = moment
        text = message.text
        identity = (key, name or "", kind, text)
        occurrence = self._occurrences.get(identity, 0)
        self._occurrences[identity] = occurrence + 1
        uid = message_uid(message, key, moment, occurrence)
        message_id, reply_to, forwarded = (
            message.message_id,
            message.reply_to,
            message.forwarded_from,
        )
        edited = 1 if message.edited else 0
        if naive and sender is not None and message_id is reply_to is forwarded is None:
            # Most messages of most sources: a naive time, a sender, no source ids.
            return 30, (uid, conversation, sender, moment, _KIND_TEXT[kind], text, edited)
        shape = 16 if naive else 0
        values: list[object] = [uid, conversation]
        if sender is None:
            shape |= 1
        else:
            values.append(sender)
        values.append(moment)
        if not naive:
            values.append(sort_key(sent_at, moment))
        values += (_KIND_TEXT[kind], text)
        for bit, extra in ((2, message_id), (4, reply_to), (8, forwarded)):
            if extra is None:
                shape |= bit
            else:
                values.append(extra)
        values.append(edited)
        return shape, tuple(values)

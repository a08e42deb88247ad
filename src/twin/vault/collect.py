"""Collecting an export into the vault: parse, apply the rules, store, all in one transaction."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from twin.importers import detect_importer, get_importer
from twin.importers.base import Importer, ParseOptions
from twin.importers.files import SourceFile
from twin.importers.lenient import LenientReport, reading
from twin.records import Event, Kind, Message
from twin.vault.events import store_events
from twin.vault.people import People, my_names, set_me
from twin.vault.rules import RuleSet
from twin.vault.senders import check_me
from twin.vault.vault import Vault

BATCH = 5000

ChooseMe = Callable[[list[str]], str | None]
"""Asked with the senders of an import (most active first) when twin can't tell which is you."""


@dataclass
class ImportSummary:
    """What one import did."""

    import_id: int
    source: str
    file: str
    added: int = 0
    already_there: int = 0
    skipped: int = 0
    conversations: int = 0
    events: int = 0
    """Device activity events read (windows, visits, commands); `added` counts the new ones."""
    me: list[str] = field(default_factory=list)
    """Names known to be the user after this import; empty means twin still doesn't know."""
    lenient: LenientReport = field(default_factory=LenientReport)
    """What the importer read leniently (odd lines interpreted, lines kept as text)."""


def open_source(path: Path, source: str | None) -> tuple[SourceFile, Importer]:
    """The file and the importer for it, detected unless `source` names one."""
    file = SourceFile(path)
    return file, (get_importer(source) if source else detect_importer(file))


def preview(path: Path, source: str | None, options: ParseOptions) -> Iterator[Message]:
    """Every message the file holds, parsed but not stored."""
    file, importer = open_source(path, source)
    try:
        yield from importer.parse(file, options)
    finally:
        file.close()


@dataclass
class PreviewStats:
    """What `twin preview --stats` says about a file, without keeping anything."""

    source: str
    messages: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    conversations: int = 0
    senders: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    lenient: LenientReport = field(default_factory=LenientReport)


def preview_stats(path: Path, source: str | None, options: ParseOptions) -> PreviewStats:
    """Counts of what the file holds and of what was read leniently, parsed but not stored."""
    file, importer = open_source(path, source)
    stats = PreviewStats(importer.name)
    conversations: set[str] = set()
    try:
        with reading() as report:
            records: Iterable[Message | Event] = importer.parse(file, options)
            for message in records:
                stats.messages += 1
                if isinstance(message, Event):  # device activity: counted by kind, no senders
                    stats.kinds[f"{message.kind} event"] += 1
                    moment = _utc(message.started_at)
                    stats.first = moment if stats.first is None else min(stats.first, moment)
                    stats.last = moment if stats.last is None else max(stats.last, moment)
                    continue
                stats.kinds[message.kind.value] += 1
                conversations.add(message.conversation_id or message.conversation)
                if message.sender is not None and message.kind is not Kind.SYSTEM:
                    stats.senders[message.sender] += 1
                moment = _utc(message.sent_at)
                stats.first = moment if stats.first is None else min(stats.first, moment)
                stats.last = moment if stats.last is None else max(stats.last, moment)
        stats.lenient = report
    finally:
        file.close()
    stats.conversations = len(conversations)
    return stats


def _utc(moment: datetime) -> datetime:
    """A naive wall-clock time as is; an aware one in UTC, so the two compare."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


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


class _Collector:
    """Writes the messages of one import, resolving conversations and people as it goes."""

    def __init__(self, vault: Vault, import_id: int) -> None:
        self.db = vault.db
        self.import_id = import_id
        self.people = People(vault)
        self.conversations: dict[tuple[str, str], int] = {}
        self.senders: Counter[int] = Counter()
        self.me_seen: set[int] = set()
        self._occurrences: dict[tuple[str, str, str, str], int] = {}
        self._moment: str | None = None

    def conversation_for(self, message: Message) -> tuple[int, str]:
        key = message.conversation_id or message.conversation
        cached = self.conversations.get((message.source, key))
        if cached is None:
            self.db.execute(
                "INSERT INTO conversations (source, external_id, title, is_group) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (source, external_id) DO UPDATE SET "
                "title = excluded.title, is_group = coalesce(excluded.is_group, is_group)",
                (message.source, key, message.conversation, message.is_group),
            )
            cached = self.db.execute(
                "SELECT id FROM conversations WHERE source = ? AND external_id = ?",
                (message.source, key),
            ).fetchone()[0]
            self.conversations[(message.source, key)] = cached
        return cached, key

    def row(self, message: Message) -> tuple[object, ...]:
        conversation, key = self.conversation_for(message)
        sender = None
        if message.sender is not None and message.kind is not Kind.SYSTEM:
            sender = self.people.person_for(message.source, message.sender, message.sender_id)
            self.senders[sender] = self.senders.get(sender, 0) + 1
            if message.from_me:
                self.me_seen.add(sender)
        moment = message.sent_at.isoformat()
        if moment != self._moment:
            self._occurrences.clear()
            self._moment = moment
        identity = (key, message.sender or "", message.kind, message.text)
        occurrence = self._occurrences.get(identity, 0)
        self._occurrences[identity] = occurrence + 1
        return (
            message_uid(message, key, moment, occurrence),
            conversation,
            sender,
            moment,
            sort_key(message.sent_at, moment),
            message.kind,
            message.text,
            message.message_id,
            message.reply_to,
            message.forwarded_from,
            int(message.edited),
            self.import_id,
        )

    def insert(self, rows: list[tuple[object, ...]]) -> int:
        cursor = self.db.executemany(
            "INSERT OR IGNORE INTO messages (uid, conversation_id, sender_id, sent_at, sort_key, "
            "kind, text, source_message_id, reply_to, forwarded_from, edited, import_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return int(cursor.rowcount)


def _batches(messages: Iterable[Message | Event], size: int) -> Iterator[list[Message | Event]]:
    batch: list[Message | Event] = []
    for message in messages:
        batch.append(message)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_file(
    vault: Vault,
    path: Path,
    *,
    source: str | None = None,
    options: ParseOptions | None = None,
    rules: RuleSet | None = None,
    me: str | None = None,
    force_me: bool = False,
    choose_me: ChooseMe | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Collect one export into the vault in a single transaction.

    Nothing is written unless the whole file parses. `rules` defaults to the vault's standing
    rules. `me` names the user up front, refused (`UnknownSender`) when no sender goes by it
    unless `force_me`; otherwise `choose_me` is asked when the file doesn't say.
    """
    file, importer = open_source(path, source)
    rules = rules or RuleSet.standing(vault)
    try:
        with vault.transaction():
            import_id = vault.db.execute(
                "INSERT INTO imports (source, importer_version, file_name, file_sha256, "
                "imported_at, rules) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    importer.name,
                    importer.version,
                    str(path.resolve()),
                    file.sha256(),
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    json.dumps(rules.describe(), sort_keys=True),
                ),
            ).lastrowid
            assert import_id is not None
            first_new_id = vault.db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[
                0
            ]
            summary = ImportSummary(import_id, importer.name, str(path))
            collector = _Collector(vault, import_id)
            seen = 0
            with reading() as report:
                records: Iterable[Message | Event] = importer.parse(file, options or ParseOptions())
                for mixed in _batches(records, BATCH):
                    # Device activity goes to its own table; it is never a message or a target.
                    events = [r for r in mixed if isinstance(r, Event)]
                    batch = (
                        [r for r in mixed if isinstance(r, Message)]
                        if events
                        else cast(list[Message], mixed)
                    )
                    if events:
                        new = store_events(vault, import_id, events)
                        summary.events += len(events)
                        summary.added += new
                        summary.already_there += len(events) - new
                    allowed = [m for m in batch if rules.allows(m)]
                    summary.skipped += len(batch) - len(allowed)
                    added = collector.insert([collector.row(m) for m in allowed])
                    summary.added += added
                    summary.already_there += len(allowed) - added
                    seen += len(mixed)
                    if progress:
                        progress(seen)
            summary.lenient = report
            vault.db.execute(
                "INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE id > ?",
                (first_new_id,),
            )
            for person in collector.me_seen:
                collector.people.mark_me(person)
            if me:
                if not force_me:
                    check_me(vault, me, f"{path}: ", import_id)
                set_me(vault, me)
            elif not _knows_me(vault, collector) and choose_me and collector.senders:
                chosen = choose_me(_names_by_activity(vault, collector.senders))
                if chosen:
                    set_me(vault, chosen)
            summary.conversations = len(collector.conversations)
            summary.me = my_names(vault) if _knows_me(vault, collector) else []
            vault.db.execute(
                "UPDATE imports SET added = ?, already_there = ?, skipped = ? WHERE id = ?",
                (summary.added, summary.already_there, summary.skipped, import_id),
            )
    finally:
        file.close()
    return summary


def _knows_me(vault: Vault, collector: _Collector) -> bool:
    """Whether one of this import's senders is known to be the user."""
    if not collector.senders:
        return True
    marks = ",".join("?" * len(collector.senders))
    return bool(
        vault.db.execute(
            f"SELECT 1 FROM people WHERE is_me = 1 AND id IN ({marks})", list(collector.senders)
        ).fetchone()
    )


def _names_by_activity(vault: Vault, senders: Counter[int]) -> list[str]:
    names = dict(vault.db.execute("SELECT id, name FROM people"))
    return [names[person] for person, _ in senders.most_common()]

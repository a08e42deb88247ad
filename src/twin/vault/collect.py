"""Collecting an export into the vault: parse, apply the rules, store, all in one transaction."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, cast

import orjson

from twin.importers import builtin, detect_importer, get_importer
from twin.importers.base import Importer, ParseOptions
from twin.importers.files import SourceFile
from twin.importers.lenient import LenientReport, reading
from twin.plugins import installed_plugins
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
    return file, (get_importer(source) if source else _detect(file))


def _detect(file: SourceFile) -> Importer:
    """`detect_importer`, without loading every plugin when no installed package adds any.

    Then twin's own importers are all there is, tried in the same order; loading the other
    built-in plugins (datasets, memory, chat…) for them would be a third of a short preview.
    """
    if installed_plugins():
        return detect_importer(file)
    own: list[Importer] = []
    builtin.register_importers(register=own.append)
    for importer in own:
        if importer.detect(file):
            return importer
    return detect_importer(file)  # says which sources twin knows


def preview(path: Path, source: str | None, options: ParseOptions) -> Iterator[Message]:
    """Every message the file holds, parsed but not stored."""
    file, importer = open_source(path, source)
    try:
        yield from importer.parse(file, options)
    finally:
        file.close()


_PREVIEW_BATCH = 4096
"""JSON lines joined before each write: one write call per line costs more than the encoding."""


def write_preview(path: Path, source: str | None, options: ParseOptions, out: BinaryIO) -> int:
    """Write every record the file holds to `out`, one JSON object a line in UTF-8; the count.

    Each object is the record's `preview()` shape, written compactly by orjson (text as is, not
    escaped to ASCII). A text orjson refuses (a lone surrogate, which a JSON export can hold as
    ``\\ud800``) is written escaped by the standard library instead, still one valid line.
    """
    dumps, count = orjson.dumps, 0
    batch: list[bytes] = []
    append = batch.append
    file, importer = open_source(path, source)
    try:
        records: Iterable[Message | Event] = importer.parse(file, options)
        for record in records:
            try:
                if type(record) is Message:
                    # `Message.preview()`'s shape with its time and kind left for orjson to
                    # write (as isoformat and the value would), a third of the cost per line;
                    # tests/vault/test_preview_lines.py holds the two to the same output.
                    append(
                        dumps(
                            {
                                "source": record.source,
                                "conversation": record.conversation,
                                "sender": record.sender,
                                "sent_at": record.sent_at,
                                "kind": record.kind,
                                "text": record.text,
                            }
                        )
                    )
                else:
                    append(dumps(record.preview()))
            except orjson.JSONEncodeError:
                append(json.dumps(record.preview()).encode("ascii"))
            if len(batch) >= _PREVIEW_BATCH:
                count += len(batch)
                out.write(b"\n".join(batch) + b"\n")
                batch.clear()
    finally:
        file.close()
    if batch:
        count += len(batch)
        out.write(b"\n".join(batch) + b"\n")
    return count


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


_COLUMNS = (
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


def _insert_sql(shape: int, import_id: int) -> str:
    """The INSERT for rows of one shape: bit i set means optional column i is NULL, bit 4 that
    the sort key is the moment as written (a naive time), so it is bound once."""
    values: list[str] = []
    bound = 0
    for column, name in enumerate(_COLUMNS):
        if column in _OPTIONAL and shape >> _OPTIONAL.index(column) & 1:
            values.append("NULL")
        elif name == "sort_key" and shape & 16:
            values.append(f"?{bound}")  # the same parameter as sent_at, just before it
        else:
            bound += 1
            values.append(f"?{bound}")
    return (
        f"INSERT OR IGNORE INTO messages ({', '.join(_COLUMNS)}, import_id) "
        f"VALUES ({', '.join(values)}, {int(import_id)})"
    )


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
        self._last_sent_at: datetime | None = None
        self._people: dict[tuple[str, str, str | None], int] = {}
        self._sql: dict[int, str] = {}

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

    def row(self, message: Message) -> Row:
        """The message as a row to `insert`; called once per message, so kept lean."""
        source = message.source
        key = message.conversation_id or message.conversation
        conversation = self.conversations.get((source, key))
        if conversation is None:
            conversation, key = self.conversation_for(message)
        name = message.sender
        sender = None
        kind = message.kind
        if name is not None and kind is not Kind.SYSTEM:
            who = (source, name, message.sender_id)
            sender = self._people.get(who)
            if sender is None:
                sender = self._people[who] = self.people.person_for(source, name, who[2])
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

    def insert(self, rows: list[Row]) -> int:
        """Insert rows from `row`, each run of one shape in one go; how many were new."""
        added = 0
        for shape, run in groupby(rows, key=itemgetter(0)):
            sql = self._sql.get(shape)
            if sql is None:
                sql = self._sql[shape] = _insert_sql(shape, self.import_id)
            cursor = self.db.executemany(sql, map(itemgetter(1), run))
            added += int(cursor.rowcount)
        return added


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
            keep_all = rules == RuleSet()  # no rule in force: no need to ask of each message
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
                    allowed = batch if keep_all else [m for m in batch if rules.allows(m)]
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

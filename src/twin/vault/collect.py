"""Collecting an export into the vault: parse, apply the rules, store, all in one transaction."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

import orjson

from twin.importers import builtin, detect_importer, get_importer
from twin.importers.base import Importer, ParseOptions
from twin.importers.files import SourceFile
from twin.importers.lenient import LenientReport, reading
from twin.plugins import installed_plugins
from twin.records import Event, Kind, Message
from twin.vault.events import store_events
from twin.vault.import_worker import Batch, ImportWorker, batches_of, split, worth_a_worker
from twin.vault.people import my_names, set_me
from twin.vault.rows import Row, RowBuilder, VaultIds, insert_sql, message_uid, sort_key
from twin.vault.rules import RuleSet
from twin.vault.senders import check_me
from twin.vault.vault import Vault

__all__ = ["ImportSummary", "import_file", "message_uid", "preview", "sort_key"]

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


class _Collector:
    """Writes the messages of one import, resolving conversations and people as it goes."""

    def __init__(self, vault: Vault, import_id: int) -> None:
        self.db = vault.db
        self.import_id = import_id
        self.ids = VaultIds(vault)
        self.people = self.ids.people
        self.builder = RowBuilder(self.ids)
        self.row = self.builder.row
        """The message as a row to `insert` (`RowBuilder.row`)."""
        self.lenient = LenientReport()
        """What the importer read leniently, once the whole file is through."""
        self._sql: dict[int, str] = {}

    @property
    def conversations(self) -> dict[tuple[str, str], int]:
        """The conversations of this import, by source and key."""
        return self.ids.conversations

    @property
    def senders(self) -> Counter[int]:
        return self.builder.senders

    @property
    def me_seen(self) -> set[int]:
        return self.builder.me_seen

    def insert(self, rows: list[Row]) -> int:
        """Insert rows from `row`, each run of one shape in one go; how many were new."""
        added = 0
        for shape, run in groupby(rows, key=itemgetter(0)):
            sql = self._sql.get(shape)
            if sql is None:
                sql = self._sql[shape] = insert_sql(shape, self.import_id)
            cursor = self.db.executemany(sql, map(itemgetter(1), run))
            added += int(cursor.rowcount)
        return added


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
    worker: bool | None = None,
) -> ImportSummary:
    """Collect one export into the vault in a single transaction.

    Nothing is written unless the whole file parses. `rules` defaults to the vault's standing
    rules. `me` names the user up front, refused (`UnknownSender`) when no sender goes by it
    unless `force_me`; otherwise `choose_me` is asked when the file doesn't say. `worker` says
    whether to parse in a second process while this one stores (`twin.vault.import_worker`);
    None decides by the file's size and the machine's cores. Either way the vault ends the same.
    """
    file, importer = open_source(path, source)
    rules = rules or RuleSet.standing(vault)
    options = options or ParseOptions()
    in_force = None if rules == RuleSet() else rules  # None: nothing to ask of each message
    if worker is None:
        worker = worth_a_worker(importer, path)
    apart: ImportWorker | None = None
    try:
        if worker:  # started first, so that it parses while this process hashes the file
            apart = ImportWorker(importer, path, options, in_force, BATCH)
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
            batches = (
                _parsed_here(importer, file, options, in_force, collector)
                if apart is None
                else _parsed_apart(apart, collector)
            )
            for batch in batches:
                # Device activity goes to its own table; it is never a message or a target.
                if batch.events:
                    new = store_events(vault, import_id, batch.events)
                    summary.events += len(batch.events)
                    summary.added += new
                    summary.already_there += len(batch.events) - new
                summary.skipped += batch.skipped
                added = collector.insert(batch.rows)
                summary.added += added
                summary.already_there += len(batch.rows) - added
                seen += batch.seen
                if progress:
                    progress(seen)
            summary.lenient = collector.lenient
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
        if apart is not None:
            apart.kill()  # still working only when the import failed or was stopped
    return summary


def _parsed_here(
    importer: Importer,
    file: SourceFile,
    options: ParseOptions,
    rules: RuleSet | None,
    collector: _Collector,
) -> Iterator[Batch]:
    """The file's batches, parsed and turned into rows in this process."""
    with reading() as report:
        for mixed in batches_of(importer.parse(file, options), BATCH):
            messages, events = split(mixed)
            allowed = messages if rules is None else [m for m in messages if rules.allows(m)]
            rows = [collector.row(message) for message in allowed]
            yield Batch(rows, events, len(mixed), len(messages) - len(allowed))
    collector.lenient = report


def _parsed_apart(worker: ImportWorker, collector: _Collector) -> Iterator[Batch]:
    """The file's batches from the worker process, while this one stores the batches before."""
    yield from worker.batches(collector.ids)
    worker.close()
    collector.lenient = worker.result.lenient
    collector.senders.update(worker.result.senders)
    collector.me_seen.update(worker.result.me_seen)


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

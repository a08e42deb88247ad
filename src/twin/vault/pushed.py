"""Collecting what a paired device pushes: chat messages, with the device as their provenance.

Each push is one import record, like one export file: its ``file_name`` names where it came
from (``pushed by device 2: Sam's phone``), its time is the push's, and its ``file_sha256`` is
the hash of the messages as sent, so `twin sources` shows a repeated push once and
`twin forget --import N` takes back one push. The messages go through the same standing rules
and the same identity as imported ones (`twin.vault.collect`), so pushing them again, or
importing the export they also appear in, adds nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from twin.errors import TwinError
from twin.records import Message
from twin.vault.collect import ImportSummary, _Collector
from twin.vault.people import my_names, set_me
from twin.vault.rules import RuleSet
from twin.vault.sealed import memory_views_work
from twin.vault.vault import Vault

PUSH_VERSION = "hub-push-1"
"""The ``importer_version`` of pushed records."""


def push_digest(messages: Sequence[Message]) -> str:
    """SHA-256 of the messages as sent: the same push gives the same digest."""
    digest = hashlib.sha256()
    for message in messages:
        digest.update(json.dumps(message.preview(), sort_keys=True).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def pushed_import(vault: Vault, source: str, origin: str, digest: str = "") -> int:
    """A new import record for one push of `source` from `origin`; call inside a transaction."""
    cursor = vault.db.execute(
        "INSERT INTO imports (source, importer_version, file_name, file_sha256, imported_at, "
        "rules) VALUES (?, ?, ?, ?, ?, ?)",
        (
            source,
            PUSH_VERSION,
            origin,
            digest,
            datetime.now(UTC).isoformat(timespec="seconds"),
            json.dumps(RuleSet.standing(vault).describe(), sort_keys=True),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def collect_messages(
    vault: Vault,
    messages: Sequence[Message],
    *,
    origin: str,
    rules: RuleSet | None = None,
    me: str | None = None,
) -> ImportSummary:
    """Store pushed `messages` (all of one source) in one transaction, as an import would.

    `origin` says where they came from (the device); `rules` defaults to the standing rules;
    `me` names the user among the senders, as ``twin import --me`` does.
    """
    sources = {message.source for message in messages}
    if len(sources) > 1:
        raise TwinError(f"{origin}: one push holds messages of one source, not {sorted(sources)}")
    source = sources.pop() if sources else "push"
    rules = rules or RuleSet.standing(vault)
    with vault.transaction():
        import_id = pushed_import(vault, source, origin, push_digest(messages))
        summary = ImportSummary(import_id, source, origin)
        first_new_id = vault.db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
        collector = _Collector(vault, import_id)
        allowed = [m for m in messages if rules.allows(m)]
        summary.skipped = len(messages) - len(allowed)
        summary.added = collector.insert([collector.row(m) for m in allowed])
        summary.already_there = len(allowed) - summary.added
        vault.db.execute(
            "INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE id > ?",
            (first_new_id,),
        )
        for person in collector.me_seen:
            collector.people.mark_me(person)
        if me:
            set_me(vault, me)
        summary.conversations = len(collector.conversations)
        summary.me = my_names(vault)
        vault.db.execute(
            "UPDATE imports SET added = ?, already_there = ?, skipped = ? WHERE id = ?",
            (summary.added, summary.already_there, summary.skipped, import_id),
        )
    return summary


def note_file_name(title: str) -> str:
    """The Markdown file name a pushed note is read under: its title, with nothing odd in it."""
    name = "".join(c if c.isalnum() or c in " -_" else "_" for c in title)[:100]
    return f"{name.strip() or 'note'}.md"


@contextmanager
def note_in_memory(staging: Path, title: str, text: str) -> Iterator[Path]:
    """A fresh owner-only folder in `staging` holding one Markdown note, for the notes importers.

    The note itself lies in an anonymous in-memory file (``memfd_create``), never on a disk;
    the folder holds only a link to it, named after the title. Both go when the block ends, or
    with the process. Where the system has no in-memory files, the note is an owner-only file
    (0600) in the owner-only folder, removed at the end of the block.
    """
    folder = staging / f"push-{secrets.token_hex(6)}"
    folder.mkdir(mode=0o700)
    note = folder / note_file_name(title)
    data = f"# {title}\n\n{text}\n".encode()
    fd = -1
    try:
        if memory_views_work():
            fd = os.memfd_create(f"twin-{note.name}", os.MFD_CLOEXEC)
            _write_all(fd, data)
            note.symlink_to(f"/proc/{os.getpid()}/fd/{fd}")
        else:
            with open(note, "wb", opener=lambda p, f: os.open(p, f, 0o600)) as plain:
                plain.write(data)
        yield folder
    finally:
        if fd >= 0:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


def _write_all(fd: int, data: bytes) -> None:
    """Write all of `data` (one `os.write` may write less)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]

"""Every column of a stored message is what the importer said, whichever columns are empty.

Rows are written by one INSERT per shape (which optional columns are NULL, whether the sort
key is the time as written), so each shape is checked against the records themselves.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from tests.vault.helpers import ANN
from twin.home import Home
from twin.importers.base import ParseOptions
from twin.records import Kind
from twin.vault import Secret, Vault
from twin.vault.collect import import_file, preview

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize(
    "path",
    [ANN, FIXTURES / "telegram" / "account.json", FIXTURES / "telegram" / "single_chat.json"],
    ids=lambda path: path.name,
)
def test_stored_columns_are_the_records(tmp_home: Home, path: Path) -> None:
    records = list(preview(path, None, ParseOptions()))
    with Vault.create(tmp_home, Secret(passphrase="pass")) as vault:
        summary = import_file(vault, path)
        stored = vault.db.execute(
            "SELECT people.name, sent_at, sort_key, kind, text, source_message_id, reply_to, "
            "forwarded_from, edited, import_id FROM messages "
            "LEFT JOIN people ON people.id = sender_id ORDER BY messages.id"
        ).fetchall()
    assert summary.added == len(records) == len(stored)
    shapes = set()
    for record, row in zip(records, stored, strict=True):
        moment = record.sent_at
        utc = moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
        sender = None if record.kind is Kind.SYSTEM else record.sender
        assert row == (
            sender,
            moment.isoformat(),
            utc.isoformat(),
            record.kind.value,
            record.text,
            record.message_id,
            record.reply_to,
            record.forwarded_from,
            int(record.edited),
            summary.import_id,
        )
        shapes.add((sender is None, record.message_id is None, record.reply_to is None))
    assert len(shapes) > 1 or path == ANN

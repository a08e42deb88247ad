"""App databases (chat.db, History, db.sqlite) are read as of their last commit, write-ahead log
included, without a byte written: not to the app's files, not as a copy on disk."""

from __future__ import annotations

import hashlib
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile, read_only_database
from twin.importers.imessage import IMessageImporter
from twin.importers.sqlite_image import _checksum
from twin.vault.sealed import SealedWriter, memory_views_work, opened_in_memory

CHAT_SQL = Path(__file__).parent.parent / "fixtures" / "imessage" / "chat.sql"


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file in `folder`, by name, with the hash of its bytes."""
    files = sorted(p for p in folder.iterdir() if p.is_file())
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture
def watched_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder, pointed at an empty folder a test can look into."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def running_app(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection]]:
    """A database in WAL mode held open by its 'app', which never checkpoints."""
    path = tmp_path / "app" / "live.db"
    path.parent.mkdir()
    app = sqlite3.connect(path, isolation_level=None)
    app.execute("PRAGMA journal_mode = wal")
    app.execute("PRAGMA wal_autocheckpoint = 0")
    app.execute("CREATE TABLE t (x)")
    app.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file holds the table, no rows
    yield path, app
    app.close()


def count(path: Path) -> int:
    with read_only_database(path) as db:
        found: int = db.execute("SELECT count(*) FROM t").fetchone()[0]
    return found


def test_a_running_apps_newest_commits_are_read_and_nothing_is_written(
    running_app: tuple[Path, sqlite3.Connection], watched_tmp: Path
) -> None:
    path, app = running_app
    for i in range(3):
        app.execute("INSERT INTO t VALUES (?)", (i,))
    before = fingerprint(path.parent)
    assert set(before) == {"live.db", "live.db-wal", "live.db-shm"}
    with read_only_database(path) as db:
        assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 3  # only in the log
        assert list(watched_tmp.iterdir()) == [], "a copy of the database on disk"
        with pytest.raises(sqlite3.OperationalError):
            db.execute("INSERT INTO t VALUES (4)")
    assert fingerprint(path.parent) == before, "the app's files were changed"


def test_a_transaction_still_being_written_is_not_read(
    running_app: tuple[Path, sqlite3.Connection],
) -> None:
    path, app = running_app
    app.execute("INSERT INTO t VALUES ('committed')")
    app.execute("PRAGMA cache_size = 1")  # so the open transaction spills pages to the log
    app.execute("BEGIN")
    for _ in range(500):
        app.execute("INSERT INTO t VALUES (?)", ("x" * 200,))
    assert path.with_name("live.db-wal").stat().st_size > 10 * 4096  # uncommitted frames
    assert count(path) == 1
    app.execute("COMMIT")
    assert count(path) == 501


def test_a_database_made_smaller_by_its_last_commit(
    running_app: tuple[Path, sqlite3.Connection],
) -> None:
    path, app = running_app
    app.executemany("INSERT INTO t VALUES (?)", [("x" * 500,) for _ in range(300)])
    app.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    app.execute("DELETE FROM t")
    app.execute("INSERT INTO t VALUES ('left')")
    app.execute("VACUUM")  # the log's last commit has fewer pages than the file
    with read_only_database(path) as db:
        assert db.execute("SELECT x FROM t").fetchall() == [("left",)]
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_log_cut_short_in_its_last_frame_reads_as_of_the_commit_before(
    running_app: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, app = running_app
    app.execute("INSERT INTO t VALUES (1)")
    app.execute("INSERT INTO t VALUES (2)")
    copy = tmp_path / "copy.db"
    copy.write_bytes(path.read_bytes())
    wal = path.with_name("live.db-wal").read_bytes()
    copy.with_name("copy.db-wal").write_bytes(wal[:-100])  # the app died mid-write
    assert count(copy) == 1


def test_a_log_claiming_pages_it_does_not_hold_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    page = path.read_bytes()[:4096]
    header = struct.pack(">6I", 0x377F0682, 3007000, 4096, 0, 7, 8)
    sums = _checksum(header, "<", 0, 0)
    frame_head = struct.pack(">2I", 1, 1_000_000)  # a commit of a million pages
    frame_sums = _checksum(page, "<", *_checksum(frame_head, "<", *sums))
    path.with_name("odd.db-wal").write_bytes(
        header
        + struct.pack(">2I", *sums)
        + frame_head
        + struct.pack(">4I", 7, 8, *frame_sums)
        + page
    )
    with (
        pytest.raises(BadInput, match=r"odd\.db: a damaged write-ahead log"),
        read_only_database(path),
    ):
        pass


def test_messages_reads_a_running_chat_db_with_its_log(tmp_path: Path, watched_tmp: Path) -> None:
    path = tmp_path / "chat.db"
    app = sqlite3.connect(path, isolation_level=None)
    app.execute("PRAGMA journal_mode = wal")
    app.execute("PRAGMA wal_autocheckpoint = 0")
    app.executescript(CHAT_SQL.read_text())
    app.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    app.execute(
        "INSERT INTO message (guid, text, date, is_from_me, handle_id) "
        "SELECT 'NEW1', 'just arrived', date + 1, 0, handle_id FROM message WHERE guid = 'A1'"
    )
    app.execute(
        "INSERT INTO chat_message_join (chat_id, message_id) SELECT chat_id, "
        "(SELECT ROWID FROM message WHERE guid = 'NEW1') FROM chat_message_join "
        "WHERE message_id = (SELECT ROWID FROM message WHERE guid = 'A1')"
    )
    before = fingerprint(tmp_path)
    source = SourceFile(path)
    assert IMessageImporter().detect(source)
    found = {m.message_id: m for m in IMessageImporter().parse(source, ParseOptions())}
    assert found["NEW1"].text == "just arrived"
    assert fingerprint(tmp_path) == before
    assert list(watched_tmp.iterdir()) == []
    app.close()


@pytest.mark.skipif(not memory_views_work(), reason="needs memfd_create and /proc")
def test_a_database_held_in_memory_is_recognised_and_read(tmp_path: Path) -> None:
    """An upload the hub keeps sealed and opens in memory: SQLite can't open it by name."""
    plain = tmp_path / "made" / "chat.db"
    plain.parent.mkdir()
    with sqlite3.connect(plain) as db:
        db.executescript(CHAT_SQL.read_text())
    sealed = tmp_path / "chat.db.sealed"
    key = b"k" * 32
    with sealed.open("wb") as out, SealedWriter(out, key, "upload") as writer:
        writer.write(plain.read_bytes())
    with opened_in_memory(sealed, key, "upload", "chat.db") as link:
        source = SourceFile(link)
        assert IMessageImporter().detect(source)
        assert len(list(IMessageImporter().parse(source, ParseOptions()))) == 10


def test_a_link_to_a_running_apps_database_reads_the_log_beside_the_file(
    running_app: tuple[Path, sqlite3.Connection], tmp_path: Path
) -> None:
    path, app = running_app
    app.execute("INSERT INTO t VALUES ('newest')")
    link = tmp_path / "chat-link.db"
    link.symlink_to(path)
    assert count(link) == 1

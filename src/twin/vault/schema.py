"""The vault's schema, as a list of migrations recorded in the ``migrations`` table.

A schema change is a new function appended here, never an edit of an old one. Other parts of
twin (datasets, recall) add their tables the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from twin.vault.db import Connection, execute_script, transaction

Migration = Callable[[Connection], None]
MIGRATIONS: list[Migration] = []


def migration(function: Migration) -> Migration:
    """Register a migration; they run in the order they are defined."""
    MIGRATIONS.append(function)
    return function


@migration
def m001_records(db: Connection) -> None:
    execute_script(
        db,
        """
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            importer_version TEXT NOT NULL,
            file_name TEXT NOT NULL,
            file_sha256 TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            rules TEXT NOT NULL,            -- JSON: standing rules and per-import choices in force
            added INTEGER NOT NULL DEFAULT 0,
            already_there INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            is_me INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE aliases (
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            source TEXT NOT NULL,           -- '*' for an alias that holds in every source
            alias TEXT NOT NULL,            -- a display name or the source's id for the person
            PRIMARY KEY (source, alias)
        ) WITHOUT ROWID;
        CREATE INDEX aliases_person ON aliases(person_id);
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,      -- the source's chat id, or its title when it has none
            title TEXT NOT NULL,
            is_group INTEGER,
            UNIQUE (source, external_id)
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            uid BLOB NOT NULL,              -- hash of its identity: makes import idempotent
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            sender_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
            sent_at TEXT NOT NULL,          -- ISO 8601, with the offset when the source gives it
            sort_key TEXT NOT NULL,         -- sent_at in UTC when known, else as given
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            source_message_id TEXT,
            reply_to TEXT,
            forwarded_from TEXT,
            edited INTEGER NOT NULL DEFAULT 0,
            import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE
        );
        -- One index both orders a conversation by time and makes a message's identity unique.
        -- (uid alone would do for uniqueness, but random keys make every insert touch a new
        -- page; within a conversation and moment, inserts arrive nearly in index order.)
        CREATE UNIQUE INDEX messages_identity ON messages(conversation_id, sort_key, uid);
        CREATE INDEX messages_sender ON messages(sender_id);
        CREATE INDEX messages_import ON messages(import_id);
        CREATE VIRTUAL TABLE messages_fts USING fts5(
            text, content='messages', content_rowid='id', tokenize='unicode61'
        );
        -- New rows are indexed in bulk at the end of each import; deletions must follow at once.
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TABLE rules (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (kind, value)
        );
        """,
    )


def migrate(db: Connection) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    applied = {name for (name,) in db.execute("SELECT name FROM migrations")}
    done = []
    for step in MIGRATIONS:
        if step.__name__ in applied:
            continue
        with transaction(db):
            step(db)
            db.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                (step.__name__, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        done.append(step.__name__)
    return done


@migration
def m002_notes_journal_recall(db: Connection) -> None:
    """Notes and journal entries, the recall index over them (and, by choice, messages),
    and the persona the twin speaks as. See `twin.memory` and `twin.chat`."""
    execute_script(
        db,
        """
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,       -- hash of where the note lives: re-import updates it
            kind TEXT NOT NULL,             -- 'journal' or 'note'
            source TEXT NOT NULL,           -- 'journal', 'markdown', 'plaintext', 'tiddlywiki'
            location TEXT NOT NULL,         -- file path inside the import, or tiddler title
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,       -- ISO 8601
            tags TEXT NOT NULL DEFAULT '[]',
            links TEXT NOT NULL DEFAULT '[]',
            private INTEGER NOT NULL DEFAULT 0,
            content_sha256 TEXT NOT NULL,   -- of title and text: unchanged notes are skipped
            import_id INTEGER REFERENCES imports(id)  -- NULL: written in twin
        );
        CREATE INDEX notes_created ON notes(created_at);
        CREATE INDEX notes_import ON notes(import_id);
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            owner TEXT NOT NULL,            -- 'note' or 'message'
            owner_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            heading TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            sha256 TEXT NOT NULL            -- of heading and text: unchanged chunks keep vectors
        );
        CREATE INDEX chunks_owner ON chunks(owner, owner_id);
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            heading, text, content='chunks', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts(rowid, heading, text) VALUES (new.id, new.heading, new.text);
        END;
        CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, heading, text)
            VALUES ('delete', old.id, old.heading, old.text);
            DELETE FROM chunk_vectors WHERE rowid = old.id;
        END;
        CREATE TRIGGER chunks_fts_update AFTER UPDATE OF heading, text ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, heading, text)
            VALUES ('delete', old.id, old.heading, old.text);
            INSERT INTO chunks_fts(rowid, heading, text) VALUES (new.id, new.heading, new.text);
        END;
        -- rowid = chunks.id; `coarse` is the sign of each dimension, scanned first on big indexes.
        CREATE VIRTUAL TABLE chunk_vectors USING vec0(
            embedding float[384] distance_metric=cosine,
            coarse bit[384]
        );
        CREATE TRIGGER notes_chunks_delete AFTER DELETE ON notes BEGIN
            DELETE FROM chunks WHERE owner = 'note' AND owner_id = old.id;
        END;
        CREATE TABLE persona (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL DEFAULT '',
            bio TEXT NOT NULL DEFAULT '',
            facts TEXT NOT NULL DEFAULT '[]',   -- JSON list of short sentences
            updated_at TEXT NOT NULL
        );
        """,
    )


@migration
def m003_recall_embeddings(db: Connection) -> None:
    """Full vectors in a plain table too, so re-ranking the candidates of the one-bit scan reads
    one page per passage instead of a whole 1,024-vector block of the vec0 table."""
    execute_script(
        db,
        """
        CREATE TABLE chunk_embeddings (
            chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
            embedding BLOB NOT NULL         -- 384 float32, unit length
        );
        INSERT INTO chunk_embeddings (chunk_id, embedding)
            SELECT rowid, embedding FROM chunk_vectors;
        """,
    )


@migration
def m201_feedback(db: Connection) -> None:
    """Thumbs and corrections on the twin's replies (`twin.chat.feedback`): preference pairs
    for DPO, and corrections as examples in the person's voice."""
    execute_script(
        db,
        """
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            source TEXT NOT NULL,           -- chat, hub, blind-test, expand
            context TEXT NOT NULL,          -- JSON list of {role, content}: what the reply answered
            context_key BLOB NOT NULL,      -- hash of the context, to pair replies to one context
            reply TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('good', 'bad')),
            correction TEXT                 -- "I would have said ...", when given
        );
        CREATE INDEX feedback_context ON feedback(context_key);
        """,
    )


@migration
def m101_eval_results(db: Connection) -> None:
    """Evaluations of training runs and blind-test picks (see `twin.evaluate.store`)."""
    execute_script(
        db,
        """
        CREATE TABLE evaluations (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,               -- a run id, or 'base'
            created_at TEXT NOT NULL,
            quick INTEGER NOT NULL DEFAULT 0,
            conversation_ids TEXT NOT NULL DEFAULT '[]',  -- JSON: what it read, for forget
            note_ids TEXT NOT NULL DEFAULT '[]',
            result TEXT NOT NULL                -- JSON of twin.evaluate.results.EvalResult
        );
        CREATE INDEX evaluations_run ON evaluations(run_id, id);
        CREATE TABLE blind_picks (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            conversation_ids TEXT NOT NULL DEFAULT '[]',
            context TEXT NOT NULL,              -- JSON list of chat turns shown
            real TEXT NOT NULL,
            twin TEXT NOT NULL,
            twin_picked INTEGER NOT NULL        -- 1: the twin's reply was taken for the real one
        );
        CREATE INDEX blind_picks_run ON blind_picks(run_id, id);
        """,
    )


@migration
def m301_hub_jobs_devices_activity(db: Connection) -> None:
    """The hub's background jobs, paired devices, activity events and chat conversations."""
    execute_script(
        db,
        """
        CREATE TABLE hub_jobs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,             -- 'import', 'dataset', 'train', 'evaluate'
            status TEXT NOT NULL,           -- queued, running, done, failed, cancelled, interrupted
            params TEXT NOT NULL DEFAULT '{}',
            progress TEXT NOT NULL DEFAULT '{}',
            outcome TEXT NOT NULL DEFAULT '',
            cancel INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE INDEX hub_jobs_kind ON hub_jobs(kind, status);
        CREATE TABLE hub_devices (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            paired_at TEXT NOT NULL,
            last_seen TEXT,
            revoked_at TEXT
        );
        CREATE TABLE hub_activity (
            id INTEGER PRIMARY KEY,
            bucket TEXT NOT NULL,
            device_id INTEGER REFERENCES hub_devices(id) ON DELETE SET NULL,
            import_id INTEGER REFERENCES imports(id) ON DELETE CASCADE,
            started_at TEXT NOT NULL,       -- ISO 8601, UTC
            duration REAL NOT NULL DEFAULT 0,
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX hub_activity_bucket ON hub_activity(bucket, started_at);
        CREATE TABLE hub_buckets (
            name TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            client TEXT NOT NULL,
            hostname TEXT NOT NULL,
            device_id INTEGER REFERENCES hub_devices(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE hub_chat_turns (
            id INTEGER PRIMARY KEY,
            chat TEXT NOT NULL,             -- one conversation with the twin
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            details TEXT NOT NULL DEFAULT '{}',  -- passages and guard verdicts of a reply
            created_at TEXT NOT NULL
        );
        CREATE INDEX hub_chat_turns_chat ON hub_chat_turns(chat, id);
        """,
    )


@migration
def m401_events(db: Connection) -> None:
    """Device activity (`twin.records.Event`): windows, pages, commands. Never trained on."""
    execute_script(
        db,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            uid BLOB NOT NULL UNIQUE,       -- hash of source, kind, time and content: idempotent
            source TEXT NOT NULL,           -- 'activitywatch', 'firefox', 'chrome', 'zsh', ...
            kind TEXT NOT NULL,             -- 'window', 'afk', 'active', 'web', 'visit', 'command'
            started_at TEXT NOT NULL,       -- ISO 8601, with the offset when known
            sort_key TEXT NOT NULL,         -- started_at in UTC when known
            duration REAL NOT NULL DEFAULT 0,
            app TEXT,
            title TEXT,
            url TEXT,
            device TEXT,
            import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE
        );
        CREATE INDEX events_time ON events(sort_key);
        CREATE INDEX events_import ON events(import_id);
        """,
    )


@migration
def m501_voice_transcripts(db: Connection) -> None:
    """Transcripts of voice notes and recordings (`twin.voice`): where the audio came from,
    segment timestamps, language and confidence. A transcribed message is flagged so a dataset
    build can leave spoken words out; the audio itself is kept only when the user asks."""
    execute_script(
        db,
        """
        ALTER TABLE messages ADD COLUMN transcribed INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE voice_transcripts (
            id INTEGER PRIMARY KEY,
            message_id INTEGER UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
            note_id INTEGER UNIQUE REFERENCES notes(id) ON DELETE CASCADE,
            origin TEXT NOT NULL,           -- the audio's file, or export path and member
            audio_sha256 TEXT NOT NULL,
            original_text TEXT,             -- a message's text before: its attachment line
            original_kind TEXT,
            language TEXT NOT NULL,
            confidence REAL NOT NULL,       -- 0..1, from the decoder's token probabilities
            duration REAL NOT NULL,         -- seconds of audio
            segments TEXT NOT NULL,         -- JSON list of {start, end, text}
            model TEXT NOT NULL,
            created_at TEXT NOT NULL,
            audio BLOB                      -- only with --keep-audio
        );
        """,
    )


@migration
def m721_speed_recall_dates(db: Connection) -> None:
    """Each recall passage carries the date of its note, entry or message, indexed, so a
    question about "this week" reaches that week's passages at once."""
    execute_script(
        db,
        """
        ALTER TABLE chunks ADD COLUMN date TEXT;   -- ISO 8601, of the note or message
        UPDATE chunks SET date = (SELECT created_at FROM notes WHERE notes.id = owner_id)
            WHERE owner = 'note';
        UPDATE chunks SET date = (SELECT sent_at FROM messages WHERE messages.id = owner_id)
            WHERE owner = 'message';
        CREATE INDEX chunks_date ON chunks(date);
        """,
    )


@migration
def m321_hub_activity_into_events(db: Connection) -> None:
    """Activity pushed to the hub (ActivityWatch's shape) lives in `events` with every other
    device activity, so day summaries, recall and forget see it; ``hub_bucket_events`` keeps
    only which bucket each event came in and its data as sent, for ActivityWatch's API.
    The rows of ``hub_activity`` move over (their import stays their provenance)."""
    import json

    from twin.importers.activitywatch import _event
    from twin.vault.events import _sort_key, event_uid

    db.execute(
        "CREATE TABLE hub_bucket_events ("
        " event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,"
        " bucket TEXT NOT NULL REFERENCES hub_buckets(name) ON DELETE CASCADE,"
        " data TEXT NOT NULL DEFAULT '{}')"
    )
    db.execute("CREATE INDEX hub_bucket_events_bucket ON hub_bucket_events(bucket)")
    rows = db.execute(
        "SELECT a.bucket, a.import_id, a.started_at, a.duration, a.data, b.type, b.client, "
        "b.hostname FROM hub_activity a JOIN hub_buckets b ON b.name = a.bucket "
        "WHERE a.import_id IS NOT NULL ORDER BY a.id"
    ).fetchall()
    for bucket, import_id, started, duration, data, type_, client, hostname in rows:
        shape = {"id": bucket, "type": type_, "client": client, "hostname": hostname}
        event = _event(
            {"timestamp": started, "duration": duration, "data": json.loads(data)},
            shape,
            f"hub bucket {bucket}",
        )
        if event is None:  # an incognito tab: ActivityWatch's own export leaves it out too
            continue
        uid = event_uid(event)
        db.execute(
            "INSERT OR IGNORE INTO events (uid, source, kind, started_at, sort_key, duration, "
            "app, title, url, device, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uid,
                event.source,
                event.kind,
                event.started_at.isoformat(),
                _sort_key(event.started_at),
                event.duration,
                event.app,
                event.title,
                event.url,
                event.device,
                import_id,
            ),
        )
        (event_id,) = db.execute("SELECT id FROM events WHERE uid = ?", (uid,)).fetchone()
        db.execute(
            "INSERT OR IGNORE INTO hub_bucket_events (event_id, bucket, data) VALUES (?, ?, ?)",
            (event_id, bucket, data),
        )
    db.execute("DROP TABLE hub_activity")


@migration
def m722_speed_recall_lists(db: Connection) -> None:
    """Big recall indexes group passages into lists around k-means centroids (an inverted
    file): the centroids, and each passage's list and its vector in 8-bit integers in a narrow
    table, so a search visits a few lists instead of every vector (`twin.memory.vectors`)."""
    execute_script(
        db,
        """
        CREATE TABLE vector_lists (
            list INTEGER PRIMARY KEY,
            centroid BLOB NOT NULL          -- 384 float32, unit length
        );
        CREATE TABLE chunk_lists (
            chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
            list INTEGER NOT NULL,
            codes BLOB NOT NULL,            -- 384 int8: the vector / scale, rounded
            scale REAL NOT NULL
        );
        CREATE TABLE vector_list_training (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            passages INTEGER NOT NULL,      -- index size when trained
            lists INTEGER NOT NULL,
            trained_at TEXT NOT NULL
        );
        """,
    )


@migration
def m723_speed_recall_lists_version(db: Connection) -> None:
    """A counter that moves only when the recall lists change, so a process keeps the lists it
    read (a few seconds at a million passages) across writes to the rest of the vault: a chat
    turn, feedback, an event. Triggers keep it, so every connection's writes count, deletes by
    cascade included."""
    statements = [
        """
        CREATE TABLE vector_lists_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        )
        """,
        "INSERT INTO vector_lists_version (id, version) VALUES (1, 0)",
    ]
    for table in ("vector_lists", "chunk_lists"):
        for change in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_{change.lower()}_version AFTER {change} ON {table} "
                "BEGIN UPDATE vector_lists_version SET version = version + 1; END"
            )
    for statement in statements:
        db.execute(statement)

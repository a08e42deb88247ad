"""A second process that parses an export and builds its rows while this one stores them.

A big import is two halves of about equal cost: parsing the file and building rows (Python),
and storing them (SQLite). On a machine with two cores they run side by side: the worker
parses and builds rows, and sends them, a batch at a time, over a pipe to the process that
holds the vault, which inserts them in its one transaction. Everything travels in memory;
nothing is written to disk. The worker never opens the vault: the ids of conversations and
senders are asked of the vault's process as they first appear (a handful per file), so the
rows, and the vault after the import, are exactly what `twin.vault.collect` builds alone.

An error in the worker (a bad file half-way through) is sent back and raised in the vault's
process, inside the transaction, so nothing of the import is stored.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import pickle
import signal
import struct
import subprocess
import sys
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import twin
from twin.errors import BadInput, TwinError
from twin.importers.base import Importer, ParseOptions
from twin.importers.files import SourceFile
from twin.importers.lenient import LenientReport, reading
from twin.records import Event, Message
from twin.vault.rows import Ids, Row, RowBuilder
from twin.vault.rules import RuleSet

WORKER_BYTES = 8 << 20
"""Files at least this big are parsed in a worker: below, its start-up (a fifth of a second)
costs more than the second core gains."""

_LENGTH = struct.Struct("<Q")


@dataclass
class Batch:
    """One batch of an import, parsed and turned into rows."""

    rows: list[Row]
    events: list[Event]
    seen: int
    """Records read in this batch (messages and events)."""
    skipped: int
    """Messages the rules kept out."""


@dataclass
class WorkerResult:
    """What the worker knows once the whole file is through."""

    lenient: LenientReport = field(default_factory=LenientReport)
    senders: Counter[int] = field(default_factory=Counter)
    me_seen: set[int] = field(default_factory=set)


def batches_of(records: Iterable[Message | Event], size: int) -> Iterator[list[Message | Event]]:
    """`records` in lists of `size` (the last one shorter)."""
    batch: list[Message | Event] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def split(mixed: list[Message | Event]) -> tuple[list[Message], list[Event]]:
    """A batch's messages and its device activity events, each in order."""
    events = [record for record in mixed if isinstance(record, Event)]
    if not events:
        return mixed, []  # type: ignore[return-value]
    return [record for record in mixed if isinstance(record, Message)], events


def worth_a_worker(importer: Importer, path: Path) -> bool:
    """Whether `path` is big enough, and the machine has a second core, to parse it apart.

    Only twin's own importers run in a worker: the worker makes the importer afresh, by its
    class, and a plugin's class may need what only this process has.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    if cores < 2 or not sys.executable or not type(importer).__module__.startswith("twin."):
        return False
    try:
        return path.is_file() and path.stat().st_size >= WORKER_BYTES
    except OSError:
        return False


class _Channel:
    """Length-prefixed pickles over a pair of pipes."""

    def __init__(self, reader: IO[bytes], writer: IO[bytes]) -> None:
        self.reader, self.writer = reader, writer

    def send(self, message: object) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.write(_LENGTH.pack(len(data)))
        self.writer.write(data)
        self.writer.flush()

    def receive(self) -> Any:
        head = self.reader.read(_LENGTH.size)
        if len(head) < _LENGTH.size:
            raise EOFError
        (length,) = _LENGTH.unpack(head)
        data = self.reader.read(length)
        if len(data) < length:
            raise EOFError
        return pickle.loads(data)


class ImportWorker:
    """The worker process of one import, seen from the process that holds the vault."""

    def __init__(
        self,
        importer: Importer,
        path: Path,
        options: ParseOptions,
        rules: RuleSet | None,
        batch_size: int,
    ) -> None:
        """Start the worker on `path`; `rules` None means no rule is in force."""
        source = str(Path(twin.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            part for part in (source, os.environ.get("PYTHONPATH")) if part
        )}  # fmt: skip
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from twin.vault.import_worker import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.channel = _Channel(self.process.stdout, self.process.stdin)
        kind = type(importer)
        job = (kind.__module__, kind.__qualname__, str(path), options, rules, batch_size)
        self.channel.send(job)
        self.result = WorkerResult()

    def batches(self, ids: Ids) -> Iterator[Batch]:
        """The file's batches as the worker sends them; its questions for ids go to `ids`.

        Raises the worker's error, if it met one, after the batches before it.
        """
        while True:
            try:
                message = self.channel.receive()
            except EOFError:
                code = self.process.wait()
                raise TwinError(
                    f"the import's parsing process ended unexpectedly (exit {code})"
                ) from None
            what = message[0]
            if what == "batch":
                yield Batch(*message[1:])
            elif what == "conversation":
                self.channel.send(ids.conversation(*message[1:]))
            elif what == "person":
                self.channel.send(ids.person(*message[1:]))
            elif what == "done":
                self.result = WorkerResult(*message[1:])
                return
            else:
                raise _error_from(message)

    def close(self) -> None:
        """End the worker: at once if it is still working (the import failed or was stopped)."""
        process = self.process
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.close()


def _error_from(message: tuple[Any, ...]) -> BaseException:
    """The worker's error, rebuilt here."""
    what = message[0]
    if what == "bad-input":
        return BadInput(*message[1:])
    if what == "error":
        error: BaseException = message[1]
        return error
    name, text, where = message[1:]
    failed = RuntimeError(f"the import's parsing process failed: {name}: {text}")
    failed.add_note(where)
    return failed


class _AskParent:
    """`Ids` asked of the vault's process over the channel."""

    def __init__(self, channel: _Channel) -> None:
        self.channel = channel

    def conversation(self, source: str, key: str, title: str, is_group: bool | None) -> int:
        self.channel.send(("conversation", source, key, title, is_group))
        answer: int = self.channel.receive()
        return answer

    def person(self, source: str, name: str, sender_id: str | None) -> int:
        self.channel.send(("person", source, name, sender_id))
        answer: int = self.channel.receive()
        return answer


def _portable(error: BaseException) -> tuple[Any, ...]:
    """The error as the vault's process can rebuild it."""
    if isinstance(error, BadInput):
        return ("bad-input", error.path, error.problem, error.line)
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return ("failed", type(error).__name__, str(error), traceback.format_exc())
    return ("error", error)


def _die_with_parent() -> None:
    """Ask Linux to end this process when the vault's process ends (no-op elsewhere)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve() -> None:
    """The worker's main: read the job, send the batches, then what it learnt, and exit."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the vault's process to handle
    writer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print can't break the channel
    channel = _Channel(sys.stdin.buffer, writer)
    gc.disable()  # a short-lived process whose rows hold no cycles: collections only cost
    try:
        job = channel.receive()
        try:
            _work(channel, *job)
        except (BrokenPipeError, EOFError):
            raise
        except Exception as error:
            channel.send(_portable(error))
    except (BrokenPipeError, EOFError):
        pass  # the vault's process ended first: nothing to tell anyone
    finally:
        with contextlib.suppress(OSError):
            writer.close()


def _work(
    channel: _Channel,
    module: str,
    name: str,
    path: str,
    options: ParseOptions,
    rules: RuleSet | None,
    batch_size: int,
) -> None:
    importer: Importer = getattr(importlib.import_module(module), name)()
    builder = RowBuilder(_AskParent(channel))
    file = SourceFile(Path(path))
    try:
        with reading() as report:
            for mixed in batches_of(importer.parse(file, options), batch_size):
                messages, events = split(mixed)
                allowed = messages if rules is None else [m for m in messages if rules.allows(m)]
                rows = [builder.row(message) for message in allowed]
                channel.send(("batch", rows, events, len(mixed), len(messages) - len(allowed)))
    finally:
        file.close()
    channel.send(("done", report, builder.senders, builder.me_seen))

"""WhatsApp's "Export chat" files: Android and iOS layouts, any locale, plain .txt or zipped.

An export is one line per message header (date, time, author, first line of text) followed by
the message's further lines as written. Layouts differ by platform and locale, so the parser
learns the layout from the first few hundred headers, then compiles one regex for the whole
file that matches a whole message, further lines included. That keeps it fast (the regex
engine, not Python, walks the lines) and keeps lines that merely look a bit like a header in
another layout from being taken for one.

Two passes: the first splits the text into compact rows, keeping each distinct date as text;
the second settles the date order from all of them, sorts, and builds the records.

Real exports are messy, so the reading is lenient; every rule below was met in a real file, and
what was read leniently is counted in `twin.importers.lenient` for `twin import` to report:

* One odd header never costs the file. ``00:08 a. m.`` (hour 00 on a 12-hour clock) is read
  as 12:08 a.m.; ``23:59 PM`` (a 24-hour hour with a marker) as 23:59, the marker ignored;
  ``24:00`` as the end of the day; an impossible minute as the nearest possible time. A date
  impossible in the file's (inferred) order is read in another order, else as the day before
  it; only a date order the user forced makes an impossible date an error.
* A file is refused only when it is not a chat: when its first line is not a header, at least
  three of the first lines must be headers and one in five of them, else it is refused. Lines
  before the first header are skipped (and counted).
* Any run of invisible marks (BOMs, U+200E/U+200F, the embedding and isolate controls, the
  zero-width space) may open a line, and a BOM may open the file before a bracketed iOS header.
* Media placeholders match in any casing (``<media omitted>``), in the languages listed in
  `twin.importers.whatsapp_phrases`, and any short whole line in angle brackets that names media
  in one of those languages.
* ``Name:`` with nothing after it is a message of that sender: its text, if any, is on the
  next lines; with none (a view-once photo) it is media.
* A line credited to an author is a system line when WhatsApp marked it with U+200E and it
  reads as a notice; when the author is the chat's own title (the group, or the contact, as the
  file or zip name says) and it reads as one of the notices any chat has (encryption, in any
  language we list, security code, phone number); or when it opens the file and is the
  encryption notice (for files whose name gives no title).
* A line that is not a header is text of the message before it; such lines are counted, and
  those that look like a header of another layout are counted apart.
"""

from __future__ import annotations

import gc
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import islice
from operator import le
from pathlib import PurePosixPath

from twin.errors import BadInput
from twin.importers.base import DateOrder, ParseOptions
from twin.importers.files import SourceFile, iter_text_lines
from twin.importers.lenient import LenientReport, current
from twin.importers.whatsapp_dates import clock_of, date_fields, infer_order, resolve_dates
from twin.importers.whatsapp_phrases import (
    CALL_RE,
    CALL_STARTS,
    EDITED_MARKERS,
    ENCRYPTION_NOTICES,
    MEDIA_PREFIXES,
    MEDIA_SUFFIXES,
    SYSTEM_PHRASES,
    exact_kinds,
    is_encryption_notice,
    is_group_event,
    is_media_placeholder,
    is_system,
)
from twin.records import Kind, Message

NO_HEADER = "no WhatsApp message header found; is this a WhatsApp chat export?"

_MARKS = "\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
"""Invisible marks that may open a header line, in any number (a regex character range)."""

_GENERIC_HEADER = re.compile(
    rf"[{_MARKS}]*(?P<open>\[)?"
    r"(?P<date>\d{1,4}(?P<dsep>[./-]) ?\d{1,2}(?P=dsep) ?\d{1,4}\.?)"
    # ", " or the words some locales put before the time: "at", "um", "à", "às", "a las".
    r"(?P<conn>,?[ \u00a0](?:[^\W\d_]{1,5}[ \u00a0]){0,2}|,)"
    r"\d{1,2}(?P<tsep>[:.])\d{2}(?:(?P=tsep)\d{2})?"
    r"(?P<ampm>[ \u00a0\u202f]?[AaPp]\.?[ \u00a0\u202f]?[Mm]\.?)?"
    r"(?P<sep>(?(open)\][ ]|(?:[ \u00a0][-\u2013][ \u00a0]|:[ ])))"
)
"""Any header line of any layout we know; used to learn the layout and to detect exports."""

_SAMPLE_HEADERS = 300
"""How many headers the layout is learnt from."""
_SAMPLE_LINES = 20_000
"""Give up looking for more sample headers after this many lines (huge multi-line messages)."""

_NAME_MARKS = " \u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
"""Invisible direction marks iOS and Android wrap around author names (and phone numbers)."""
_QUOTES = ('"', "“", "„", "«")
_EXACT_KINDS = exact_kinds()
_FOLDED_KINDS = {text.casefold(): kind for text, kind in _EXACT_KINDS.items()}
_FOLDED_SUFFIXES = tuple(end.casefold() for end in MEDIA_SUFFIXES)
_FOLDED_PREFIXES = tuple(start.casefold() for start in MEDIA_PREFIXES)
_OTHER_HEADER = re.compile(r"^" + _GENERIC_HEADER.pattern, re.MULTILINE)
"""A header of any layout at the start of a further line: kept as text, but counted apart."""
_CREDITED_NOTICE = re.compile(
    "|".join(re.escape(phrase) for phrase in (*ENCRYPTION_NOTICES, *SYSTEM_PHRASES))
)
"""A notice any chat has, looked for in lines credited to the chat's own title."""
_MIN_HEADERS = 3
_MIN_HEADER_SHARE = 0.2

_CHAT_FILE = re.compile(
    r"(?:WhatsApp[ -][Cc]hat(?: (?:with|mit|avec|com|con|met|z|med|ile))?"
    r"|Chat de WhatsApp con|Conversa do WhatsApp com|Discussion WhatsApp avec"
    r"|Chat WhatsApp con|Chat WhatsApp avec)"
    r"(?: -)? (?P<title>.+)"
)
"""The names WhatsApp gives an export (``WhatsApp Chat with Alice``), in several languages."""

Row = tuple[str, timedelta, str | None, Kind, str, bool]
"""One message between the two passes: date text, time of day, sender, kind, text, edited.
Compact on purpose: a million must fit in memory; dates and times are shared objects."""


class WhatsAppImporter:
    """WhatsApp chat exports (``WhatsApp Chat with Alice.txt``, ``_chat.txt`` in a zip)."""

    name = "whatsapp"
    version = "1"

    def detect(self, source: SourceFile) -> bool:
        """Whether the chat text opens with WhatsApp headers (WhatsApp never writes ``.md``)."""
        if source.path.suffix.lower() == ".md":
            return False
        try:
            member = _chat_member(source)
            head = source.head(4096, member)
        except (BadInput, OSError, zipfile.BadZipFile):
            return False
        lines = [
            line for line in head.decode("utf-8", errors="ignore").splitlines() if line.strip()
        ][:30]
        if not lines:
            return False
        if _GENERIC_HEADER.match(lines[0]):
            return True
        headers = sum(1 for line in lines if _GENERIC_HEADER.match(line))
        return headers >= _MIN_HEADERS and headers >= _MIN_HEADER_SHARE * len(lines)

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield every message in time order (stable for equal times).

        The whole file is read at the first `next()`: the date order and the sort need it all.
        """
        member = _chat_member(source)
        label = source.label(member)
        title = _title(source, member)
        report = current()
        try:
            with _gc_paused():
                chat = _read(source, member, label, title, report)
        except UnicodeDecodeError:
            # The fast reader can't say where; the strict line reader can.
            with source.open(member) as stream:
                for _ in iter_text_lines(stream, label):
                    pass
            raise BadInput(label, "not valid UTF-8") from None
        except (zipfile.BadZipFile, EOFError, zlib.error) as error:
            raise BadInput(label, f"archive member is damaged ({error})") from None
        yield from _messages(chat, label, title, options.date_order, report)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a million rows that hold no cycles.

    Without this, collections triggered by the growing row list cost a third of the parse.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Chat:
    """What the first pass learnt: the rows and, per distinct date text, its first line."""

    __slots__ = (
        "date_lines", "group_events", "odd_names", "report", "rows", "senders", "title"
    )  # fmt: skip

    def __init__(self, title: str = "", report: LenientReport | None = None) -> None:
        self.title = title
        self.report = report if report is not None else LenientReport()
        self.rows: list[Row] = []
        self.date_lines: dict[str, int] = {}
        self.senders: dict[str, str] = {}
        self.odd_names: set[str] = set()
        """Author names with a quote in them: likely a system line cut at a colon."""
        self.group_events = False


def _read(
    source: SourceFile, member: str | None, label: str, title: str, report: LenientReport
) -> _Chat:
    """First pass: split the export into messages; dates stay text until their order is known."""
    with source.open(member) as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        buffer, at_end = "", False
        while not at_end and (len(buffer) < _HEAD or not buffer[: buffer.rfind("\n") + 1].strip()):
            more = _read_chunk(stream)
            buffer, at_end = buffer + more, not more
        whole_lines = buffer if at_end else buffer[: buffer.rfind("\n") + 1]
        head = whole_lines.split("\n", _SAMPLE_LINES)[:_SAMPLE_LINES]
        header = _learn_layout(head, label, report)
        return _split(stream, buffer, header, label, _Chat(title, report))


_CHUNK = 1 << 22
"""Characters read at a time: big enough that per-chunk work vanishes, small enough to hold."""
_HEAD = 1 << 16
"""Characters at least that the layout is learnt from."""


def _read_chunk(stream: io.TextIOWrapper) -> str:
    """The next chunk of text with ``\r\n`` line ends made ``\n``, never split inside one."""
    chunk = stream.read(_CHUNK)
    if chunk.endswith("\r"):
        chunk += stream.read(1)
    return chunk.replace("\r\n", "\n") if "\r" in chunk else chunk


def _learn_layout(head: list[str], label: str, report: LenientReport) -> tuple[str, str]:
    """A regex for this file's header layout, learnt from its first headers: with groups, without.

    The two groups are the date and the time (with any AM/PM marker) as written; both repeat
    from line to line, so they are parsed once per distinct value.
    """
    layouts: Counter[tuple[str, ...]] = Counter()
    twelve_hour = False
    four_digits = [False, False]
    first_odd: int | None = None  # the first non-blank line, when it is not a header
    skipped = 0
    nonblank = 0
    for number, line in enumerate(head, start=1):
        match = _GENERIC_HEADER.match(line)
        if line.strip():
            nonblank += 1
        if match is None:
            if not layouts and line.strip():
                skipped += 1
                first_odd = first_odd or number
            continue
        layouts[match.group("open", "dsep", "conn", "tsep", "sep")] += 1
        twelve_hour = twelve_hour or match["ampm"] is not None
        first, _, third = date_fields(match["date"])
        four_digits[0] = four_digits[0] or len(first) > 2
        four_digits[1] = four_digits[1] or len(third) > 2
        if layouts.total() >= _SAMPLE_HEADERS:
            break
    headers = layouts.total()
    if not layouts or (
        first_odd is not None
        and (headers < _MIN_HEADERS or headers < _MIN_HEADER_SHARE * min(nonblank, 30 * headers))
    ):
        raise BadInput(label, NO_HEADER, line=first_odd)
    if skipped:
        report.note("before the first message header, skipped", skipped)
    open_, dsep, conn, tsep, sep = (re.escape(part or "") for part in layouts.most_common(1)[0][0])
    first, third = (r"\d{1,4}" if wide else r"\d{1,2}" for wide in four_digits)
    ampm = r"(?:[ \u00a0\u202f]?[AaPp]\.?[ \u00a0\u202f]?[Mm]\.?)?" if twelve_hour else ""

    def header(group: str) -> str:
        return (
            rf"[{_MARKS}]*{open_}{group}{first}{dsep} ?\d{{1,2}}{dsep} ?{third}\.?){conn}"
            rf"{group}\d{{1,2}}{tsep}\d\d(?:{tsep}\d\d)?{ampm}){sep}"
        )

    return header("("), header("(?:")


def _message_regexes(header: tuple[str, str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The regex for a whole message (header, first line, further lines), and for a header.

    A message's further lines are every following line that is not a header, matched in C by
    the regex engine rather than line by line in Python.
    """
    grouped, plain = header
    message = re.compile(
        rf"^{grouped}(?:([^\n:]*):(?: |$))?([^\n]*)((?:\n(?!{plain})[^\n]*)*)", re.MULTILINE
    )
    return message, re.compile(plain)


_SLOW_ENDS = (*MEDIA_SUFFIXES, ">")
_FOLDED_ENDS = tuple(end.casefold() for end in _SLOW_ENDS)
_SLOW_TAILS = frozenset(end[-3:] for end in _SLOW_ENDS if len(end) >= 3)
"""The last three characters of each ending that needs a closer look (``>`` is checked apart):
one set lookup rules out almost every message before 34 ``endswith`` comparisons."""
assert all(len(end) >= 3 or end == ">" for end in _SLOW_ENDS)
_SLOW_STARTS = (*MEDIA_PREFIXES, *CALL_STARTS)
_SLOW_FIRST = frozenset(start[0] for start in _SLOW_STARTS)
"""The first characters of those beginnings, likewise."""


def _split(
    stream: io.TextIOWrapper, buffer: str, header: tuple[str, str], label: str, chat: _Chat
) -> _Chat:
    """Turn the text into rows, a chunk at a time; a message is never cut between chunks.

    The hot loop of the importer, written for speed: plain one-line text messages (most of
    any chat) are stored without a function call; everything else goes through `_finish`.
    """
    append = chat.rows.append
    report = chat.report
    title = chat.title
    rows = chat.rows
    credited_notice = _CREDITED_NOTICE.search
    odd_clocks: dict[str, tuple[timedelta, str]] = {}
    date_lines = chat.date_lines
    dates: dict[str, str] = {}
    clocks: dict[str, timedelta] = {}
    names: dict[str, str] = {}
    odd_names = chat.odd_names
    message, header_re = _message_regexes(header)
    finditer, match_header = message.finditer, header_re.match
    exact = _EXACT_KINDS
    slow_ends, folded_ends = _SLOW_ENDS, _FOLDED_ENDS
    slow_tails, slow_starts, slow_first = _SLOW_TAILS, _SLOW_STARTS, _SLOW_FIRST
    text_kind = Kind.TEXT
    line_base = 1  # the line number of buffer[0]
    while True:
        chunk = _read_chunk(stream)
        if chunk:
            buffer += chunk
            stop = _last_message_start(buffer, match_header)
            if stop == 0:
                continue  # one message longer than a chunk: read on
            end = stop - 1  # leave the last message, and the newline before it, for later
        else:
            stop = end = len(buffer) - 1 if buffer.endswith("\n") else len(buffer)
        counted_at, counted_line = 0, line_base
        for found in finditer(buffer, 0, end):
            date_text, clock_text, raw_name, first, more = found.groups()
            date = dates.get(date_text)
            clock = clocks.get(clock_text)
            if date is None or clock is None:
                # New date or time text: rare enough to count lines up to here for messages.
                counted_line += buffer.count("\n", counted_at, found.start())
                counted_at = found.start()
                if date is None:
                    dates[date_text] = date = date_text
                    date_lines[date_text] = counted_line
                if clock is None:
                    if clock_text in odd_clocks:
                        clock, how = odd_clocks[clock_text]
                        report.note(how, example=clock_text)
                    else:
                        clock, odd = clock_of(clock_text)
                        if odd is None:
                            clocks[clock_text] = clock
                        else:  # not cached, so that every line with it is counted
                            odd_clocks[clock_text] = (clock, odd)
                            report.note(odd, example=clock_text)
            if raw_name is None:
                append(_finish(chat, date, clock, None, first, more))
                continue
            sender = names.get(raw_name)
            if sender is None:
                names[raw_name] = sender = _clean_name(raw_name, chat)
            if (
                not more
                and first
                and first[-1] != ">"
                and (first[-3:] not in slow_tails or not first.endswith(slow_ends))
                and not (first[-1].isupper() and first.casefold().endswith(folded_ends))
                and (first[0] not in slow_first or not first.startswith(slow_starts))
                and "\u200e" not in first
                and first not in exact
                and sender not in odd_names
                and rows
                and (sender != title or credited_notice(first) is None)
            ):
                append((date, clock, sender, text_kind, first, False))
            else:
                append(_finish(chat, date, clock, sender, first, more))
        if not chunk:
            return chat
        line_base = counted_line + buffer.count("\n", counted_at, stop)
        buffer = buffer[stop:]


def _last_message_start(buffer: str, match_header: Callable[[str, int], object]) -> int:
    """Where the last header line in the buffer starts; 0 if only at the start or nowhere."""
    end = len(buffer)
    while end > 0:
        newline = buffer.rfind("\n", 0, end)
        if newline < 0:
            return 0
        if match_header(buffer, newline + 1):
            return newline + 1
        end = newline
    return 0


def _clean_name(raw: str, chat: _Chat) -> str:
    """An author's name without the direction marks around it, one string object per name."""
    name = raw.strip(_NAME_MARKS)
    name = chat.senders.setdefault(name, name)
    if any(quote in name for quote in _QUOTES):
        chat.odd_names.add(name)
    return name


def _finish(
    chat: _Chat,
    date: str,
    clock: timedelta,
    sender: str | None,
    first: str,
    more: str,
) -> Row:
    """Classify a message that isn't a plain one-line text, once all its lines are known.

    ``more`` is the message's further lines, each with the newline before it.
    """
    if more:
        _count_further_lines(chat.report, more)
    if not first and sender is not None:
        if is_system(sender):  # "… changed the subject to:" cut at its colon
            return (date, clock, None, Kind.SYSTEM, f"{sender}:{more}", False)
        if not more:
            chat.report.note("empty message after a name read as media (a view-once photo)")
            return (date, clock, sender, Kind.MEDIA, "", False)
        chat.report.note("message whose text starts on the line after the name")
        first, _, rest = more[1:].partition("\n")
        more = "\n" + rest if rest else ""
    text = first + more if more else first
    edited = False
    if text.endswith(">"):
        for marker in EDITED_MARKERS:
            if text.endswith(marker):
                text = text[: -len(marker)].removesuffix("\u200e").removesuffix(" ")
                first = text.partition("\n")[0]
                edited = True
                break
    marked = "\u200e" in first
    key = first.replace("\u200e", "").strip() if marked else first
    kind = Kind.TEXT
    folded = key.casefold()
    if sender is None:
        if not chat.group_events and is_group_event(key):
            chat.group_events = True
        kind = Kind.SYSTEM
    elif folded in _FOLDED_KINDS:
        kind = _FOLDED_KINDS[folded]
    elif (
        folded.endswith(_FOLDED_SUFFIXES)
        or folded.startswith(_FOLDED_PREFIXES)
        or is_media_placeholder(folded)
    ):
        kind = Kind.MEDIA
    elif key.startswith(CALL_STARTS) and CALL_RE.fullmatch(key):
        kind = Kind.CALL
    elif sender in chat.odd_names:
        # Android cut a system line at a colon inside a quoted group subject.
        whole = f"{sender}: {text}"
        if is_system(whole):
            chat.group_events = chat.group_events or is_group_event(whole)
            return (date, clock, None, Kind.SYSTEM, whole, edited)
    elif (
        (marked and is_system(key))
        or (sender == chat.title and _CREDITED_NOTICE.search(key) is not None)
        or (not chat.rows and is_encryption_notice(key))
    ):
        # Newer exports credit system lines to the group's title or the acting person, and
        # iOS marks them with U+200E.
        chat.group_events = chat.group_events or is_group_event(key)
        sender, kind = None, Kind.SYSTEM
    if kind is Kind.TEXT:
        return (date, clock, sender, kind, text, edited)
    # WhatsApp's own words: drop the U+200E marks it put in the first line.
    return (date, clock, sender, kind, key + text[len(first) :] if marked else text, edited)


def _count_further_lines(report: LenientReport, more: str) -> None:
    """Count a message's further lines, and those among them that look like another header."""
    report.kept_as_text += more.count("\n")
    report.header_like_kept += sum(1 for _ in _OTHER_HEADER.finditer(more))


def _messages(
    chat: _Chat, label: str, title: str, forced: DateOrder | None, report: LenientReport
) -> Iterator[Message]:
    """Second pass: resolve dates, sort, and build the records."""
    order = forced or infer_order(chat.date_lines)
    days, odd_dates = resolve_dates(chat.date_lines, order, forced is not None, label)
    rows = chat.rows
    if odd_dates:
        counts = Counter(row[0] for row in rows if row[0] in odd_dates)
        for date, how in odd_dates.items():
            report.note(how, counts[date], example=date)
    stamps = [days[row[0]] + row[1] for row in rows]
    positions: Iterable[int] = range(len(rows))
    if not all(map(le, stamps, islice(stamps, 1, None))):
        positions = sorted(positions, key=stamps.__getitem__)
    is_group = chat.group_events or (
        len(chat.senders) > 2 and len({row[2] for row in rows} - {None}) > 2
    )
    for position in positions:
        _, _, sender, kind, text, edited = rows[position]
        rows[position] = _DONE  # let the text go as soon as its record is out
        # Positional for speed (half the cost of keywords); order as declared in `Message`.
        yield Message(
            "whatsapp", title, sender, stamps[position], kind, text,
            None, None, None, None, edited, None, None, is_group,
        )  # fmt: skip


_DONE: Row = ("", timedelta(), None, Kind.OTHER, "", False)


def _chat_member(source: SourceFile) -> str | None:
    """The chat text inside a zip or folder (None for a plain file)."""
    if not source.is_zip and not source.is_dir:
        return None
    texts = [
        name
        for name in source.members()
        if name.lower().endswith(".txt") and not name.startswith("__MACOSX/")
    ]
    for name in texts:
        if PurePosixPath(name).name == "_chat.txt":
            return name
    for name in texts:
        if _CHAT_FILE.fullmatch(PurePosixPath(name).stem):
            return name
    if len(texts) == 1:
        return texts[0]
    raise BadInput(source.path, "no WhatsApp chat .txt (such as _chat.txt) in this archive")


def _title(source: SourceFile, member: str | None) -> str:
    """The chat's title from the export's file name, as WhatsApp names it."""
    stem = PurePosixPath(member).stem if member else source.path.stem
    if member is not None and (stem == "_chat" or not _CHAT_FILE.fullmatch(stem)):
        stem = source.path.stem
    found = _CHAT_FILE.fullmatch(stem)
    return found.group("title") if found else stem

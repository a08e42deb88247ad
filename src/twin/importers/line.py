"""LINE's "Export chat history" text file (``[LINE] Chat with Maya.txt``).

The layout, in every language LINE exports (English, Japanese, Chinese shown)::

    [LINE] Chat history with Maya          ← "in" for a group; "Mayaとのトーク履歴" (one-to-one)
    Saved on: 2024/01/06 10:00                or "Mayaのトーク履歴" (group), "与Maya的聊天记录" …

    2024/01/05(Fri)                        ← a date line: also "2024.01.05 Friday",
    09:00	Maya	Good morning              "Fri, 1/5/2024", "2024/1/5(金)"
    09:01	Sam	"Two lines,               ← a message with line breaks is quoted
    like this"
    09:02		Sam joined the group.      ← no sender: a system line

Rules:

* Times are ``HH:MM``, ``HH:MMAM``/``PM``, or ``上午``/``下午``/``午前``/``午後`` + ``HH:MM``,
  on the date of the date line above; LINE writes no offset, so they are kept naive.
* The quotes LINE puts around a multi-line message are removed; a line that is neither a date
  line nor a message line is further text of the message before it (and counted in the
  lenient-reading report).
* ``[Photo]``, ``[Sticker]``, ``[Video]``, ``[File]``, ``[Voice message]``, ``[Location]``,
  ``[Albums]`` and their Japanese and Chinese forms are media; ``☎`` lines are calls;
  "unsent a message" lines are deleted messages; lines with no sender (joins, leaves,
  invitations, announcements) are system.
* The header says whether the chat is a group; the file does not say which sender is the
  user, so `twin import --me` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import ClassVar

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile, iter_text_lines
from twin.importers.lenient import current
from twin.records import Kind, Message

_TITLES = (
    (re.compile(r"\[LINE\] Chat history with (.+)"), False),
    (re.compile(r"\[LINE\] Chat history in (.+)"), True),
    (re.compile(r"\[LINE\] (.+)とのトーク履歴"), False),
    (re.compile(r"\[LINE\] (.+)のトーク履歴"), True),
    (re.compile(r"\[LINE\] (?:与|與)(.+)的聊天(?:记录|記錄)"), False),
    (re.compile(r"\[LINE\] (.+)的聊天(?:记录|記錄)"), True),
    (re.compile(r"\[LINE\] Chat with (.+)"), None),
)
_SAVED = re.compile(r"(?:Saved on|保存日時|保存日期|儲存日期)\s*[:\uff1a]")
_DATES = (
    re.compile(r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:\s*[\uff08(].{1,4}[)\uff09]|周.|\s*\w*)?\s*"),
    re.compile(r"(?P<y>\d{4})\.(?P<m>\d{1,2})\.(?P<d>\d{1,2})(?:\s+[A-Za-z]+day)?\s*"),
    re.compile(r"[A-Za-z]{3,9}, (?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\s*"),
)
_TIME = r"(?:上午|下午|午前|午後)?\d{1,2}:\d{2}(?:\s?[AaPp][Mm])?"
_MESSAGE = re.compile(rf"({_TIME})\t([^\t]*)\t(.*)")
_SYSTEM = re.compile(rf"({_TIME})\t([^\t]+)")
_MEDIA = frozenset(
    {
        "[Photo]", "[Photos]", "[Video]", "[Sticker]", "[File]", "[Voice message]", "[Location]",
        "[Albums]", "[Album]", "[GIF]", "[Contact]",
        "[写真]", "[動画]", "[スタンプ]", "[ファイル]", "[ボイスメッセージ]", "[位置情報]",
        "[アルバム]", "[連絡先]",
        "[照片]", "[视频]", "[影片]", "[贴图]", "[貼圖]", "[文件]", "[檔案]", "[语音信息]",
        "[語音訊息]", "[位置]",
    }
)  # fmt: skip
_DELETED = re.compile(
    r".*(?:unsent a message|Message unsent|送信を取り消しました|撤回了一条消息|已收回訊息).*"
)
_HEAD_BYTES = 4096


class LineImporter:
    """LINE chat history text exports, one chat per file."""

    name: ClassVar[str] = "line"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """Whether the file opens with LINE's title line, or with its date and tab lines."""
        if source.is_zip or source.is_dir:
            return False
        try:
            head = source.head(_HEAD_BYTES).decode("utf-8", errors="ignore").lstrip("\ufeff")
        except (BadInput, OSError):
            return False
        lines = [line.rstrip("\r") for line in head.split("\n")[:40]]
        if lines and lines[0].startswith("[LINE] "):
            return True
        dated = any(_date_of(line) is not None for line in lines)
        messages = sum(1 for line in lines if _MESSAGE.fullmatch(line))
        return dated and messages >= 2

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield the chat's messages in file order."""
        label = source.label()
        report = current()
        title = source.path.stem.removeprefix("[LINE] ").removeprefix("Chat with ").strip()
        is_group: bool | None = None
        day: date | None = None
        pending: list[str | Kind | datetime | None] | None = None  # moment, sender, kind, text
        quoted = False
        found = False
        with source.open() as stream:
            for number, line in iter_text_lines(stream, label):
                if number <= 3:
                    heading = _title(line)
                    if heading is not None:
                        title, is_group = heading[0], heading[1]
                        continue
                    if _SAVED.match(line):
                        continue
                fields = _MESSAGE.fullmatch(line) or _SYSTEM.fullmatch(line)
                when = _date_of(line) if fields is None else None
                if when is not None and not quoted:
                    day = when
                    continue
                if fields is None or (quoted and pending is not None):
                    if pending is not None and (line or quoted):
                        text = str(pending[3])
                        if quoted and line.endswith('"'):
                            line, quoted = line[:-1], False
                        pending[3] = f"{text}\n{line}"
                        report.kept_as_text += 1
                    elif line.strip() and pending is None and found is False and number > 3:
                        report.note("before the first message, skipped")
                    continue
                if day is None:
                    raise BadInput(label, "a message comes before any date line", line=number)
                if pending is not None:
                    yield _message(pending, title, is_group)
                moment = datetime.combine(day, datetime.min.time()) + _clock(fields.group(1))
                if fields.re is _MESSAGE:
                    sender, text = fields.group(2) or None, fields.group(3)
                else:
                    sender, text = None, fields.group(2)
                quoted = text.startswith('"') and not (len(text) > 1 and text.endswith('"'))
                if text.startswith('"') and len(text) > 1 and text.endswith('"'):
                    text = text[1:-1]
                elif quoted:
                    text = text[1:]
                pending = [moment, sender, None, text]
                found = True
        if pending is not None:
            yield _message(pending, title, is_group)
        elif not found:
            raise BadInput(label, "no LINE messages found; is this a LINE chat export?")


def _title(line: str) -> tuple[str, bool | None] | None:
    for pattern, group in _TITLES:
        found = pattern.fullmatch(line.strip())
        if found:
            return found.group(1).strip(), group
    return None


def _date_of(line: str) -> date | None:
    for pattern in _DATES:
        found = pattern.fullmatch(line)
        if found:
            try:
                return date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                return None
    return None


def _clock(text: str) -> timedelta:
    """Time of day from ``09:05``, ``9:05PM`` or ``午後9:05``."""
    afternoon = text.startswith(("下午", "午後")) or text.lower().endswith("pm")
    marked = afternoon or text.startswith(("上午", "午前")) or text.lower().endswith("am")
    hour, minute = (int(part) for part in re.findall(r"\d+", text)[:2])
    if marked and hour <= 12:
        hour = hour % 12 + (12 if afternoon else 0)
    return timedelta(hours=min(hour, 23), minutes=min(minute, 59))


def _message(pending: Sequence[object], title: str, is_group: bool | None) -> Message:
    moment, sender, _, text = pending
    assert isinstance(moment, datetime)
    words = str(text)
    name = sender if isinstance(sender, str) else None
    first = words.strip()
    kind = Kind.TEXT
    if first in _MEDIA:
        kind = Kind.MEDIA
    elif first.startswith("☎"):
        kind = Kind.CALL
    elif _DELETED.fullmatch(first):
        kind = Kind.DELETED
    elif name is None:
        kind = Kind.SYSTEM
    return Message(
        source="line",
        conversation=title,
        sender=name,
        sent_at=moment,
        kind=kind,
        text="" if kind is Kind.DELETED else words,
        is_group=is_group,
    )

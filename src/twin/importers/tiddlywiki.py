"""TiddlyWiki: ``.tid`` files and the single-file HTML wiki, one note per tiddler.

This is a notes importer (see `twin.importers.notes`): it yields `Note` records, not messages.
The HTML wiki is read with the standard library's tolerant parser, which never fetches
anything: tiddlers come from the JSON tiddler store (TiddlyWiki 5.2 and later) or the older
``storeArea`` divs. Shadow and system tiddlers (``$:/…``) are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import ClassVar

from twin.errors import BadInput
from twin.importers.notes import NoteFile, note_date
from twin.records import Note

TEXT_TYPES = {"", "text/vnd.tiddlywiki", "text/x-tiddlywiki", "text/x-markdown", "text/plain"}
LIST_ITEM = re.compile(r"\[\[([^\]]+)\]\]|(\S+)")
WIKI_LINK = re.compile(r"\[\[([^\]|]+?)(?:\|([^\]]+))?\]\]")
HEADING = re.compile(r"^(!{1,6})\s*", re.M)


def parse_list(value: str) -> list[str]:
    """TiddlyWiki's list format: ``one [[two words]] three``."""
    return [a or b for a, b in LIST_ITEM.findall(value or "")]


def parse_stamp(value: str | None) -> datetime | None:
    """TiddlyWiki's UTC timestamps, ``YYYYMMDDhhmmssmmm``."""
    digits = (value or "").strip()
    if len(digits) < 8 or not digits.isdigit():
        return None
    digits = digits.ljust(17, "0")
    try:
        return datetime(
            int(digits[0:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            int(digits[12:14]),
            int(digits[14:17]) * 1000,
            tzinfo=UTC,
        )
    except ValueError:
        return None


def wikitext_to_markdown(text: str) -> tuple[str, list[str]]:
    """Enough of TiddlyWiki's markup for recall: ``!`` headings, ``[[links]]``, bold."""
    links: list[str] = []

    def shown(match: re.Match[str]) -> str:
        first, second = match.group(1).strip(), match.group(2)
        # [[shown text|Target]]: the second part is the target.
        target = (second or first).strip()
        if target not in links:
            links.append(target)
        return first

    text = WIKI_LINK.sub(shown, text)
    text = HEADING.sub(lambda m: "#" * len(m.group(1)) + " ", text)
    text = text.replace("''", "")  # bold
    return text, links


def tiddler_note(fields: Mapping[str, str], file: NoteFile) -> Note | None:
    """A tiddler's fields as a note; None for system tiddlers and non-text types."""
    title = (fields.get("title") or "").strip()
    kind = (fields.get("type") or "").strip()
    if not title or title.startswith("$:/") or kind not in TEXT_TYPES:
        return None
    raw = fields.get("text") or ""
    body, links = (raw, []) if kind == "text/x-markdown" else wikitext_to_markdown(raw)
    tags = parse_list(fields.get("tags", ""))
    return Note(
        source=TiddlyWikiNotes.name,
        location=title if file.name.lower().endswith((".html", ".htm")) else file.name,
        title=title,
        text=body.strip(),
        created_at=note_date(
            file, parse_stamp(fields.get("created")), parse_stamp(fields.get("modified"))
        ),
        tags=tags,
        links=links,
        private="private" in tags,
    )


def parse_tid(text: str) -> dict[str, str]:
    """A ``.tid`` file: ``field: value`` lines, a blank line, then the text."""
    header, _, body = text.replace("\r\n", "\n").partition("\n\n")
    fields: dict[str, str] = {}
    for line in header.splitlines():
        name, colon, value = line.partition(":")
        if colon:
            fields[name.strip()] = value.strip()
    fields["text"] = body
    return fields


class _WikiReader(HTMLParser):
    """Collects tiddlers from a TiddlyWiki HTML file, in either storage format."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.json_stores: list[str] = []
        self.div_tiddlers: list[dict[str, str]] = []
        self._in_store_script = False
        self._store_depth = 0
        self._depth = 0
        self._current: dict[str, str] | None = None
        self._in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and "tiddlywiki-tiddler-store" in values.get("class", ""):
            self._in_store_script = True
            self.json_stores.append("")
        elif tag == "div":
            self._depth += 1
            if values.get("id") == "storeArea":
                self._store_depth = self._depth
            elif self._store_depth and self._depth == self._store_depth + 1 and "title" in values:
                self._current = {**values, "text": ""}
        elif tag == "pre" and self._current is not None:
            self._in_pre = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_store_script = False
        elif tag == "pre":
            self._in_pre = False
        elif tag == "div":
            if self._current is not None and self._depth == self._store_depth + 1:
                self.div_tiddlers.append(self._current)
                self._current = None
            if self._depth == self._store_depth:
                self._store_depth = 0
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_store_script:
            self.json_stores[-1] += data
        elif self._in_pre and self._current is not None:
            self._current["text"] += data


def parse_html_wiki(text: str, label: str) -> list[dict[str, str]]:
    """Every tiddler's fields in a single-file TiddlyWiki."""
    reader = _WikiReader()
    reader.feed(text)
    reader.close()
    tiddlers = list(reader.div_tiddlers)
    for store in reader.json_stores:
        try:
            items = json.loads(store) if store.strip() else []
        except json.JSONDecodeError as error:
            raise BadInput(label, f"broken tiddler store ({error.msg})") from None
        if not isinstance(items, list):
            raise BadInput(label, "tiddler store is not a list")
        tiddlers.extend(
            {str(k): v if isinstance(v, str) else " ".join(map(str, v)) for k, v in item.items()}
            for item in items
            if isinstance(item, dict)
        )
    return tiddlers


class TiddlyWikiNotes:
    """A ``.tid`` tiddler file or a whole single-file TiddlyWiki."""

    name: ClassVar[str] = "tiddlywiki"
    version: ClassVar[str] = "1"

    def detect(self, name: str, head: bytes) -> bool:
        lower = name.lower()
        if lower.endswith(".tid"):
            return True
        return lower.endswith((".html", ".htm")) and b"tiddlywiki" in head.lower()

    def parse(self, file: NoteFile) -> Iterator[Note]:
        text = file.text()
        if file.name.lower().endswith(".tid"):
            tiddlers = [parse_tid(text)]
        else:
            tiddlers = parse_html_wiki(text, file.label)
        for fields in tiddlers:
            note = tiddler_note(fields, file)
            if note is not None:
                yield note

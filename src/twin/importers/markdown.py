"""Markdown notes, Obsidian vaults included: front matter, wiki links, tags and headings.

This is a notes importer (see `twin.importers.notes`): it yields `Note` records, not messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

import yaml

from twin.importers.notes import NoteFile, note_date
from twin.records import Note

SUFFIXES = (".md", ".markdown", ".mdown")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
WIKI_LINK = re.compile(r"!?\[\[([^\]|#\n]*)(?:#([^\]|\n]*))?(?:\|([^\]\n]*))?\]\]")
INLINE_TAG = re.compile(r"(?<![\w#&/])#([A-Za-z_][\w/-]*)")
COMMENT = re.compile(r"%%.*?%%", re.S)
FIRST_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.M)


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter as a dict (empty if absent or unreadable), and the body."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    return (data if isinstance(data, dict) else {}), text[match.end() :]


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip().lstrip("#") for part in re.split(r"[,\s]+", value) if part.strip()]
    if isinstance(value, list):
        return [str(item).strip().lstrip("#") for item in value if str(item).strip()]
    return [str(value)]


def resolve_wiki_links(body: str) -> tuple[str, list[str]]:
    """Replace ``[[Note|shown]]`` by the text shown; return the text and the linked titles."""
    links: list[str] = []

    def shown(match: re.Match[str]) -> str:
        target, section, alias = match.group(1).strip(), match.group(2), match.group(3)
        if target and target not in links:
            links.append(target)
        return (alias or target or (section or "")).strip()

    return WIKI_LINK.sub(shown, body), links


def _truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() in {"true", "yes", "1"}


class MarkdownNotes:
    """A Markdown file; in an Obsidian vault, one note per file."""

    name: ClassVar[str] = "markdown"
    version: ClassVar[str] = "1"

    def detect(self, name: str, head: bytes) -> bool:
        return name.lower().endswith(SUFFIXES)

    def parse(self, file: NoteFile) -> Iterator[Note]:
        meta, body = _front_matter(file.text())
        body = COMMENT.sub("", body)
        body, links = resolve_wiki_links(body)
        tags = _as_list(meta.get("tags") or meta.get("tag"))
        for tag in INLINE_TAG.findall(body):
            if tag not in tags:
                tags.append(tag)
        heading = FIRST_HEADING.search(body)
        title = str(meta.get("title") or (heading.group(1) if heading else file.stem)).strip()
        if not body.strip() and not title:
            return
        yield Note(
            source=self.name,
            location=file.name,
            title=title,
            text=body.strip(),
            created_at=note_date(file, meta.get("date"), meta.get("created")),
            tags=tags,
            links=links,
            private=_truthy(meta.get("private")) or "private" in tags,
        )

"""The record types every importer yields and every later stage reads.

An importer turns a file into a stream of records (`Message` for chats, `Note` for notes and
journal entries); it never touches the vault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

ChatTurn = dict[str, str]
"""One turn of a chat as chat templates take it: ``{"role": "user", "content": "…"}``."""


class Kind(StrEnum):
    """What a message is, as far as the source tells."""

    TEXT = "text"
    MEDIA = "media"
    SYSTEM = "system"
    DELETED = "deleted"
    CALL = "call"
    OTHER = "other"


@dataclass(slots=True)
class Message:
    """One message as a source export gives it.

    `sent_at` is timezone-aware when the source says which offset it used, naive (local
    wall-clock time of the exporting device) when it does not.
    """

    source: str
    """Importer name, e.g. ``whatsapp``."""
    conversation: str
    """Human title of the chat (a contact or group name)."""
    sender: str | None
    """Display name of the author; None for system messages."""
    sent_at: datetime
    kind: Kind
    text: str
    conversation_id: str | None = None
    """Stable id of the chat in its source, when the source has one."""
    sender_id: str | None = None
    """Stable id of the author in its source (e.g. ``user123``), when the source has one."""
    message_id: str | None = None
    """Stable id of the message in its source, when the source has one."""
    reply_to: str | None = None
    """`message_id` of the message this one answers."""
    edited: bool = False
    forwarded_from: str | None = None
    from_me: bool | None = None
    """True/False when the source says whether the exporting user wrote this; None if unknown."""
    is_group: bool | None = None
    """True for group chats, False for one-to-one chats, None if the source doesn't say."""
    attachment: str | None = field(default=None, compare=False)
    """The export's own path of the file this message carries (e.g. ``voice_messages/a.ogg``),
    when the source names it; not stored, read by `twin import --transcribe`."""

    def preview(self) -> dict[str, str | None]:
        """The public JSON shape `twin preview` prints, with exactly these keys."""
        return {
            "source": self.source,
            "conversation": self.conversation,
            "sender": self.sender,
            "sent_at": self.sent_at.isoformat(),
            "kind": self.kind.value,
            "text": self.text,
        }

class NoteKind(StrEnum):
    """Whether the text was written in twin's journal or imported from a notes app."""

    JOURNAL = "journal"
    NOTE = "note"


@dataclass(slots=True)
class Note:
    """One note or journal entry, as an importer or `twin journal add` gives it."""

    source: str
    """``journal`` or the notes importer's name, e.g. ``markdown``."""
    location: str
    """Where it lives in its source: a path inside the imported folder, or a tiddler title."""
    title: str
    text: str
    """The body, in Markdown where the source has structure (headings become ``#`` lines)."""
    created_at: datetime
    tags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    """Titles of other notes this one links to (wiki links)."""
    private: bool = False
    """Private entries can ground replies but are never quoted at length."""
    kind: NoteKind = NoteKind.NOTE


@dataclass(slots=True)
class Event:
    """One timestamped thing the user did on a device: a window in focus, a page visited, a
    command run. Events feed recall (day summaries) and the timeline; they are never training
    targets."""

    source: str
    """Importer name, e.g. ``activitywatch``, ``firefox``, ``zsh``."""
    kind: str
    """What happened: ``window``, ``afk``, ``active``, ``web``, ``visit`` or ``command``."""
    started_at: datetime
    """Timezone-aware when the source says which offset it used."""
    duration: float = 0.0
    """Seconds; 0 for an instant (a visit, a command)."""
    app: str | None = None
    """The program: ``Firefox``, ``code``, or a command's program name."""
    title: str | None = None
    """Window or page title, or the command line."""
    url: str | None = None
    device: str | None = None
    """Host name or profile the events were recorded on, when the source says."""

    def preview(self) -> dict[str, str | None]:
        """The JSON shape `twin preview` prints for an event."""
        return {
            "source": self.source,
            "kind": self.kind,
            "started_at": self.started_at.isoformat(),
            "duration": f"{self.duration:g}",
            "app": self.app,
            "title": self.title,
            "url": self.url,
        }

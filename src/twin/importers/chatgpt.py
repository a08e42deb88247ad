"""ChatGPT's data export: ``conversations.json`` (alone, or in the export's zip or folder).

The file is a JSON array of conversations, streamed one at a time with `ijson`. Each holds
its messages as a tree, because regenerating an answer or editing a prompt starts a branch::

    {"title": "…", "create_time": 1699564800.0, "conversation_id": "…", "current_node": "n3",
     "mapping": {"n1": {"id": "n1", "message": null, "parent": null, "children": ["n2"]},
                 "n2": {"message": {"id": "…", "author": {"role": "user"},
                                    "create_time": 1699564801.2,
                                    "content": {"content_type": "text", "parts": ["…"]}, …},
                        "parent": "n1", "children": ["n3", "n4"]}, …}}

Rules:

* Only the branch the user last saw is read: from ``current_node`` up through each ``parent``
  to the root, then in order. Regenerated and abandoned branches are not duplicated.
* Kept: the user's prompts (their own words, ``from_me``) and the assistant's answers to them
  (``recipient`` ``all``). Skipped: the empty root, system messages, anything marked
  ``is_visually_hidden_from_conversation``, custom instructions (``user_editable_context``),
  tool calls and tool output, and the model's thoughts (``thoughts``, ``reasoning_recap``).
* Text comes from ``parts`` (strings; images and files in ``multimodal_text`` become
  ``<image>`` / ``<file>``), or from ``text`` for code content. A message with no words but
  an attachment is ``media``.
* Times are seconds since the epoch, in UTC; a message without one takes its conversation's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, ClassVar

import ijson

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.jsonstream import fast_ijson
from twin.records import Kind, Message

EXPORT_NAME = "conversations.json"
ASSISTANT = "ChatGPT"
"""The sender name the assistant's answers carry."""
YOU = "You"
"""The sender name of the user's prompts (the export gives none); `from_me` marks them too."""
_HIDDEN_CONTENT = frozenset(
    {"user_editable_context", "thoughts", "reasoning_recap", "model_editable_context"}
)
_HEAD_BYTES = 16 * 1024


class ChatGPTImporter:
    """ChatGPT conversations: the user's prompts and the answers on the branch they kept."""

    name: ClassVar[str] = "chatgpt"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """Whether this is a ``conversations.json`` (or an export holding one)."""
        try:
            member = _member(source)
            if (source.is_zip or source.is_dir) and member is None:
                return False
            head = source.head(_HEAD_BYTES, member)
        except (BadInput, OSError):
            return False
        stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        return stripped.startswith(b"[") and b'"mapping"' in head and b'"author"' in head

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield each conversation's kept branch, conversation by conversation."""
        member = _member(source)
        if (source.is_zip or source.is_dir) and member is None:
            raise BadInput(source.path, f"holds no {EXPORT_NAME} (a ChatGPT export)")
        label = source.label(member)
        try:
            with source.open(member) as stream:
                for conversation in fast_ijson().items(_NoBom(stream), "item", use_float=True):
                    if not isinstance(conversation, dict) or "mapping" not in conversation:
                        raise BadInput(label, "not a ChatGPT export (an item has no mapping)")
                    yield from _conversation(conversation)
        except ijson.JSONError as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else "cut short"
            raise BadInput(label, f"truncated or invalid JSON ({reason})") from None
        except UnicodeDecodeError as error:
            raise BadInput(label, f"not valid UTF-8 ({error.reason})") from None


class _NoBom:
    """A binary reader that drops a leading UTF-8 byte order mark."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._started = False

    def read(self, size: int = -1) -> bytes:
        chunk: bytes = self._raw.read(size)
        if not self._started:
            self._started = True
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")
        return chunk


def _member(source: SourceFile) -> str | None:
    if not (source.is_zip or source.is_dir):
        return None
    found = [m for m in source.members() if PurePosixPath(m).name == EXPORT_NAME]
    return min(found, key=lambda m: (m.count("/"), m)) if found else None


def _branch(mapping: dict[str, Any], current: Any) -> list[dict[str, Any]]:
    """The nodes from the root down to `current`, following parents (guarded against loops)."""
    if not isinstance(current, str) or current not in mapping:
        # No current node: the longest path from a root, first children first.
        roots = [n for n in mapping.values() if isinstance(n, dict) and not n.get("parent")]
        path: list[dict[str, Any]] = []
        node = roots[0] if roots else None
        while isinstance(node, dict) and len(path) <= len(mapping):
            path.append(node)
            children = node.get("children") or []
            node = mapping.get(children[-1]) if children else None
        return path
    path = []
    seen: set[str] = set()
    key: Any = current
    while isinstance(key, str) and key in mapping and key not in seen:
        seen.add(key)
        node = mapping[key]
        path.append(node)
        key = node.get("parent")
    return list(reversed(path))


def _conversation(conversation: dict[str, Any]) -> Iterator[Message]:
    mapping = conversation.get("mapping")
    if not isinstance(mapping, dict):
        return
    title = conversation.get("title") if isinstance(conversation.get("title"), str) else None
    conversation_id = str(conversation.get("conversation_id") or conversation.get("id") or "")
    started = _moment(conversation.get("create_time"))
    previous: str | None = None
    for node in _branch(mapping, conversation.get("current_node")):
        message = node.get("message") if isinstance(node, dict) else None
        if not isinstance(message, dict):
            continue
        record = _message(message, started)
        if record is None:
            continue
        record.conversation = title or "ChatGPT conversation"
        record.conversation_id = conversation_id or None
        record.reply_to = previous
        previous = record.message_id
        started = record.sent_at
        yield record


def _message(message: dict[str, Any], fallback: datetime | None) -> Message | None:
    author = _mapping(message.get("author"))
    role = author.get("role")
    metadata = _mapping(message.get("metadata"))
    content = _mapping(message.get("content"))
    content_type = content.get("content_type")
    if (
        role not in ("user", "assistant")
        or metadata.get("is_visually_hidden_from_conversation")
        or content_type in _HIDDEN_CONTENT
        or (role == "assistant" and message.get("recipient", "all") != "all")
    ):
        return None
    text, attachment = _text(content)
    if not text and not attachment:
        return None
    moment = _moment(message.get("create_time")) or fallback
    if moment is None:
        return None
    mine = role == "user"
    return Message(
        source="chatgpt",
        conversation="",
        sender=YOU if mine else ASSISTANT,
        sent_at=moment,
        kind=Kind.TEXT if text else Kind.MEDIA,
        text=text or attachment,
        message_id=str(message["id"]) if message.get("id") else None,
        from_me=mine,
        is_group=False,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(content: dict[str, Any]) -> tuple[str, str]:
    """The words of a message, and a stand-in for its attachments (``<image>``)."""
    if isinstance(content.get("text"), str):  # code, execution output
        return content["text"].strip(), ""
    words: list[str] = []
    attachment = ""
    for part in content.get("parts") or []:
        if isinstance(part, str):
            if part.strip():
                words.append(part)
        elif isinstance(part, dict):
            kind = str(part.get("content_type", ""))
            attachment = attachment or ("<image>" if "image" in kind else "<file>")
            if isinstance(part.get("text"), str) and part["text"].strip():
                words.append(part["text"])
    return "\n".join(words).strip(), attachment


def _moment(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(float(value), UTC)
    return None

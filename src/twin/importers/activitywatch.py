"""ActivityWatch exports (``aw-buckets-export.json``, from the web UI's "Export all buckets as
JSON", or one bucket's export) as `Event` records.

The file is ``{"buckets": {"<bucket id>": {"id", "type", "client", "hostname", "created",
"events": [{"id", "timestamp", "duration", "data"}, ...]}}}``. The rules:

* ``currentwindow`` buckets (aw-watcher-window): ``data.app`` and ``data.title``, kind ``window``.
* ``afkstatus`` buckets (aw-watcher-afk): ``data.status`` ``afk`` or ``not-afk``, kinds ``afk``
  and ``active``.
* ``web.tab.current`` buckets (aw-watcher-web): ``data.url`` and ``data.title``, kind ``web``;
  the bucket's browser (from the id, ``aw-watcher-web-firefox``) is the app. Incognito tabs
  are skipped.
* Other buckets (editor watchers, custom ones) keep ``data.app``/``data.title``/``data.file``/
  ``data.url`` where present, with the bucket type as the kind.
* ``timestamp`` is ISO 8601 with its offset (ActivityWatch writes UTC); ``duration`` is seconds.
* Streamed one bucket at a time with ``ijson``; a bucket's events are read as they come.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

import ijson

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.jsonstream import XEscapeRepair, fast_ijson
from twin.records import Event

_KINDS = {"currentwindow": "window", "afkstatus": "afk", "web.tab.current": "web"}


def _looks_like_export(head: bytes) -> bool:
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not stripped.startswith(b"{"):
        return False
    seen: list[tuple[str, str]] = []
    try:
        for prefix, event, value in fast_ijson().parse(XEscapeRepair(io.BytesIO(stripped))):
            if event == "map_key":
                seen.append((prefix, value))
                if len(seen) > 40:
                    break
    except (ijson.JSONError, UnicodeDecodeError, ValueError):
        pass  # the head is cut mid-document; the keys seen so far decide
    if not seen or seen[0] != ("", "buckets"):
        return False
    keys = {value for prefix, value in seen if prefix.startswith("buckets.")}
    return bool(keys & {"events", "type", "client", "hostname", "created"})


def _browser(bucket_id: str, client: str) -> str:
    for name in ("firefox", "chrome", "chromium", "brave", "edge", "opera", "vivaldi", "safari"):
        if name in bucket_id.lower() or name in client.lower():
            return name.capitalize()
    return "Browser"


def _event(obj: dict[str, Any], bucket: dict[str, Any], label: str) -> Event | None:
    found = obj.get("data")
    data: dict[str, Any] = found if isinstance(found, dict) else {}
    try:
        started = datetime.fromisoformat(str(obj["timestamp"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        stamp = obj.get("timestamp")
        raise BadInput(label, f"an event has an unreadable timestamp {stamp!r}") from None
    duration = float(obj.get("duration") or 0)
    kind_of = str(bucket.get("type") or "")
    kind = _KINDS.get(kind_of, kind_of or "activity")
    host = bucket.get("hostname")
    device = str(host) if host and host != "unknown" else None
    if kind == "afk":
        kind = "afk" if data.get("status") == "afk" else "active"
        return Event("activitywatch", kind, started, duration, device=device)
    if kind == "web":
        if data.get("incognito"):
            return None
        app = _browser(str(bucket.get("id", "")), str(bucket.get("client", "")))
        return Event(
            "activitywatch", "web", started, duration, app=app,
            title=_str(data.get("title")), url=_str(data.get("url")), device=device,
        )  # fmt: skip
    return Event(
        "activitywatch",
        kind,
        started,
        duration,
        app=_str(data.get("app")) or _str(data.get("language")),
        title=_str(data.get("title")) or _str(data.get("file")) or _str(data.get("project")),
        url=_str(data.get("url")),
        device=device,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class ActivityWatchImporter:
    """ActivityWatch's JSON export of buckets and their events."""

    name: ClassVar[str] = "activitywatch"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """Whether the file opens as ``{"buckets": {...}}`` with bucket fields."""
        if source.is_zip or source.is_dir:
            return False
        try:
            return _looks_like_export(source.head(16 * 1024))
        except (BadInput, OSError):
            return False

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Event]:
        """Yield every event of every bucket, one bucket at a time."""
        label = source.label()
        if source.is_zip or source.is_dir:
            raise BadInput(label, "expected an ActivityWatch export .json file")
        found = False
        try:
            with source.open() as stream:
                for bucket_id, bucket in fast_ijson().kvitems(XEscapeRepair(stream), "buckets"):
                    found = True
                    if not isinstance(bucket, dict):
                        raise BadInput(label, f"bucket {bucket_id!r} is not an object")
                    bucket.setdefault("id", bucket_id)
                    for obj in bucket.get("events") or []:
                        if isinstance(obj, dict):
                            event = _event(obj, bucket, label)
                            if event is not None:
                                yield event
        except ijson.JSONError as error:
            raise BadInput(label, f"truncated or invalid JSON ({error})") from None
        if not found:
            raise BadInput(label, "not an ActivityWatch export (no buckets)")

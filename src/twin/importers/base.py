"""The one small interface every importer implements.

An importer recognises its files and turns them into `Message` records. It reads through a
`SourceFile`, which enforces the safety rules for untrusted input (zip caps, no paths taken
from archives, strict UTF-8), and it never writes anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from twin.importers.files import SourceFile
from twin.records import Message

DateOrder = Literal["dmy", "mdy", "ymd"]
DATE_ORDERS: tuple[DateOrder, ...] = ("dmy", "mdy", "ymd")


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Choices the user can force when a file is ambiguous."""

    date_order: DateOrder | None = None
    """Order of day, month and year in dates; None means infer it from the whole file."""
    speaker: str | None = None
    """For dialogue scripts: the character who speaks for the user (``--as NAME``)."""


class Importer(Protocol):
    """A source of records, registered through the ``register_importers`` hook."""

    name: ClassVar[str]
    """The name users give to ``--source``."""
    version: ClassVar[str]
    """Bumped whenever parsing changes what records a file yields; kept with each import."""

    def detect(self, source: SourceFile) -> bool:
        """Whether this file looks like an export of this source. Cheap: reads only the start."""
        ...

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield every message in the file; raise `BadInput` on a broken file.

        File order is fine: the vault orders messages by time when it reads them.
        """
        ...

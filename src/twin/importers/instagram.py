"""Instagram's "Download your information" JSON messages (``your_instagram_activity/messages``).

The layout and rules are Messenger's, shared in `twin.importers.meta`. A file is Instagram's
when its path or its media addresses say so (``your_instagram_activity/…``,
``instagram-name-2024.zip``); a lone ``message_1.json`` with no such hint is read as Messenger's,
and ``--source instagram`` says otherwise.
"""

from __future__ import annotations

from twin.importers.meta import INSTAGRAM_HINTS, MESSENGER_HINTS, MetaImporter


class InstagramImporter(MetaImporter):
    """Instagram direct messages: a ``message_1.json``, a thread folder, or the whole export."""

    name = "instagram"
    version = "1"
    platform_words = INSTAGRAM_HINTS
    other_words = MESSENGER_HINTS
    default_platform = False

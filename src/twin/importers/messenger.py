"""Facebook Messenger's "Download your information" JSON, classic and end-to-end encrypted.

The rules are shared with Instagram's export and written down in `twin.importers.meta`. An
export counts as Messenger's unless its paths or media addresses say Instagram.
"""

from __future__ import annotations

from twin.importers.meta import INSTAGRAM_HINTS, MESSENGER_HINTS, MetaImporter


class MessengerImporter(MetaImporter):
    """Messenger conversations: a ``message_1.json``, a thread folder, or the whole export."""

    name = "messenger"
    version = "1"
    platform_words = MESSENGER_HINTS
    other_words = INSTAGRAM_HINTS
    default_platform = True

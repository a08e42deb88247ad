"""The words around a conversation in a training example: the persona line and the opener.

By default an example's system message is just the persona line. With ``--memory`` it is the
message chat uses (`twin.persona.prompt.system_message`: persona, memory slot, rule) with this
line as the setting; see `twin.dataset.memory_slot`.
"""

from __future__ import annotations

from collections.abc import Sequence

SOURCE_NAMES = {
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
    "signal": "Signal",
    "imessage": "iMessage",
    "sms": "SMS",
    "discord": "Discord",
    "slack": "Slack",
    "messenger": "Messenger",
    "instagram": "Instagram",
    "email": "email",
}
"""How each source is named in the persona line; others are used as they are."""


def source_name(source: str) -> str:
    """The name a person would use for the source: ``whatsapp`` → ``WhatsApp``."""
    return SOURCE_NAMES.get(source.casefold(), source)


def _listing(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def system_prompt(me: str, other: str, source: str, members: Sequence[str] = ()) -> str:
    """The persona line of every example: ``You are Sam, chatting with Maya on WhatsApp.``

    In a group chat `other` is the group's title and `members` the other people speaking:
    ``You are Sam, chatting in the group Family with Inês and Maya on WhatsApp.``
    """
    where = source_name(source)
    if members:
        return f"You are {me}, chatting in the group {other} with {_listing(members)} on {where}."
    return f"You are {me}, chatting with {other} on {where}."


def opener(other: str, group: bool = False) -> str:
    """The user message that stands in for "nothing yet" when the user starts a session.

    Training needs a turn before the user's first message; this says plainly that there was none,
    so at chat time the twin can be asked to start a conversation with the same words.
    """
    return f"(new conversation in {other})" if group else f"(new conversation with {other})"

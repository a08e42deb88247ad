"""twin's own importers, registered through the same hooks a plugin uses."""

from __future__ import annotations

from typing import Any

from twin.hookspecs import hookimpl
from twin.importers.activitywatch import ActivityWatchImporter
from twin.importers.browser_history import BrowserHistoryImporter
from twin.importers.chatgpt import ChatGPTImporter
from twin.importers.discord import DiscordImporter
from twin.importers.googlechat import GoogleChatImporter
from twin.importers.imessage import IMessageImporter
from twin.importers.instagram import InstagramImporter
from twin.importers.journal import JournalLines
from twin.importers.line import LineImporter
from twin.importers.markdown import MarkdownNotes
from twin.importers.mbox import MboxImporter
from twin.importers.messenger import MessengerImporter
from twin.importers.plaintext import PlainTextNotes
from twin.importers.script import ScriptImporter
from twin.importers.shell_history import ShellHistoryImporter
from twin.importers.signal import SignalImporter
from twin.importers.slack import SlackImporter
from twin.importers.sms import SmsBackupImporter
from twin.importers.telegram import TelegramImporter
from twin.importers.tiddlywiki import TiddlyWikiNotes
from twin.importers.whatsapp import WhatsAppImporter


@hookimpl
def register_importers(register: Any) -> None:
    register(SignalImporter())  # before WhatsApp: its "[2024-01-05 09:00:00] Me:" lines look alike
    register(WhatsAppImporter())
    register(TelegramImporter())
    register(SmsBackupImporter())
    register(MboxImporter())
    register(SlackImporter())
    register(IMessageImporter())
    register(GoogleChatImporter())
    register(ActivityWatchImporter())
    register(BrowserHistoryImporter())
    register(ShellHistoryImporter())
    register(InstagramImporter())  # before Messenger: Messenger takes exports with no hint
    register(MessengerImporter())
    register(ChatGPTImporter())
    register(DiscordImporter())
    register(LineImporter())
    register(ScriptImporter())  # last: "NAME: line" text is the loosest shape of all


@hookimpl
def register_note_importers(register: Any) -> None:
    # Tried in this order: the specific formats before the catch-all plain text.
    register(JournalLines())
    register(TiddlyWikiNotes())
    register(MarkdownNotes())
    register(PlainTextNotes())

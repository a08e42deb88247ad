"""Email in mbox form: Gmail Takeout labels and threads, RFC 2047, HTML, quotes, signatures."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.email_text import html_to_text, own_words
from twin.importers.files import SourceFile
from twin.importers.mbox import MboxImporter
from twin.records import Kind, Message

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mbox"
GMAIL = FIXTURES / "All mail Including Spam and Trash.mbox"
THUNDERBIRD = FIXTURES / "Inbox.mbox"


def parse(path: Path) -> list[Message]:
    return list(MboxImporter().parse(SourceFile(path), ParseOptions()))


def test_gmail_takeout_counts_threads_and_skips_spam() -> None:
    messages = parse(GMAIL)
    assert len(messages) == 4  # five in the file, one labelled Spam
    assert all("Click here" not in m.text for m in messages)
    threads = [m.conversation_id for m in messages]
    assert threads[0] == threads[1] and threads[2] == threads[3] and threads[0] != threads[2]


def test_rfc2047_headers_are_decoded() -> None:
    first = parse(GMAIL)[0]
    assert first.sender == "Inês Costa" and first.sender_id == "ines@example.org"
    assert first.conversation.startswith("Cello lessons")
    assert "=?UTF-8" not in first.conversation


def test_subject_prefixes_are_one_thread_title() -> None:
    messages = parse(GMAIL)
    assert messages[0].conversation == messages[1].conversation
    assert messages[2].conversation == messages[3].conversation == "rehearsal schedule"


def test_own_sent_mail_is_the_users_voice() -> None:
    messages = parse(GMAIL)
    assert [m.from_me for m in messages] == [False, True, False, True]
    # Sent mail from a differently cased address is still the user's.
    assert messages[1].sender_id == "sam.rivera@example.com"


def test_dates_keep_their_offsets() -> None:
    messages = parse(GMAIL)
    assert messages[0].sent_at == datetime(2024, 3, 4, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    assert messages[1].sent_at == datetime(2024, 3, 4, 12, 30, tzinfo=UTC)


def test_signature_and_quoted_reply_are_stripped() -> None:
    first, reply, _html, outlook = parse(GMAIL)
    assert first.text.endswith("Marta has a slot at 6.")
    assert "Lisbon String School" not in first.text
    assert reply.text == (
        "Yes, Thursday at 6 works. I'll bring the rented cello.\n"
        "From what Marta said, the first lesson is free."
    )
    assert reply.reply_to == "<CAB1@mail.example.org>"
    assert outlook.text == "Café after, definitely."


def test_html_only_mail_gives_its_visible_text() -> None:
    html = parse(GMAIL)[2]
    assert html.text == "Rehearsal moves to Thursday, sorry! Café after?"
    assert html.is_group is True  # sent to the user and Joana


def test_plain_mbox_attachments_and_missing_ids() -> None:
    photo, reply, bare = parse(THUNDERBIRD)
    assert photo.kind is Kind.MEDIA and photo.text == "<attachment>"
    assert reply.conversation_id == photo.conversation_id == "<J1@example.net>"
    assert bare.message_id is not None and bare.message_id.startswith("hash:")
    assert parse(THUNDERBIRD)[2].message_id == bare.message_id  # stable: re-import is a no-op
    # Nothing in a plain folder says which address is the user's: unknown, not "not me".
    assert reply.from_me is None


def test_detects_file_zip_and_not_other_text(tmp_path: Path) -> None:
    assert MboxImporter().detect(SourceFile(GMAIL))
    assert MboxImporter().detect(SourceFile(THUNDERBIRD))
    archive = tmp_path / "takeout-20240310T000000Z-001.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(GMAIL, "Takeout/Mail/All mail Including Spam and Trash.mbox")
    assert MboxImporter().detect(SourceFile(archive))
    assert len(parse(archive)) == 4
    prose = tmp_path / "notes.txt"
    prose.write_text("From here on, I'll write daily.\nIt was a good day.\n")
    assert not MboxImporter().detect(SourceFile(prose))


def test_not_mbox_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.mbox"
    bad.write_text("hello\n")
    with pytest.raises(BadInput, match="not an mbox"):
        parse(bad)


def test_own_words_rules() -> None:
    assert own_words("Sure.\n\nOn Tue, Ann <a@x.org> wrote:\n> old\n> text") == "Sure."
    assert own_words("Ja.\n\nAm 5. März 2024 schrieb Ann <a@x.org>:\n> alt") == "Ja."
    assert own_words("Yes.\n-- \nSam\nPhone") == "Yes."
    assert own_words("See below\n-----Original Message-----\nFrom: X") == "See below"
    assert html_to_text("<p>a<br>b</p><blockquote>quoted</blockquote><p>c</p>") == "a\nb\n\nc"

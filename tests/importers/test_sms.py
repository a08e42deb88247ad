"""SMS Backup & Restore XML: sms and mms, boxes, SMIL parts, "null", escaped emoji, bad input."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.sms import SmsBackupImporter
from twin.importers.xmlstream import SurrogateRepair, repair_surrogates
from twin.records import Kind, Message

FIXTURE = Path(__file__).parent.parent / "fixtures" / "sms" / "sms-20240302101500.xml"


def parse(path: Path) -> list[Message]:
    return list(SmsBackupImporter().parse(SourceFile(path), ParseOptions()))


def test_reads_sms_and_mms_skipping_drafts() -> None:
    messages = parse(FIXTURE)
    assert len(messages) == 7  # eight elements, one a draft
    assert [m.sent_at for m in messages][:2] == [
        datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
        datetime(2024, 3, 1, 10, 1, tzinfo=UTC),
    ]
    assert all("draft" not in m.text for m in messages)


def test_received_and_sent_senders() -> None:
    first, second, *_ = parse(FIXTURE)
    assert (first.sender, first.from_me, first.conversation) == ("Ann Lee", False, "Ann Lee")
    assert (second.sender, second.from_me) == ("Me", True)
    assert second.text == "Yes! Leaving at 7 & bringing cake"
    # Differently written numbers are one conversation.
    assert first.conversation_id == second.conversation_id == "+447700900123"


def test_escaped_surrogate_pairs_become_emoji() -> None:
    messages = parse(FIXTURE)
    assert messages[0].text == "Are you coming tonight? 😀"
    assert messages[5].text == "Group dinner at Bo's 🍕"


def test_null_and_unknown_are_missing() -> None:
    messages = parse(FIXTURE)
    code, failed = messages[2], messages[3]
    assert code.sender == "70123" and code.conversation == "70123"
    assert failed.from_me is True and failed.text == "" and failed.kind is Kind.OTHER


def test_mms_skips_smil_and_reads_media_and_group() -> None:
    messages = parse(FIXTURE)
    photo, group_in, group_out = messages[4], messages[5], messages[6]
    assert photo.kind is Kind.MEDIA and photo.text == "<image/jpeg>"
    assert "smil" not in photo.text
    assert photo.sender == "Ann Lee" and photo.is_group is False
    assert group_in.is_group is True and group_in.conversation == "Ann Lee, Bo Park"
    assert group_in.sender == "+447700900456" and group_in.from_me is False
    assert group_out.from_me is True and group_out.sender == "Me"
    assert group_in.conversation_id == group_out.conversation_id


def test_detects_from_the_file_alone(tmp_path: Path) -> None:
    assert SmsBackupImporter().detect(SourceFile(FIXTURE))
    other = tmp_path / "feed.xml"
    other.write_text("<?xml version='1.0'?><rss><channel/></rss>")
    assert not SmsBackupImporter().detect(SourceFile(other))


def test_broken_xml_is_one_line_error(tmp_path: Path) -> None:
    cut = tmp_path / "sms.xml"
    cut.write_bytes(FIXTURE.read_bytes()[:1500])
    with pytest.raises(BadInput, match="broken XML"):
        parse(cut)


def test_entities_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "sms.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE smses [<!ENTITY a "aaaa">]>'
        '<smses count="1"><sms address="1" date="0" type="1" body="&a;"/></smses>'
    )
    with pytest.raises(BadInput, match="unsafe XML"):
        parse(bomb)


def test_repair_across_every_read_boundary() -> None:
    data = b"x &#55357;&#56832; &#xD83D;&#xDE00; lone &#55357; y &#56832; &amp; &#65;" * 20
    want = repair_surrogates(data)
    assert b"&#128512;" in want and b"&#55357;" not in want
    for size in range(1, 30):
        reader = SurrogateRepair(io.BytesIO(data), size)
        out = b""
        while chunk := reader.read(size):
            out += chunk
        assert out == want


def test_large_backup_streams(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    with path.open("w") as out:
        out.write('<?xml version="1.0"?>\n<smses count="20000">\n')
        for n in range(20000):
            box = 1 + n % 2
            out.write(f'<sms address="+1555{n % 7}" date="{n * 1000}" type="{box}" body="m{n}"/>\n')
        out.write("</smses>\n")
    count = sum(1 for _ in SmsBackupImporter().parse(SourceFile(path), ParseOptions()))
    assert count == 20000

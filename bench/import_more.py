"""Synthetic exports for the issue-13 sources that `bench/import.py` times (parse rate, memory).

Each writer makes an export of about `count` records in the real shape of its source; the
files are generated, never downloaded. Imported by `bench/import.py` (``others``).
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

WORDS = [
    "ok",
    "sure",
    "see",
    "you",
    "tomorrow",
    "did",
    "you",
    "get",
    "the",
    "tickets",
    "lol",
    "that's",
    "amazing",
    "running",
    "late",
    "sorry",
    "dinner",
    "at",
    "eight",
    "bring",
    "the",
    "dog",
    "can't",
    "wait",
    "call",
    "me",
    "when",
    "you",
    "land",
    "haha",
    "yes",
    "no",
    "maybe",
    "later",
]
NAMES = ["Sam Rivera", "Maya Rivera"]


def _said(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 14)))


def _moments(rng: random.Random, count: int) -> list[datetime]:
    moment = datetime(2021, 1, 1, 8, 0, tzinfo=UTC)
    out = []
    for _ in range(count):
        moment += timedelta(seconds=rng.randint(5, 900))
        out.append(moment)
    return out


def _takeout_date(moment: datetime) -> str:
    return f"{moment:%A, %B} {moment.day}, {moment:%Y at %I:%M:%S %p} UTC"


def write_more_sources(out: Path, count: int) -> dict[str, Path]:
    """One synthetic export per source: sms, mbox, slack, imessage, googlechat, script,
    activitywatch and shell history; by source name."""
    rng = random.Random(1313)
    moments = _moments(rng, count)
    said = [_said(rng) for _ in range(count)]
    mine = [rng.random() < 0.5 for _ in range(count)]
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}

    sms = out / "sms-bench.xml"
    with sms.open("w", encoding="utf-8") as file:
        file.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n")
        file.write(f'<smses count="{count}">\n')
        for i in range(count):
            body = said[i] + (" &#55357;&#56832;" if i % 10 == 0 else "")
            stamp = int(moments[i].timestamp() * 1000)
            file.write(
                f'  <sms protocol="0" address="+447700900123" date="{stamp}" '
                f'type="{2 if mine[i] else 1}" subject="null" body="{body}" toa="null" '
                f'sc_toa="null" service_center="null" read="1" status="-1" locked="0" '
                f'contact_name="Maya Rivera" />\n'
            )
        file.write("</smses>\n")
    paths["sms"] = sms

    mbox = out / "All mail Including Spam and Trash.mbox"
    with mbox.open("w", encoding="utf-8", newline="\r\n") as file:
        for i in range(count):
            sender = "Sam Rivera <sam@example.com>" if mine[i] else "Maya Rivera <maya@example.com>"
            file.write(
                f"From 17{i:017d}@xxx Mon Jan 01 00:00:00 +0000 2021\n"
                f"X-GM-THRID: {1700 + i // 20}\nX-Gmail-Labels: {'Sent' if mine[i] else 'Inbox'}\n"
                f"From: {sender}\nTo: someone@example.com\n"
                f"Date: {format_datetime(moments[i])}\n"
                f"Message-ID: <m{i}@example.com>\nSubject: Re: plans {i // 20}\n"
                "Content-Type: text/plain; charset=utf-8\n\n"
                f"{said[i]}\n\n> quoted {said[i - 1]}\n\n"
            )
    paths["mbox"] = mbox

    slack = out / "slack"
    (slack / "general").mkdir(parents=True, exist_ok=True)
    (slack / "users.json").write_text(
        json.dumps(
            [
                {"id": "U1", "name": "sam", "real_name": "Sam Rivera"},
                {"id": "U2", "name": "maya", "real_name": "Maya Rivera"},
            ]
        )
    )
    (slack / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]))
    days: dict[str, list[dict[str, object]]] = {}
    for i in range(count):
        days.setdefault(f"{moments[i]:%Y-%m-%d}", []).append(
            {
                "type": "message",
                "user": "U1" if mine[i] else "U2",
                "text": f"<@U2> {said[i]}",
                "ts": f"{moments[i].timestamp():.6f}",
            }
        )
    for day, messages in days.items():
        (slack / "general" / f"{day}.json").write_text(json.dumps(messages))
    paths["slack"] = slack

    chat_db = out / "chat.db"
    chat_db.unlink(missing_ok=True)
    with sqlite3.connect(chat_db) as db:
        db.executescript(
            (Path(__file__).parent.parent / "tests" / "fixtures" / "imessage" / "chat.sql")
            .read_text()
            .split("INSERT INTO handle")[0]
        )
        db.execute("INSERT INTO handle VALUES (1, '+1555', 'us', 'iMessage', NULL, NULL)")
        db.execute(
            "INSERT INTO chat (ROWID, guid, style, chat_identifier) VALUES (1, 'c', 45, 'x')"
        )
        epoch = datetime(2001, 1, 1, tzinfo=UTC)
        db.executemany(
            "INSERT INTO message (ROWID, guid, text, handle_id, date, is_from_me) "
            "VALUES (?, ?, ?, 1, ?, ?)",
            [
                (i + 1, f"g{i}", said[i], int((moments[i] - epoch).total_seconds() * 1e9), mine[i])
                for i in range(count)
            ],
        )
        joins = [(i + 1,) for i in range(count)]
        db.executemany("INSERT INTO chat_message_join VALUES (1, ?, 0)", joins)
    paths["imessage"] = chat_db

    gchat = out / "googlechat" / "Google Chat" / "Groups" / "DM bench"
    gchat.mkdir(parents=True, exist_ok=True)
    people = [{"name": n, "email": f"{n.split()[0].lower()}@example.com"} for n in NAMES]
    (gchat / "group_info.json").write_text(json.dumps({"members": people}))
    (gchat / "messages.json").write_text(
        json.dumps(
            {
                "messages": [
                    {
                        "creator": people[0 if mine[i] else 1],
                        "created_date": _takeout_date(moments[i]),
                        "text": said[i],
                        "topic_id": f"t{i}",
                        "message_id": f"bench/t{i}/t{i}",
                    }
                    for i in range(count)
                ]
            }
        )
    )
    paths["googlechat"] = out / "googlechat"

    script = out / "bench_play.txt"
    with script.open("w", encoding="utf-8") as file:
        for i in range(count):
            if i % 200 == 0:
                file.write(f"\nSCENE {i // 200 + 1}.\n\n")
            file.write(f"{'HAMLET' if mine[i] else 'OPHELIA'}: {said[i]}\n")
    paths["script"] = script

    window = "aw-watcher-window_bench"
    buckets = {
        window: {
            "id": window,
            "type": "currentwindow",
            "client": "aw-watcher-window",
            "hostname": "bench",
            "events": [
                {
                    "id": i,
                    "timestamp": moments[i].isoformat(),
                    "duration": 12.5,
                    "data": {"app": rng.choice(["Firefox", "Code", "Slack"]), "title": said[i]},
                }
                for i in range(count)
            ],
        }
    }
    activity = out / "aw-buckets-export.json"
    activity.write_text(json.dumps({"buckets": buckets}))
    paths["activitywatch"] = activity

    shell = out / "zsh_history"
    with shell.open("w", encoding="utf-8") as file:
        for i in range(count):
            file.write(f": {int(moments[i].timestamp())}:0;git commit -m '{said[i]}'\n")
    paths["shell"] = shell
    return paths

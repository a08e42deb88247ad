"""How fast twin reads and collects chat exports, side by side with the `whatstk` parser.

    python bench/import.py [--messages 1000000] [--telegram-mb 1024] [--skip-whatstk]

Generates a synthetic WhatsApp export of N messages and a Telegram Desktop export of about the
given size under bench/out/, then reports, each measured in a fresh process:
  - preview-parse rate (messages/s) of twin's WhatsApp parser and of whatstk on the same file,
    and their ratio (target: twin at least 5x). whatstk is timed twice: as documented (it
    detects the header format) and with the format spelled out by hand, its fastest path;
  - import rate into an encrypted vault (target: 1 M WhatsApp messages in under 20 s);
  - peak memory (max RSS) of each step (target: a 1 GB Telegram export under 400 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

OUT = Path(__file__).parent / "out"
NAMES = ["Sam Rivera", "Maya Rivera", "Inês Costa", "Tiago Ferreira", "Joana Lima"]
PROSE = (
    "ok sure see you tomorrow did you get the tickets lol that's amazing running late sorry "
    "dinner at eight bring the dog can't wait call me when you land haha yes no maybe later "
    "the rehearsal moved to thursday coffee first"
)
WORDS = PROSE.split()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 14)))


def write_whatsapp(path: Path, count: int) -> None:
    """An Android export with 24-hour times, some multi-line messages, media and system lines."""
    rng = random.Random(7)
    moment = datetime(2019, 1, 1, 8, 0)
    with path.open("w", encoding="utf-8") as out:
        out.write(f"{moment:%d/%m/%Y, %H:%M} - Messages and calls are end-to-end encrypted.\n")
        for _ in range(count - 1):
            moment += timedelta(seconds=rng.randint(5, 900))
            roll = rng.random()
            body = (
                "<Media omitted>"
                if roll < 0.03
                else sentence(rng) + "\n" + sentence(rng)
                if roll < 0.10
                else sentence(rng)
            )
            out.write(f"{moment:%d/%m/%Y, %H:%M} - {rng.choice(NAMES[:2])}: {body}\n")


def write_telegram(path: Path, megabytes: int) -> int:
    """A full-account Telegram Desktop export of about `megabytes` MB; returns its message count."""
    rng = random.Random(11)
    target = megabytes * 1024 * 1024
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '{"about": "synthetic", "personal_information": {"user_id": 1, '
            '"first_name": "Sam"}, "chats": {"about": "", "list": [\n'
        )
        chat = 0
        while out.tell() < target:
            chat += 1
            if chat > 1:
                out.write(",\n")
            out.write(
                json.dumps({"name": f"Friend {chat}", "type": "personal_chat", "id": chat})[:-1]
            )
            out.write(', "messages": [\n')
            moment = 1_600_000_000
            for number in range(1, 50_001):
                moment += rng.randint(5, 900)
                sender = rng.choice([("Sam", "user1"), (f"Friend {chat}", f"user{chat + 1}")])
                text: object = sentence(rng)
                if number % 7 == 0:
                    text = [
                        sentence(rng) + " ",
                        {"type": "bold", "text": "really"},
                        " " + sentence(rng),
                    ]
                message = {
                    "id": number,
                    "type": "message",
                    "date": datetime.utcfromtimestamp(moment).isoformat(),
                    "date_unixtime": str(moment),
                    "from": sender[0],
                    "from_id": sender[1],
                    "text": text,
                }
                out.write(("" if number == 1 else ",\n") + json.dumps(message, ensure_ascii=False))
                count += 1
                if out.tell() >= target:
                    break
            out.write("]}")
        out.write("\n]}}\n")
    return count


def write_other_sources(out: Path, count: int) -> dict[str, Path]:
    """Synthetic exports of `count` messages for each of the newer chat sources, by source."""
    rng = random.Random(13)
    start = datetime(2021, 1, 1, 8, 0)
    moments = []
    moment = start
    for _ in range(count):
        moment += timedelta(seconds=rng.randint(5, 900))
        moments.append(moment)
    who = [rng.choice(NAMES[:2]) for _ in range(count)]
    said = [sentence(rng) for _ in range(count)]
    paths: dict[str, Path] = {}

    def meta(root: Path, activity: str) -> Path:
        thread = root / activity / "messages" / "inbox" / "mayarivera_123"
        thread.mkdir(parents=True, exist_ok=True)
        per_part = 10_000
        for part, first in enumerate(range(0, count, per_part), start=1):
            chunk = range(min(count, first + per_part) - 1, first - 1, -1)  # newest first
            messages = [
                {
                    "sender_name": who[i],
                    "timestamp_ms": int(moments[i].timestamp() * 1000),
                    "content": said[i].encode("utf-8").decode("latin-1"),
                }
                for i in chunk
            ]
            # message_1.json holds the newest messages
            number = (count + per_part - 1) // per_part - part + 1
            doc = {"participants": [{"name": n} for n in NAMES[:2]], "messages": messages,
                   "title": "Maya Rivera", "thread_path": "inbox/mayarivera_123"}
            (thread / f"message_{number}.json").write_text(json.dumps(doc), encoding="utf-8")
        return root

    paths["messenger"] = meta(out / "messenger", "your_facebook_activity")
    paths["instagram"] = meta(out / "instagram", "your_instagram_activity")
    discord = out / "discord.json"
    with discord.open("w", encoding="utf-8") as file:
        file.write('{"guild": {"id": "1", "name": "Bench"}, "channel": {"id": "2", '
                   '"type": "GuildTextChat", "name": "general"}, "exportedAt": "2024-01-01", '
                   '"messages": [\n')
        for i in range(count):
            file.write(("" if i == 0 else ",\n") + json.dumps({
                "id": str(10**17 + i), "type": "Default",
                "timestamp": moments[i].isoformat() + "+01:00", "timestampEdited": None,
                "content": said[i], "author": {"id": str(NAMES.index(who[i])),
                "name": who[i], "nickname": who[i], "isBot": False},
                "attachments": [], "embeds": [], "stickers": [], "reactions": [],
            }))
        file.write(f"\n], \"messageCount\": {count}}}\n")
    paths["discord"] = discord
    chatgpt = out / "conversations.json"
    with chatgpt.open("w", encoding="utf-8") as file:
        file.write("[")
        for start_at in range(0, count, 100):  # conversations of 100 messages
            mapping: dict[str, object] = {"root": {"id": "root", "message": None, "parent": None,
                                                   "children": [f"n{start_at}"]}}
            parent = "root"
            for i in range(start_at, min(count, start_at + 100)):
                role = "user" if i % 2 == 0 else "assistant"
                mapping[f"n{i}"] = {"id": f"n{i}", "parent": parent, "children": [], "message": {
                    "id": f"m{i}", "author": {"role": role}, "create_time": moments[i].timestamp(),
                    "content": {"content_type": "text", "parts": [said[i]]}, "recipient": "all"}}
                parent = f"n{i}"
            file.write(("" if start_at == 0 else ",") + json.dumps({
                "title": f"Chat {start_at}", "create_time": moments[start_at].timestamp(),
                "mapping": mapping, "current_node": parent, "conversation_id": f"c{start_at}"}))
        file.write("]")
    paths["chatgpt"] = chatgpt
    signal = out / "signal" / "Maya Rivera"
    signal.mkdir(parents=True, exist_ok=True)
    with (signal / "chat.md").open("w", encoding="utf-8") as file:
        for i in range(count):
            sender = "Me" if who[i] == NAMES[0] else who[i]
            file.write(f"[{moments[i]:%Y-%m-%d %H:%M:%S}] {sender}: {said[i]}  \n\n")
    paths["signal"] = out / "signal"
    line = out / "[LINE] Chat with Maya Rivera.txt"
    with line.open("w", encoding="utf-8") as file:
        file.write("[LINE] Chat history with Maya Rivera\nSaved on: 2024/01/01 10:00\n\n")
        day = None
        for i in range(count):
            if moments[i].date() != day:
                day = moments[i].date()
                file.write(f"\n{day:%Y/%m/%d}({day:%a})\n")
            file.write(f"{moments[i]:%H:%M}\t{who[i]}\t{said[i]}\n")
    paths["line"] = line
    return paths


def measure(step: str, path: str) -> dict[str, float]:
    """Run one step in this process; return its wall time, message count and peak memory."""
    started = time.perf_counter()
    if step == "twin-parse":
        from twin.importers.base import ParseOptions
        from twin.vault.collect import preview

        # Scripts need the character who speaks for the user; other sources ignore it.
        options = ParseOptions(speaker=os.environ.get("TWIN_BENCH_AS"))
        count = sum(1 for _ in preview(Path(path), None, options))
    elif step == "whatstk-parse":
        # As its documentation shows it used: the header format detected from the file.
        from whatstk.whatsapp.parser import df_from_whatsapp

        count = len(df_from_whatsapp(path, max_size=None))
    elif step == "whatstk-parse-hformat":
        # Its fastest path: the caller spells out the header format, so nothing is detected.
        from whatstk.whatsapp.parser import df_from_whatsapp

        count = len(df_from_whatsapp(path, hformat="%d/%m/%Y, %H:%M - %name:", max_size=None))
    elif step == "twin-import":
        from twin.home import Home
        from twin.vault import Secret, Vault
        from twin.vault.collect import import_file

        home = Home(Path(tempfile.mkdtemp(prefix="twin-bench-")))
        with Vault.create(home, Secret(passphrase="bench")) as vault:
            started = time.perf_counter()  # the key derivation is not import work
            count = import_file(vault, Path(path), me="Sam Rivera").added
        shutil.rmtree(home.path)
    else:
        raise SystemExit(f"unknown step {step}")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "messages": count, "peak_mb": peak}


def run_step(step: str, path: Path) -> dict[str, float]:
    env = {**os.environ, "TWIN_KDF": "fast", "TWIN_BENCH_AS": "HAMLET"}
    result = subprocess.run(
        [sys.executable, __file__, "--measure", step, str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def report(label: str, figures: dict[str, float]) -> float:
    rate = figures["messages"] / figures["seconds"]
    print(
        f"{label:<34} {figures['messages']:>10,.0f} msgs {figures['seconds']:>8.2f} s "
        f"{rate:>12,.0f} msgs/s  peak {figures['peak_mb']:>7.0f} MB",
        flush=True,
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--telegram-mb", type=int, default=1024)
    parser.add_argument("--skip-whatstk", action="store_true")
    parser.add_argument(
        "--other-messages", type=int, default=200_000,
        help="messages per synthetic export of the newer sources (0 skips them)",
    )
    parser.add_argument(
        "--only-others", action="store_true", help="measure only the newer sources"
    )
    parser.add_argument("--measure", nargs=2, metavar=("STEP", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return

    OUT.mkdir(exist_ok=True)
    if args.only_others:
        others(args.other_messages)
        return
    whatsapp = OUT / "WhatsApp Chat with Maya Rivera.txt"
    telegram = OUT / "result.json"
    print(f"generating {args.messages:,} WhatsApp messages and ~{args.telegram_mb} MB of Telegram…")
    write_whatsapp(whatsapp, args.messages)
    telegram_count = write_telegram(telegram, args.telegram_mb)
    print(
        f"  {whatsapp.stat().st_size / 1e6:.0f} MB WhatsApp, "
        f"{telegram.stat().st_size / 1e6:.0f} MB Telegram ({telegram_count:,} messages)\n"
    )

    ours = report("twin preview-parse (WhatsApp)", run_step("twin-parse", whatsapp))
    if not args.skip_whatstk:
        theirs = report("whatstk parse, format detected", run_step("whatstk-parse", whatsapp))
        print(f"{'':<34} ratio twin/whatstk: {ours / theirs:.1f}x (target >= 5x)")
        given = report("whatstk parse, format given", run_step("whatstk-parse-hformat", whatsapp))
        print(f"{'':<34} ratio twin/whatstk: {ours / given:.1f}x (twin detects its format)")
    imported = run_step("twin-import", whatsapp)
    report("twin import (WhatsApp)", imported)
    print(f"{'':<34} 1 M-message import target: < 20 s")
    report("twin preview-parse (Telegram)", run_step("twin-parse", telegram))
    big = run_step("twin-import", telegram)
    report("twin import (Telegram)", big)
    print(f"{'':<34} peak memory target for a 1 GB export: < 400 MB")
    others(args.other_messages)


def others(count: int) -> None:
    """Parse rate and peak memory of each newer chat source on a synthetic export."""
    if count <= 0:
        return
    print(f"\ngenerating {count:,} messages for each of the newer sources…")
    for name, path in write_other_sources(OUT / "sources", count).items():
        report(f"twin preview-parse ({name})", run_step("twin-parse", path))
    from import_more import write_more_sources  # sms, mbox, slack, imessage, … (issue 13)

    for name, path in write_more_sources(OUT / "sources-more", count).items():
        report(f"twin preview-parse ({name})", run_step("twin-parse", path))


if __name__ == "__main__":
    main()

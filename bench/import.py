"""How fast twin reads and collects chat exports, side by side with the `whatstk` parser.

    flock /tmp/twin-heavy.lock python bench/import.py [--messages 1000000]
        [--preview-messages 200000] [--telegram-mb 1024] [--other-messages 200000]
        [--skip-whatstk] [--import-repeats 3] [--only-import]

Generates synthetic exports under bench/out/, then reports, each measured in a fresh process:
  - preview-parse rate (messages/s) of twin's WhatsApp parser and of whatstk on the same file,
    and their ratio (target: twin at least 5x). whatstk is timed twice: as documented (it
    detects the header format) and with the format spelled out by hand, its fastest path;
  - import time of N WhatsApp messages into an encrypted vault (target: 1 M in under 12 s), as
    `twin import` runs it (parsed in a worker process beside the one that stores) and all in
    one process, interleaved, the median of `--import-repeats` each;
  - `twin preview` as a whole process (start-up, parse, a JSON line per message written to a
    file) against a whole process that imports whatstk and parses the same file into its
    DataFrame, both ways, on `--preview-messages` messages (target: twin at least 3x);
    wall-clock and CPU seconds, the best of three runs each;
  - peak memory (max RSS) of each step (target: a 1 GB Telegram export under 400 MB).
`--telegram-mb 0` and `--other-messages 0` skip the Telegram and newer-source steps. The
figures end with a table, one JSON line and the load average they were measured under.
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
    """Run one step in this process; its wall and CPU seconds, message count and peak memory."""
    started, cpu_started = time.perf_counter(), time.process_time()
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
    elif step in ("twin-import", "twin-import-here"):
        from twin.home import Home
        from twin.vault import Secret, Vault
        from twin.vault.collect import import_file

        # twin-import as `twin import` runs (a big file is parsed in a worker process);
        # twin-import-here with everything in this one process, as before the worker.
        worker = None if step == "twin-import" else False
        home = Home(Path(tempfile.mkdtemp(prefix="twin-bench-")))
        with Vault.create(home, Secret(passphrase="bench")) as vault:
            # the key derivation is not import work
            started, cpu_started = time.perf_counter(), time.process_time()
            count = import_file(vault, Path(path), me="Sam Rivera", worker=worker).added
        shutil.rmtree(home.path)
    else:
        raise SystemExit(f"unknown step {step}")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parsing worker, if any
    return {
        "seconds": seconds, "cpu_seconds": cpu, "messages": count, "peak_mb": peak,
        "worker_cpu_seconds": children.ru_utime + children.ru_stime,
        "worker_peak_mb": children.ru_maxrss / 1024,
    }  # fmt: skip


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


def seconds_of(runs: list[dict[str, float]]) -> str:
    """The wall times of `runs`, in the order they ran."""
    return ", ".join(f"{run['seconds']:.2f}" for run in runs)


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
        "--preview-messages", type=int, default=200_000,
        help="messages in the export `twin preview` is timed on as a whole process",
    )
    parser.add_argument(
        "--other-messages", type=int, default=200_000,
        help="messages per synthetic export of the newer sources (0 skips them)",
    )
    parser.add_argument(
        "--only-others", action="store_true", help="measure only the newer sources"
    )
    parser.add_argument(
        "--import-repeats", type=int, default=3,
        help="imports of each kind (with the worker, in one process), interleaved; the median",
    )
    parser.add_argument(
        "--only-import", action="store_true", help="measure only the WhatsApp parse and import"
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
    small = OUT / "WhatsApp Chat with Joana Lima.txt"
    telegram = OUT / "result.json"
    print(f"generating {args.messages:,} + {args.preview_messages:,} WhatsApp messages…")
    write_whatsapp(whatsapp, args.messages)
    write_whatsapp(small, args.preview_messages)
    print(f"  {whatsapp.stat().st_size / 1e6:.0f} MB and {small.stat().st_size / 1e6:.0f} MB\n")
    figures: dict[str, float] = {"load_before": round(os.getloadavg()[0], 2)}

    ours = report("twin preview-parse (WhatsApp)", run_step("twin-parse", whatsapp))
    figures["parse_msgs_per_s"] = round(ours)
    if not args.skip_whatstk and not args.only_import:
        theirs = report("whatstk parse, format detected", run_step("whatstk-parse", whatsapp))
        print(f"{'':<34} ratio twin/whatstk: {ours / theirs:.1f}x (target >= 5x)")
        given = report("whatstk parse, format given", run_step("whatstk-parse-hformat", whatsapp))
        print(f"{'':<34} ratio twin/whatstk: {ours / given:.1f}x (twin detects its format)")
        figures["parse_ratio_detected"] = round(ours / theirs, 2)
        figures["parse_ratio_given"] = round(ours / given, 2)
    # Interleaved, so that both ways see the same load; the median of each.
    runs: dict[str, list[dict[str, float]]] = {"twin-import": [], "twin-import-here": []}
    for _ in range(args.import_repeats):
        for step, done in runs.items():
            done.append(run_step(step, whatsapp))
    imported, here = (
        sorted(done, key=lambda run: run["seconds"])[len(done) // 2] for done in runs.values()
    )
    report("twin import (WhatsApp)", imported)
    print(f"{'':<34} {args.messages:,}-message import target: < 12 s for 1 M (median of "
          f"{args.import_repeats}: {seconds_of(runs['twin-import'])} s)")
    print(f"{'':<34} CPU: {imported['cpu_seconds']:.2f} s storing, "
          f"{imported['worker_cpu_seconds']:.2f} s in the parsing worker "
          f"(peak {imported['worker_peak_mb']:.0f} MB)")
    report("  all in one process", here)
    print(f"{'':<34} CPU: {here['cpu_seconds']:.2f} s (median of {args.import_repeats}: "
          f"{seconds_of(runs['twin-import-here'])} s)")
    figures["import_messages"] = imported["messages"]
    figures["import_s"] = round(imported["seconds"], 2)
    figures["import_cpu_s"] = round(imported["cpu_seconds"], 2)
    figures["import_worker_cpu_s"] = round(imported["worker_cpu_seconds"], 2)
    figures["import_peak_mb"] = round(imported["peak_mb"])
    figures["import_worker_peak_mb"] = round(imported["worker_peak_mb"])
    figures["import_one_process_s"] = round(here["seconds"], 2)
    if args.only_import:
        figures["load_after"] = round(os.getloadavg()[0], 2)
        summary(figures)
        return
    print(f"\nwhole processes on {args.preview_messages:,} messages (best of 3; wall / CPU s):")
    whole = {"twin preview": whole_process(twin_preview_command(small))}
    figures["preview_wall_s"], figures["preview_cpu_s"] = (
        round(value, 3) for value in whole["twin preview"]
    )
    if not args.skip_whatstk:
        for label, step in (
            ("whatstk, format detected", "whatstk-parse"),
            ("whatstk, format given", "whatstk-parse-hformat"),
        ):
            command = [sys.executable, __file__, "--measure", step, str(small)]
            whole[label] = whole_process(command)
        for key in ("detected", "given"):
            wall, cpu = whole[f"whatstk, format {key}"]
            figures[f"preview_ratio_{key}_wall"] = round(wall / figures["preview_wall_s"], 2)
            figures[f"preview_ratio_{key}_cpu"] = round(cpu / figures["preview_cpu_s"], 2)
    for label, (wall, cpu) in whole.items():
        ratio = ""
        if label != "twin preview":
            ratio = (
                f"   twin is {wall / whole['twin preview'][0]:.1f}x (wall), "
                f"{cpu / whole['twin preview'][1]:.1f}x (CPU)"
            )
        print(f"{label:<34} {wall:>8.2f} s {cpu:>8.2f} s CPU{ratio}")
    print(f"{'':<34} target: twin preview >= 3x whatstk")

    if args.telegram_mb > 0:
        telegram_count = write_telegram(telegram, args.telegram_mb)
        print(f"\n{telegram.stat().st_size / 1e6:.0f} MB Telegram ({telegram_count:,} messages)")
        report("twin preview-parse (Telegram)", run_step("twin-parse", telegram))
        big = run_step("twin-import", telegram)
        report("twin import (Telegram)", big)
        print(f"{'':<34} peak memory target for a 1 GB export: < 400 MB")
        figures["telegram_import_s"] = round(big["seconds"], 1)
        figures["telegram_peak_mb"] = round(big["peak_mb"])
    others(args.other_messages)
    figures["load_after"] = round(os.getloadavg()[0], 2)
    summary(figures)


def twin_preview_command(path: Path) -> list[str]:
    """`twin preview PATH` as a person runs it: the installed script, else ``python -m twin``."""
    script = Path(sys.executable).with_name("twin")
    return [str(script), "preview", str(path)] if script.exists() else [
        sys.executable, "-m", "twin", "preview", str(path)
    ]


def whole_process(command: list[str], runs: int = 3) -> tuple[float, float]:
    """The best wall-clock and CPU seconds (user + system) of `command`, stdout to a file."""
    best_wall = best_cpu = float("inf")
    env = {**os.environ, "TWIN_KDF": "fast"}
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        with (OUT / "preview.jsonl").open("wb") as out:
            subprocess.run(command, check=True, stdout=out, env=env)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def summary(figures: dict[str, float]) -> None:
    """The headline figures as a table against their targets, then as one JSON line."""
    rows = [
        ("import of WhatsApp messages", f"{figures['import_messages']:,.0f} in "
         f"{figures['import_s']} s ({figures['import_cpu_s']} + "
         f"{figures['import_worker_cpu_s']} s CPU)", "< 12 s for 1 M"),
        ("  all in one process", f"{figures['import_one_process_s']} s", ""),
    ]
    if "preview_wall_s" in figures:
        rows.append(("twin preview whole process", f"{figures['preview_wall_s']:.2f} s wall, "
                     f"{figures['preview_cpu_s']:.2f} s CPU", ""))
    for key in ("detected", "given"):
        if f"preview_ratio_{key}_wall" in figures:
            rows.append((
                f"  vs whatstk, format {key}",
                f"{figures[f'preview_ratio_{key}_wall']}x wall, "
                f"{figures[f'preview_ratio_{key}_cpu']}x CPU",
                ">= 3x",
            ))
    print(f"\n| {'what':<30} | {'measured':<40} | target |\n| --- | --- | --- |")
    for what, measured, target in rows:
        print(f"| {what:<30} | {measured:<40} | {target} |")
    print(f"load average (1 min) before {figures['load_before']}, after {figures['load_after']}")
    print(json.dumps({"bench": "import", **figures}))


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

"""Build a dataset from a synthetic vault of 1,000,000 messages; print time and peak memory.

Target (issue 3): under 30 s and under 1 GB on a 2-core machine. The vault is filled by direct
inserts (the importers have their own benchmarks); the build runs in a child process so its peak
memory (maxrss) is its own.

    python bench/dataset.py [--messages N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

WORDS = [
    "hey",
    "yes",
    "no",
    "maybe",
    "tomorrow",
    "tonight",
    "lunch",
    "dinner",
    "work",
    "home",
    "late",
    "sorry",
    "thanks",
    "great",
    "cool",
    "love",
    "that",
    "idea",
    "send",
    "me",
    "the",
    "photo",
    "call",
    "you",
    "later",
    "running",
    "train",
    "bus",
    "coffee",
    "weekend",
    "plans",
    "movie",
    "book",
    "game",
    "match",
    "won",
    "lost",
    "funny",
    "really",
    "what",
    "why",
    "when",
    "where",
    "how",
    "good",
    "bad",
    "tired",
]
EXTRAS = (
    "mail me at someone{n}@example.com",
    "my number is +44 20 7946 {n:04d}",
    "look https://example.com/page/{n}",
    "ask {name} about it",
    "",
)


def fill(home: Path, messages: int, seed: int = 7) -> None:
    """Create a vault in `home` holding `messages` synthetic messages in 500 conversations."""
    from twin.home import Home
    from twin.vault.key import Secret
    from twin.vault.vault import Vault

    rng = random.Random(seed)
    vault = Vault.create(Home(home), Secret(passphrase="bench"))
    db = vault.db
    people = [f"Friend{n} Surname{n}" for n in range(200)]
    with vault.transaction():
        db.execute(
            "INSERT INTO imports (id, source, importer_version, file_name, file_sha256, "
            "imported_at, rules) VALUES (1, 'whatsapp', '1', 'bench.txt', 'x', "
            "'2024-01-01T00:00:00', '{}')"
        )
        db.execute("INSERT INTO people (id, name, is_me) VALUES (1, 'Sam', 1)")
        db.executemany(
            "INSERT INTO people (id, name) VALUES (?, ?)",
            [(n + 2, name) for n, name in enumerate(people)],
        )
        db.executemany(
            "INSERT INTO aliases (person_id, source, alias) VALUES (?, 'whatsapp', ?)",
            [(n + 1, name) for n, name in enumerate(["Sam", *people])],
        )
        conversations = 500
        db.executemany(
            "INSERT INTO conversations (id, source, external_id, title, is_group) "
            "VALUES (?, 'whatsapp', ?, ?, ?)",
            [
                (c + 1, f"chat{c}", people[c % 200] if c < 400 else f"Group {c}", int(c >= 400))
                for c in range(conversations)
            ],
        )
        per = messages // conversations
        rows = []
        number = 0
        for c in range(conversations):
            moment = datetime(2022, 1, 1) + timedelta(minutes=rng.randrange(60 * 24 * 30))
            members = [c % 200 + 2] if c < 400 else rng.sample(range(2, 202), 4)
            for _ in range(per):
                number += 1
                moment += timedelta(
                    seconds=rng.choice((20, 60, 90, 300, 600, 1800, 4 * 3600, 30 * 3600))
                )
                sender = 1 if rng.random() < 0.45 else rng.choice(members)
                kind = "text" if rng.random() > 0.03 else "media"
                text = " ".join(rng.choices(WORDS, k=rng.randint(1, 14)))
                if rng.random() < 0.08:
                    extra = rng.choice(EXTRAS).format(n=number % 10000, name=rng.choice(people))
                    text = f"{text} {extra}"
                stamp = moment.isoformat()
                rows.append((f"u{number}", c + 1, sender, stamp, stamp, kind, text, 1))
                if len(rows) >= 50_000:
                    db.executemany(
                        "INSERT INTO messages (uid, conversation_id, sender_id, sent_at, sort_key, "
                        "kind, text, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        rows,
                    )
                    rows = []
        if rows:
            db.executemany(
                "INSERT INTO messages (uid, conversation_id, sender_id, sent_at, sort_key, kind, "
                "text, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    vault.checkpoint()
    vault.close()


def build(home: Path) -> None:
    """The child process: build once and print seconds and peak memory."""
    from twin.dataset.build import build_dataset
    from twin.dataset.options import BuildOptions
    from twin.home import Home
    from twin.vault.key import Secret
    from twin.vault.vault import Vault

    started = time.perf_counter()
    with Vault.open(Home(home), Secret(passphrase="bench")) as vault:
        built = build_dataset(vault, BuildOptions(name="bench"))
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    stats = built.stats
    print(
        f"build: {seconds:.1f} s wall ({cpu:.1f} s CPU), peak memory {peak:.0f} MiB, "
        f"{stats['selection']['messages_read']:,} messages -> "
        f"{stats['examples']['train']:,} train + {stats['examples']['val']:,} val examples, "
        f"{sum(stats['redactions']['placeholders'].values()):,} distinct placeholders"
    )
    print(f"ratio to target: time {seconds / 30:.2f} of 30 s, memory {peak / 1024:.2f} of 1 GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="Make the vault here and keep it.")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("TWIN_KDF", "fast")
    if args.build:
        build(args.build)
        return
    with tempfile.TemporaryDirectory() as scratch:
        home = args.keep or Path(scratch) / "home"
        if not (home / "vault.db").exists():
            started = time.perf_counter()
            fill(home, args.messages)
            print(
                f"vault: {args.messages:,} messages made in {time.perf_counter() - started:.1f} s"
            )
        subprocess.run([sys.executable, __file__, "--build", str(home)], check=True)


if __name__ == "__main__":
    main()

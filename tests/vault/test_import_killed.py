"""An import killed at any moment leaves the vault as it was or with the whole file, never half.

The import writes its rows in shaped batches and indexes them for search at the end, all in one
transaction; this kills `twin import` at random moments and checks what is left each time.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import Result

from twin.home import Home

Twin = Callable[..., Result]
KILLS = 8
MESSAGES = 60_000


def _big_export(path: Path) -> Path:
    moment = datetime(2023, 1, 1, 8, 0)
    lines = []
    for number in range(MESSAGES):
        moment += timedelta(minutes=1 + number % 7)
        who = ("Sam", "Maya")[number % 2]
        lines.append(f"{moment:%d/%m/%Y, %H:%M} - {who}: message number {number}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _twin(home: Home, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TWIN_HOME": str(home.path), "TWIN_PASSPHRASE": "test passphrase"}
    return subprocess.Popen(
        [sys.executable, "-m", "twin", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_killed_import_leaves_nothing_or_everything(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    export = _big_export(tmp_path / "WhatsApp Chat with Maya.txt")
    args = ("import", str(export), "--me", "Sam")
    spare = Home(tmp_path / "spare")  # a second vault, to time one whole import
    assert _twin(spare, "init").wait(timeout=120) == 0
    began = time.monotonic()
    assert _twin(spare, *args).wait(timeout=300) == 0
    took = time.monotonic() - began
    rng = random.Random(5)
    for _ in range(KILLS):
        process = _twin(vault_home, *args)
        try:
            process.wait(timeout=rng.uniform(0.2 * took, took))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        stats = json.loads(twin("stats", "--json").output)
        assert stats["messages"] in (0, MESSAGES)
        assert stats["my_messages"] in (0, MESSAGES // 2)
        assert "All is well" in twin("check").output

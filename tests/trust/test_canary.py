"""The end-to-end canary: after the whole pipeline, no private word lies anywhere in the clear.

Distinctive words go into messages, a note (its text and its title) and the journal; then
import, notes, journal, dataset build, a few training steps on the tiny model, eval (whose
report names topics by note title), ask, serve with one request, forget. Every byte of every
file under the twin home and the temporary folder the run used is then searched for each word:
as UTF-8, UTF-16 (both byte orders) and JSON's \\u escapes, and for adapter weights in the
clear. Then explicit exports (dataset, report, adapter, vault) must contain them, so the search
can fail.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from twin.home import Home

Twin = Callable[..., Result]

CANARIES = ["zorblaxian", "quimbletonia", "fenwhistlery", "glöckspürlein", "snorkwallop"]
"""In a message, in a note, in the journal, one with letters JSON escapes, a note's title."""
ADAPTER_MARKS = (b"lora_A", b"peft_type")
"""Bytes of a LoRA adapter in the clear: its weight names and its PEFT config."""


def forms(word: str) -> list[bytes]:
    """Every way `word` may be written into a file in the clear."""
    escaped = "".join(ch if ord(ch) < 128 else f"\\u{ord(ch):04x}" for ch in word)
    found = {
        word.encode("utf-8"),
        word.encode("utf-16-le"),
        word.encode("utf-16-be"),
        escaped.encode(),
        escaped.upper().replace("\\U", "\\u").encode(),
        json.dumps(word).strip('"').encode(),
    }
    for cased in (word.capitalize(), word.upper()):
        found |= {cased.encode("utf-8"), cased.encode("utf-16-le")}
    return sorted(found)


def leaks(folders: list[Path]) -> list[str]:
    """Where any canary lies in the clear under `folders`."""
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            data = path.read_bytes()
            for word in CANARIES:
                if any(form in data for form in forms(word)):
                    found.append(f"{path}: {word}")
            marks = [mark for mark in ADAPTER_MARKS if mark in data]
            found += [f"{path}: adapter weights ({mark!r})" for mark in marks]
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_inputs(folder: Path) -> tuple[Path, Path]:
    chat = folder / "WhatsApp Chat with Ann.txt"
    lines = []
    for day in range(1, 13):
        lines += [
            f"1/{day}/24, 9:00 AM - Ann: did the zorblaxian parcel come today?",
            f"1/{day}/24, 9:01 AM - Sam: yes, the zorblaxian thing is on my desk {day}",
            f"1/{day}/24, 9:03 AM - Ann: and the glöckspürlein for the party?",
            f"1/{day}/24, 9:04 AM - Sam: glöckspürlein sorted, see you at the station",
        ]
    chat.write_text("\n".join(lines) + "\n", encoding="utf-8")
    notes = folder / "notes"
    notes.mkdir()
    (notes / "garden.md").write_text(
        "# Snorkwallop\n\nThe quimbletonia by the shed needs water every Sunday.\n\n"
        "- Watering: every Sunday morning\n- Shed key: under the blue pot\n",
        encoding="utf-8",
    )
    return chat, notes


def test_nothing_private_at_rest_in_the_clear(
    twin: Twin,
    vault_home: Home,
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    chat, notes = write_inputs(inputs)

    twin("import", str(chat), "--me", "Sam")
    twin("notes", "import", str(notes))
    twin("journal", "add", "Wrote three pages about fenwhistlery before breakfast.")
    twin("dataset", "build", "--name", "mine", "--val-fraction", "0.2")
    args = ["--base", str(tiny_model), "--max-steps", "3", "--threads", "1", "--seq-len", "96"]
    twin("train", "--dataset", "mine", *args)
    evaluated = twin("eval", "--quick", "--replies", "2", "--questions", "2").output
    assert "Report (sealed)" in evaluated, evaluated
    twin("ask", "what came today?", "--max-tokens", "4")

    port = free_port()
    env = {**os.environ, "TWIN_HOME": str(vault_home.path), "TMPDIR": str(scratch)}
    server = subprocess.Popen(
        [sys.executable, "-m", "twin", "serve", "--port", str(port), "--max-tokens", "4"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        body = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            body,
            {"Content-Type": "application/json"},
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    assert response.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    found = leaks([vault_home.path, scratch])
    assert found == [], "\n".join(found)
    names = {path.name for path in vault_home.path.rglob("*")}
    assert {"train.jsonl.sealed", "adapter.safetensors.sealed", "run.json"} <= names
    assert any(name.startswith("eval-") and name.endswith(".html.sealed") for name in names)

    exported = tmp_path / "exported"
    assert "NOT encrypted" in twin("dataset", "export", "mine", str(exported)).output
    assert leaks([exported]), "the search must find the words where they are in the clear"
    report = tmp_path / "report" / "eval.html"
    assert "NOT encrypted" in twin("report", "--out", str(report)).output
    assert any("snorkwallop" in line for line in leaks([report.parent])), report.read_text()
    adapter = tmp_path / "adapter"
    out = twin("model", "export", "--format", "peft", "--out", str(adapter)).output
    assert "NOT encrypted" in out and any("adapter weights" in line for line in leaks([adapter]))

    forgotten = twin("forget", "--contact", "Ann", "--yes").output
    assert "dataset mine" in forgotten
    found = leaks([vault_home.path, scratch])
    assert found == [], "\n".join(found)
    everything = tmp_path / "everything.jsonl"
    assert "NOT encrypted" in twin("export", str(everything)).output
    text = everything.read_text(encoding="utf-8")
    assert "quimbletonia" in text and "fenwhistlery" in text, text[-3000:]

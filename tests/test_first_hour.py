"""The first hour: each rough edge a newcomer hit (issue 16), reproduced and smoothed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.vault.helpers import ANN, BO
from twin.home import Home
from twin.train.presets import TrainConfig
from twin.train.runs import new_run
from twin.words import plain_rows, plural, plural_of

Twin = Callable[..., Result]


# 9. Words: plurals right everywhere, tables whole in a pipe.


@pytest.mark.parametrize(
    ("count", "noun", "said"),
    [
        (1, "conversation", "1 conversation"),
        (2, "conversation", "2 conversations"),
        (0, "note", "0 notes"),
        (1, "person", "1 person"),
        (3, "person", "3 people"),
        (2, "alias", "2 aliases"),
        (1, "alias", "1 alias"),
        (2, "journal entry", "2 journal entries"),
        (2, "day", "2 days"),
        (2, "import record", "2 import records"),
        (1_234, "message", "1,234 messages"),
    ],
)
def test_plural_says_one_thing_and_many_things(count: int, noun: str, said: str) -> None:
    assert plural(count, noun) == said


def test_plural_of_nouns_the_vault_counts() -> None:
    assert [plural_of(noun) for noun in ("match", "box", "summary", "key")] == [
        "matches",
        "boxes",
        "summaries",
        "keys",
    ]


def test_export_counts_read_as_english(twin: Twin, vault_home: Home, tmp_path: Path) -> None:
    twin("import", str(BO), "--me", "Sam")
    said = twin("export", str(tmp_path / "all.jsonl")).stdout
    assert "1 import, 0 rules, 2 people, 3 aliases, 1 conversation, 3 messages, 0 notes" in said


def test_forget_counts_read_as_english(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), str(BO), "--me", "Sam")
    said = twin("forget", "--contact", "Bo", "--yes").stdout
    assert "1 conversation," in said and "1 person " in said
    assert "1 conversations" not in said and "persons" not in said


def test_sources_in_a_pipe_are_whole_tab_separated_lines(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    lines = twin("sources").stdout.splitlines()  # CliRunner's stdout is not a terminal
    assert lines[0].split("\t")[:4] == ["#", "source", "imported", "file"]
    row = lines[1].split("\t")
    assert row[1] == "whatsapp" and row[3] == ANN.name  # the full name, not "WhatsApp Ch…"
    assert "…" not in "".join(lines) and "─" not in "".join(lines)


def test_runs_list_in_a_pipe_is_whole_tab_separated_lines(twin: Twin, vault_home: Home) -> None:
    run = new_run(
        vault_home,
        base="default",
        base_dir="",
        dataset="a-dataset-with-a-long-name",
        dataset_hash="",
        config=TrainConfig(),
    )
    run.status = "completed"
    run.save()
    lines = twin("runs", "list").stdout.splitlines()
    assert lines[0].split("\t")[:4] == ["id", "base", "dataset", "status"]
    row = lines[1].split("\t")
    assert row[:4] == [run.id, "default", "a-dataset-with-a-long-name", "completed"]


def test_plain_rows_keep_a_cell_on_its_line() -> None:
    assert plain_rows(["a", "b"], [["one\ttwo", "x\ny"]]) == "a\tb\none two\tx y"


# 10. `twin dataset show` without a name shows the newest dataset.


def test_dataset_show_without_a_name_shows_the_newest(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("dataset", "build", "--name", "older")
    twin("dataset", "build", "--name", "newer")
    newest = json.loads(twin("dataset", "show", "--json").stdout)
    assert newest == json.loads(twin("dataset", "show", "newer", "--json").stdout)
    assert twin("dataset", "show").stdout == twin("dataset", "show", "newer").stdout


def test_dataset_show_without_any_dataset_says_how_to_build_one(
    twin: Twin, vault_home: Home
) -> None:
    result = twin("dataset", "show", ok=False)
    assert result.exit_code == 1 and "twin dataset build" in result.output


# 8. Export doesn't overwrite silently.


def test_export_onto_an_existing_file_needs_force(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    twin("import", str(BO), "--me", "Sam")
    target = tmp_path / "mine.jsonl"
    target.write_text("my own notes, not an export\n")
    refused = twin("export", str(target), ok=False)
    assert refused.exit_code == 1 and "--force" in refused.output
    assert target.read_text() == "my own notes, not an export\n"
    twin("export", str(target), "--force")
    assert '"type": "message"' in target.read_text()


def test_export_onto_a_new_file_just_writes(twin: Twin, vault_home: Home, tmp_path: Path) -> None:
    twin("import", str(BO), "--me", "Sam")
    twin("export", str(tmp_path / "new.jsonl"))
    assert (tmp_path / "new.jsonl").is_file()


# 12. Honest run status.


def test_a_run_stopped_by_the_time_limit_is_listed_as_such(twin: Twin, vault_home: Home) -> None:
    run = new_run(
        vault_home, base="default", base_dir="", dataset="d", dataset_hash="", config=TrainConfig()
    )
    # What `twin.train.training` records when the time limit stops a run.
    run.status, run.step, run.total_steps = "completed", 53, 132
    run.message = (
        "stopped at the time limit of 5 minutes after 53 of 132 steps; "
        "a longer --max-minutes trains further"
    )
    run.save()
    listed = twin("runs", "list").stdout
    assert "stopped at the time limit (53/132 steps)" in listed
    assert "\tcompleted\t" not in listed
    [line] = twin("runs", "list", "--json").stdout.splitlines()
    assert json.loads(line)["shown_status"] == "stopped at the time limit (53/132 steps)"
    assert "--max-minutes" in json.loads(line)["message"]


def test_a_run_that_finished_every_step_is_completed(twin: Twin, vault_home: Home) -> None:
    run = new_run(
        vault_home, base="default", base_dir="", dataset="d", dataset_hash="", config=TrainConfig()
    )
    run.status, run.step, run.total_steps = "completed", 132, 132
    run.save()
    assert "\tcompleted\t" in twin("runs", "list").stdout


# 6. Re-importing the same file shows one import.


def test_reimporting_a_file_shows_one_import(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("import", str(ANN))
    twin("import", str(ANN))
    twin("import", str(BO))
    lines = twin("sources").stdout.splitlines()[1:]
    assert [line.split("\t")[3] for line in lines] == [ANN.name, BO.name]
    header = twin("sources").stdout.splitlines()[0].split("\t")
    ann = dict(zip(header, lines[0].split("\t"), strict=True))
    assert ann["times"] == "3" and ann["new"] == "7"
    assert len(json.loads(twin("sources", "--json").stdout)) == 2
    assert len(json.loads(twin("sources", "--json", "--all").stdout)) == 4


# 7. Forget says what goes before it asks; --dry-run changes nothing.


def _stats(twin: Twin) -> dict[str, int]:
    data = json.loads(twin("stats", "--json").stdout)
    return {key: data[key] for key in ("messages", "conversations", "notes", "people", "imports")}


def test_forget_dry_run_counts_what_forget_then_removes(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), str(BO), "--me", "Sam")
    twin("journal", "add", "--date", "2024-01-10", "Bought a cello bow in Porto.")
    twin("dataset", "build", "--name", "mine")
    values = {"base": "default", "base_dir": "", "dataset": "mine", "dataset_hash": ""}
    from_ann = new_run(vault_home, conversation_ids=[1], config=TrainConfig(), **values)
    before = _stats(twin)
    said = twin("forget", "--before", "2024-02-01", "--dry-run").stdout
    assert _stats(twin) == before
    assert (vault_home.datasets / "mine").is_dir() and from_ann.folder.is_dir()
    assert "7 messages (" in said and "1 conversation," in said
    assert "1 note or journal entry," in said
    assert "1 dataset (mine)" in said and f"1 training run ({from_ann.id})" in said
    assert "Nothing was changed" in said
    done = twin("forget", "--before", "2024-02-01", "--yes").stdout
    assert "Forgot 7 messages, 1 note, 1 conversation," in done
    assert not (vault_home.datasets / "mine").exists() and not from_ann.folder.exists()


def test_forget_counts_yours_among_the_messages(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), str(BO), "--me", "Sam")
    data = json.loads(twin("stats", "--json").stdout)
    said = twin("forget", "--source", "whatsapp", "--dry-run").stdout
    assert f"{data['messages']} messages ({data['my_messages']} of them yours)" in said
    assert "2 conversations" in said


def test_forget_shows_the_counts_before_refusing_without_yes(
    twin: Twin, vault_home: Home
) -> None:
    twin("import", str(BO), "--me", "Sam")
    before = _stats(twin)
    result = twin("forget", "--contact", "Bo", ok=False)
    assert result.exit_code == 1 and "--yes" in result.output
    assert result.output.index("This forgets, for good: ") < result.output.index("--yes")
    assert _stats(twin) == before


@pytest.mark.parametrize(
    "criteria",
    [
        ("--contact", "Bo"),
        ("--contact", "Ann"),
        ("--conversation", "Ann"),
        ("--import", "2"),
        ("--before", "2024-01-20"),
        ("--source", "whatsapp"),
    ],
)
def test_forget_preview_matches_forget(
    twin: Twin, vault_home: Home, criteria: tuple[str, str]
) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("import", str(BO))
    said = twin("forget", *criteria, "--dry-run").stdout
    messages = int(said.split(": ", 1)[1].split(" message")[0])
    conversations = int(said.split("), ", 1)[1].split(" conversation")[0])
    done = twin("forget", *criteria, "--yes").stdout
    assert f"\nForgot {plural(messages, 'message')}, " in done
    assert f", {plural(conversations, 'conversation')}, " in done


# 3. Who am I? Senders listed with counts, the closest suggested, a stranger's name refused.


def _export_from_alex_moreno(tmp_path: Path) -> Path:
    path = tmp_path / "WhatsApp Chat with Jo.txt"
    path.write_text(
        "2/13/24, 10:00 AM - Jo: are you coming tonight?\n"
        "2/13/24, 10:03 AM - Alex Moreno: yes, at eight\n"
        "2/13/24, 10:04 AM - Alex Moreno: I'll bring the bread\n",
        encoding="utf-8",
    )
    return path


def test_import_with_a_partial_me_lists_senders_and_suggests(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    # Without --force the name is refused (tests/test_me_name.py); with it, kept and questioned.
    result = twin("import", str(_export_from_alex_moreno(tmp_path)), "--me", "Alex", "--force")
    assert "No sender in this export is named 'Alex'" in result.output
    assert "Senders found: Alex Moreno (2 messages), Jo (1 message)" in result.output
    assert "Did you mean 'Alex Moreno'? `twin me 'Alex Moreno'`" in result.output


def test_me_refuses_a_name_no_sender_has(twin: Twin, vault_home: Home) -> None:
    twin("import", str(BO))
    refused = twin("me", "Samm", ok=False)
    assert refused.exit_code == 1 and "no sender is named 'Samm'" in refused.output
    assert "Senders found: Bo (2 messages), Sam (1 message)" in refused.output
    assert "Did you mean 'Sam'?" in refused.output
    assert "doesn't know yet" in twin("me").output  # nothing was stored
    assert "Sam is you (1 matching sender" in twin("me", "Sam").output
    assert twin("me").output.startswith("Sam\n")


def test_me_force_takes_a_name_for_later_imports(twin: Twin, vault_home: Home) -> None:
    twin("import", str(BO))
    assert "Samuel is you (0 matching senders" in twin("me", "Samuel", "--force").output


def test_me_in_an_empty_vault_is_kept_for_later_imports(twin: Twin, vault_home: Home) -> None:
    assert "Sam is you (0 matching senders" in twin("me", "Sam").output


def test_me_without_a_name_lists_the_senders(twin: Twin, vault_home: Home) -> None:
    twin("import", str(BO), "--me", "Sam")
    assert "Senders found: Bo (2 messages), Sam (1 message)" in twin("me").stdout


@pytest.mark.parametrize(
    ("name", "closest"),
    [("Alex", "Alex Moreno"), ("alex moreno", "Alex Moreno"), ("Alexx", "Alex"), ("Zed", None)],
)
def test_closest_sender(name: str, closest: str | None) -> None:
    from twin.vault.senders import closest_sender

    names = ["Alex Moreno", "Jo"] if name != "Alexx" else ["Alex", "Jo"]
    assert closest_sender(name, names) == closest


# 2. `twin ask` and `twin recall` agree on what is recalled, or `twin recall` shows why not.


@pytest.fixture(scope="module")
def chat_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny import build_chat_model

    return build_chat_model(tmp_path_factory.mktemp("first-hour-chat-model"))


def _asked(twin: Twin, model: Path, question: str) -> list[str]:
    answer = twin("ask", question, "--model", str(model), "--json", "--max-tokens", "4")
    return [passage["passage"] for passage in json.loads(answer.stdout)["passages"]]


def _recalled(twin: Twin, question: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(twin("recall", question, "--json").stdout)
    return found


@pytest.mark.parametrize(
    "question", ["what did I make this week?", "What is my cat called?", "walnut cake"]
)
def test_ask_uses_exactly_what_recall_marks_as_used(
    twin: Twin, vault_home: Home, chat_model: Path, question: str
) -> None:
    twin("journal", "add", "Made a walnut cake for Ann's birthday.")
    twin("journal", "add", "--date", "2024-04-01", "Adopted a grey cat and named her Pixel.")
    recalled = _recalled(twin, question)
    used = [passage["passage"] for passage in recalled if passage["used_by_twin"]]
    assert _asked(twin, chat_model, question) == used
    assert all((p["why_not"] is None) == p["used_by_twin"] for p in recalled)


def test_recall_says_why_ask_leaves_this_weeks_entry_out(
    twin: Twin, vault_home: Home, chat_model: Path
) -> None:
    # What the newcomer saw: `twin recall` listed the entry first, `twin ask` recalled nothing.
    twin("journal", "add", "Made a walnut cake for Ann's birthday.")
    question = "what did I make this week?"
    [entry] = _recalled(twin, question)
    assert entry["passage"] == "Made a walnut cake for Ann's birthday."
    if not entry["used_by_twin"]:
        assert "similarity" in str(entry["why_not"])
        shown = twin("recall", question).stdout
        assert "not used by twin ask: too far from the question" in shown
        asked = twin(
            "ask", question, "--model", str(chat_model), "--show-sources", "--max-tokens", "4"
        ).stdout
        assert "No passage recalled." in asked and "the closest passage" in asked
        assert _asked(twin, chat_model, question) == []
    else:
        assert _asked(twin, chat_model, question) == [entry["passage"]]


# 1. Asking before there is anything to ask about.


def test_ask_on_an_empty_vault_says_so_first_and_still_answers(
    twin: Twin, vault_home: Home, chat_model: Path
) -> None:
    result = twin("ask", "how was my week?", "--model", str(chat_model), "--max-tokens", "4")
    said = result.output
    assert said.startswith("Your vault is empty")
    for step in ("twin import", "twin notes import", "twin journal add"):
        assert step in said
    assert f"speaks from the model ({chat_model.name}) alone" in said
    assert result.stdout.strip()  # the reply itself, on stdout for scripts
    assert "Your vault is empty" not in result.stdout


def test_ask_with_something_in_the_vault_says_nothing_of_emptiness(
    twin: Twin, vault_home: Home, chat_model: Path
) -> None:
    twin("journal", "add", "Made a walnut cake for Ann's birthday.")
    result = twin("ask", "how was my week?", "--model", str(chat_model), "--max-tokens", "4")
    assert "vault is empty" not in result.output and "alone" not in result.output


def test_stats_and_preview_say_one_thing_in_the_singular(twin: Twin, vault_home: Home) -> None:
    twin("import", str(BO), "--me", "Sam")
    stats = twin("stats").stdout
    assert "3 messages in 1 conversation with 2 people;" in stats
    assert "0 notes and journal entries; from 1 import" in stats
    assert "1 message is yours" in stats
    preview = twin("preview", str(BO), "--stats").stdout
    assert "in 1 conversation, from 2 senders" in preview


# 5. Errors that help: say what the file looks like, which exports twin reads, no raw bytes.


def _binary(tmp_path: Path) -> Path:
    import random

    path = tmp_path / "blob.json"
    path.write_bytes(random.Random(5).randbytes(3000))
    return path


def test_a_pdf_is_named_as_a_pdf(twin: Twin, vault_home: Home, tmp_path: Path) -> None:
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    result = twin("import", str(pdf), ok=False)
    assert result.exit_code == 1
    assert "looks like a PDF document, not a chat export" in result.output
    assert "whatsapp" in result.output and "telegram" in result.output
    assert "--source" not in result.output  # forcing a PDF through an importer won't help
    assert json.loads(twin("stats", "--json").stdout)["imports"] == 0


def test_binary_data_forced_through_an_importer_prints_no_raw_bytes(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    blob = _binary(tmp_path)
    for args in (["import", str(blob), "--source", "telegram"], ["preview", str(blob)]):
        result = twin(*args, ok=False)
        assert result.exit_code == 1
        assert "looks like binary data, not a chat export" in result.output
        assert "b'" not in result.output and "\\x" not in result.output
        assert "Traceback" not in result.output


def test_a_text_file_that_is_no_export_keeps_its_own_message(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    text = tmp_path / "shopping.txt"
    text.write_text("eggs\nmilk\nbread\n", encoding="utf-8")
    result = twin("import", str(text), ok=False)
    assert result.exit_code == 1 and "not an export twin recognises" in result.output


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"\x00\x00\x00\x18ftypmp42", "an MP4 or MOV video (or HEIC image)"),
        ("Café ☕ and a chat\n".encode(), None),
    ],
)
def test_looks_like(tmp_path: Path, head: bytes, kind: str | None) -> None:
    from twin.importers.looks import looks_like

    path = tmp_path / "file"
    path.write_bytes(head)
    assert looks_like(path) == kind


def test_a_named_sources_own_message_is_kept_unless_it_echoes_bytes(tmp_path: Path) -> None:
    from twin.errors import BadInput
    from twin.importers.looks import explain_unreadable, holds_raw_bytes

    blob = _binary(tmp_path)
    own = BadInput(blob, "wrong key for this Signal database")
    assert explain_unreadable(blob, own, ["signal"], forced=True) is own
    echoed = BadInput(blob, "invalid JSON (b'lexical error \\xc3\\x8b')")
    assert "binary data" in str(explain_unreadable(blob, echoed, ["telegram"], forced=True))
    assert not holds_raw_bytes("Bob's chat") and holds_raw_bytes("b'\\x00'")


# 4. A folder of exports: every export in it imported, the other files skipped with the reason.


def test_a_folder_of_exports_imports_each_and_says_what_it_skipped(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    import shutil

    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(ANN, folder / ANN.name)
    shutil.copy(BO, folder / BO.name)
    (folder / "statement.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n")
    (folder / "shopping.txt").write_text("eggs\nmilk\n", encoding="utf-8")
    said = twin("import", str(folder), "--me", "Sam").output
    assert "a folder of 2 exports; importing each, skipping 2 files:" in said
    assert "skipped statement.pdf: a PDF document, not a chat export" in said
    assert "skipped shopping.txt: not an export twin recognises" in said
    stats = json.loads(twin("stats", "--json").stdout)
    assert (stats["conversations"], stats["imports"]) == (2, 2)


def test_a_folder_holding_one_export_is_still_read_whole(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    import shutil

    folder = tmp_path / "WhatsApp Chat with Bo"
    folder.mkdir()
    shutil.copy(BO, folder / "_chat.txt")
    (folder / "IMG-0001.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    said = twin("import", str(folder), "--me", "Sam").output
    assert "a folder of" not in said and "3 new" in said

"""Private details become consistent placeholders, every one listed in the review file."""

from __future__ import annotations

from pathlib import Path

from tests.dataset.conftest import Build, Chat
from twin.dataset.redaction import Redactor, iban_ok, luhn
from twin.dataset.store import read_review
from twin.dataset.wordlists import WordLists
from twin.home import Home
from twin.vault.key import Secret
from twin.vault.vault import Vault


def review(folder: Path) -> list[dict[str, str]]:
    """The sealed redaction review of the dataset in `folder`, opened in memory."""
    home = Home(folder.parent.parent)
    with Vault.open(home, Secret(passphrase="test passphrase")) as vault:
        return read_review(vault, folder.name)


def test_placeholders_are_consistent_across_the_dataset(imported: Vault, build: Build) -> None:
    result = build(val_fraction=0.2)
    text = str(result["train"] + result["val"])
    for secret in ("Maya", "Inês", "Tom", "maya.cohen@example.com", "7946", "GB82"):
        assert secret not in text
    rows = review(result["folder"])
    placeholders: dict[str, set[str]] = {}
    for row in rows:
        placeholders.setdefault(row["original"].split()[0].casefold(), set()).add(
            row["placeholder"]
        )
    # Maya is one placeholder as speaker, in the title, and inside messages.
    assert len(placeholders["maya"]) == 1
    maya = next(iter(placeholders["maya"]))
    assert f"chatting with {maya} on WhatsApp" in text
    assert f"Talk soon {maya}" in text
    kinds = {row["kind"] for row in rows}
    assert {"PERSON", "EMAIL", "PHONE", "IBAN"} <= kinds
    assert all(row["where"] for row in rows)


def test_every_replacement_is_listed_in_the_review(chat: Chat, build: Build) -> None:
    first = chat.say("Maya", "write to ann@example.org or call +44 20 7946 0958")
    chat.say("Sam", "card 4111 1111 1111 1111 is mine, ann@example.org knows")
    result = build()
    rows = review(result["folder"])
    by_original = {(row["original"], row["where"]): row["placeholder"] for row in rows}
    assert by_original[("ann@example.org", f"message {first}")] == "<EMAIL_1>"
    assert ("+44 20 7946 0958", f"message {first}") in by_original
    assert any(row["kind"] == "CARD" and row["original"] == "4111 1111 1111 1111" for row in rows)
    target = result["train"][0]["messages"][-1]["content"]
    assert target == "card <CARD_1> is mine, <EMAIL_1> knows"


def test_users_own_name_is_never_redacted(chat: Chat, build: Build) -> None:
    chat.say("Maya", "Sam, you there?")
    chat.say("Sam", "Sam is here")
    example = build()["train"][0]["messages"]
    assert example[0]["content"].startswith("You are Sam,")
    assert example[-1]["content"] == "Sam is here"
    assert example[1]["content"] == "Sam, you there?"


def test_never_and_always_lists(chat: Chat, build: Build, tmp_home: Home) -> None:
    chat.say("May", "lunch in May at Riverside Cafe?")
    chat.say("Sam", "yes, Riverside Cafe in May sounds good")
    lists = WordLists()
    lists.allow("May")
    lists.deny("Riverside Cafe")
    lists.save(tmp_home)
    target = build()["train"][0]["messages"][-1]["content"]
    assert target == "yes, <PRIVATE_1> in May sounds good"
    lists.drop("May")
    lists.save(tmp_home)
    target = build()["train"][0]["messages"][-1]["content"]
    assert target == "yes, <PRIVATE_1> in <PERSON_1> sounds good"


def test_no_redact_keeps_text_as_written(chat: Chat, build: Build) -> None:
    chat.say("Maya", "mail maya@example.com")
    chat.say("Sam", "ok Maya")
    result = build(redact=False)
    assert result["train"][0]["messages"][-1]["content"] == "ok Maya"
    assert review(result["folder"]) == []
    assert result["stats"]["redactions"]["on"] is False


def test_redactor_details() -> None:
    redactor = Redactor({2: ["Maya Cohen", "Mum ❤️"], 3: ["Ann (work)"]}, mine=["Sam"])
    assert redactor.redact("Maya Cohen and Mum met Ann at work", "x") == (
        "<PERSON_1> and <PERSON_1> met <PERSON_2> at work"
    )
    assert redactor.redact("see www.example.com/a.", "x") == "see <URL_1>."
    assert redactor.redact("IBAN DE89 3704 0044 0532 0130 00 ok", "x") == "IBAN <IBAN_1> ok"
    assert redactor.redact("order 1234567812345678", "x") == "order 1234567812345678"
    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB83WEST12345698765432")


def test_redaction_cli_lists(twin, vault_home: Home) -> None:  # type: ignore[no-untyped-def]
    twin("dataset", "redaction", "allow", "Will")
    twin("dataset", "redaction", "deny", "Acme Corp")
    lists = WordLists.load(vault_home)
    assert lists.never == ["Will"] and lists.always == ["Acme Corp"]
    assert (vault_home.path / "redaction.json").stat().st_mode & 0o777 == 0o600
    twin("dataset", "redaction", "drop", "Will")
    assert WordLists.load(vault_home).never == []
    assert "on neither list" in twin("dataset", "redaction", "drop", "Will", ok=False).output

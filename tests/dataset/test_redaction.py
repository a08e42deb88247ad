"""Private details become consistent placeholders, every one listed in the review file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dataset.conftest import Build, Chat, opened
from twin.dataset.redaction import Redactor, iban_ok, luhn, phone_region
from twin.dataset.store import read_review
from twin.dataset.wordlists import WordLists
from twin.errors import TwinError
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
        "<PERSON_1> and Mum met <PERSON_2> at work"
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


PHONES = [
    # (region of the writer, as written, digits that must not survive)
    ("GB", "+44 7700 900461", "900461"),  # Ofcom's range for drama: not "valid", still redacted
    ("GB", "07700 900461", "900461"),
    ("GB", "07911 123456", "123456"),
    ("GB", "0044 7700 900461", "900461"),
    ("US", "(555) 123-4567", "4567"),
    ("US", "555.123.4567", "4567"),
    ("US", "+1 202-555-0143", "0143"),  # 555-01xx: reserved for fiction
    ("FR", "06 12 34 56 78", "56 78"),
    ("FR", "+33 6 12 34 56 78", "56 78"),
    ("DE", "+49 30 901820", "901820"),
    ("DE", "030 901820", "901820"),
    ("BR", "+55 11 91234-5678", "5678"),
    ("BR", "(11) 91234-5678", "5678"),
    ("IN", "+91 98765 43210", "43210"),
    ("AU", "0491 570 156", "570 156"),  # ACMA's fictional mobile range
    ("AU", "+61 491 570 006", "570 006"),
    ("JP", "090-1234-5678", "5678"),
    ("ES", "+34 612 34 56 78", "56 78"),
    ("IT", "+39 312 345 6789", "6789"),
    ("NL", "06-12345678", "12345678"),
    ("US", "+44 20 7946 0958", "0958"),  # a foreign number in an American's chat
    ("US", "0044 20 7946 0958", "0958"),
]


@pytest.mark.parametrize(("region", "written", "tail"), PHONES)
def test_phone_numbers_of_ten_countries_are_redacted(region: str, written: str, tail: str) -> None:
    redactor = Redactor({}, region=region)
    text = redactor.redact(f"call me on {written}, thanks", "x")
    assert tail not in text and text == "call me on <PHONE_1>, thanks"
    assert redactor.pending[0].kind == "PHONE"


def test_dates_times_and_amounts_are_not_phone_numbers() -> None:
    redactor = Redactor({}, region="GB")
    for text in ("on 2024-03-01 at 10:30", "it cost 1,250.00", "order 12345", "on 01.02.2024"):
        assert redactor.redact(text, "x") == text


def test_one_number_however_written_is_one_placeholder() -> None:
    redactor = Redactor({}, region="GB")
    text = redactor.redact("07700 900461 or +44 7700 900461 or 0044 7700 900461", "x")
    assert text == "<PHONE_1> or <PHONE_1> or <PHONE_1>"


def test_region_comes_from_your_own_number_then_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    assert phone_region(None, WordLists(), ["Sam", "+44 7700 900123"]) == "GB"
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("LC_TELEPHONE", raising=False)
    assert phone_region(None, WordLists(), ["Sam"]) == "BR"
    assert phone_region("de", WordLists(), ["+44 7700 900123"]) == "DE"
    with pytest.raises(TwinError, match="unknown phone region"):
        phone_region("XX", WordLists(), [])


def test_common_words_in_contact_names_are_never_redacted() -> None:
    redactor = Redactor({2: ["The Guys"], 3: ["Mum and Dad"], 4: ["Pizza To Go"]}, mine=["Sam"])
    text = "I'm not going to the party, and my mum will bring pizza to go"
    assert redactor.redact(text, "x") == text
    assert redactor.redact("ordered from Pizza To Go again", "x") == "ordered from <PERSON_1> again"


def test_a_name_that_is_a_word_is_redacted_only_where_it_names_the_person() -> None:
    redactor = Redactor({2: ["May"], 3: ["Will Turner"], 4: ["Grace"], 5: ["Frank"]})
    assert redactor.redact("May I come? will do, may be late", "x") == (
        "May I come? will do, may be late"
    )
    assert redactor.redact("Hi May! I saw Will yesterday", "x") == (
        "Hi <PERSON_1>! I saw <PERSON_2> yesterday"
    )
    assert redactor.redact("Will do. Grace said it was fine", "x") == (
        "Will do. Grace said it was fine"  # sentence-initial: the documented limit
    )
    assert redactor.redact("thanks Grace, to be frank it was great", "x") == (
        "thanks <PERSON_3>, to be frank it was great"
    )
    assert redactor.redact("Turner called", "x") == "<PERSON_2> called"


def test_a_name_part_you_write_as_a_word_is_an_ordinary_word() -> None:
    redactor = Redactor({2: ["Rosa Field"]}, vocabulary=["field"])
    assert redactor.redact("out in the field with Rosa", "x") == "out in the field with <PERSON_1>"
    assert redactor.redact("Rosa Field says hi", "x") == "<PERSON_1> says hi"


def test_people_mentioned_anywhere_in_the_vault_are_redacted(chat: Chat, build: Build) -> None:
    chat.say("Inês Costa", "hello", chat="Inês")
    chat.say("Sam", "hi Inês")
    chat.say("Maya", "did you see Inês yesterday?", chat="Maya")
    chat.say("Sam", "yes, Costa says hi")
    text = json.dumps([build()["train"]], ensure_ascii=False)
    assert "Inês" not in text and "Costa" not in text


def test_the_card_warns_about_what_looks_left(chat: Chat, build: Build) -> None:
    chat.say("Maya", "my number is 12 34 56 78 90 12 and mail me at sam (at) example (dot) org")
    chat.say("Sam", "ok")
    result = build()
    warnings = result["stats"]["redactions"]["warnings"]
    assert any("phone" in warning for warning in warnings)
    assert any("email" in warning for warning in warnings)
    card = opened(Home(result["folder"].parent.parent), result["folder"].name, "card.md")
    assert "Check" in card and "PHONE" in card


def test_review_lists_every_replacement_and_no_original_is_written(
    chat: Chat, build: Build
) -> None:
    chat.say("Maya Cohen", "call +44 7700 900461 or maya@example.com, love Maya")
    chat.say("Sam", "will do Maya")
    result = build()
    rows = review(result["folder"])
    assert {row["original"] for row in rows} >= {"+44 7700 900461", "maya@example.com", "Maya"}
    for path in result["folder"].parent.parent.rglob("*"):
        if path.is_file() and path.name != "vault.db":
            data = path.read_bytes()
            for original in (b"900461", b"maya@example.com", b"Maya"):
                assert original not in data, path


def test_names_are_matched_in_any_case_and_without_their_accents() -> None:
    redactor = Redactor({2: ["Inês Costa"], 3: ["Maya Rivera"]}, mine=["Sam Rivera"])
    assert redactor.redact("saw ines and maya, INÊS says hi to Rivera", "x") == (
        "saw <PERSON_1> and <PERSON_2>, <PERSON_1> says hi to Rivera"
    )
    assert redactor.redact("inês's shoes and Maya\u2019s bike", "x") == (
        "<PERSON_1>'s shoes and <PERSON_2>\u2019s bike"
    )
    assert redactor.redact("the costas of the costa", "x") == "the costas of the <PERSON_1>"


def test_names_that_are_words_stay_words_in_any_case() -> None:
    redactor = Redactor({2: ["Will Smith"], 3: ["May"], 4: ["Rose Lane"]}, mine=["Sam"])
    text = "will you pick a rose? may be late. Will do. Rose bushes may wilt"
    assert redactor.redact(text, "x") == text
    assert redactor.redact("hi may! thanks Rose, I saw Will", "x") == (
        "hi may! thanks <PERSON_1>, I saw <PERSON_2>"  # lower-case 'may' stays the word
    )


def _index(vault: Vault) -> None:
    """Index the messages for full-text search, as an import does at its end."""
    vault.db.execute("INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages")


def test_a_name_you_write_in_lower_case_is_still_the_person(
    vault: Vault, chat: Chat, build: Build
) -> None:
    from twin.dataset.redaction import own_vocabulary

    chat.say("Maya Field", "are you coming?")
    chat.say("Sam", "yes! maya you're the best")
    chat.say("Sam", "tell maya i said thanks")  # a lower-case writer writes names so too
    chat.say("Sam", "We played in the field all day.")
    chat.say("Sam", "The field was muddy, the ball was lost in the field.")
    _index(vault)
    me = {chat.people["Sam"]}
    assert own_vocabulary(vault, me, ["Maya", "Field"]) == {"field"}
    text = json.dumps(build()["train"], ensure_ascii=False)
    assert "maya" not in text.casefold()
    assert "muddy" in text and "the field" in text  # the word, kept

"""The redaction review, evaluation and blind test pages, the training estimate, and pushes
of chat messages and activity, through the hub over a real vault."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fastapi.testclient import TestClient

from tests.hub.test_api import _pair
from twin.dataset.build import build_dataset
from twin.dataset.options import BuildOptions
from twin.dataset.store import read_review
from twin.dataset.wordlists import WordLists
from twin.evaluate.results import EvalResult, ModelFigures, Sample
from twin.evaluate.store import save_evaluation, write_headline
from twin.hub.state import Hub
from twin.samples import whatsapp_exports
from twin.train.presets import preset
from twin.train.runs import new_run
from twin.vault.collect import import_file
from twin.vault.events import events_between
from twin.vault.schema import migrate

Client = tuple[TestClient, str]


@pytest.fixture
def built(hub: Hub) -> str:
    """The sample WhatsApp chat imported and built into a redacted dataset, ``default``."""
    with hub.open_vault() as vault:
        import_file(vault, whatsapp_exports()[0], me="Sam Rivera")
        build_dataset(vault, BuildOptions(memory=False, qa=False))
    return "default"


def _form_page(client: TestClient, response: Any) -> str:
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert page.status_code == 200, page.text
    return page.text


def test_the_review_lists_what_was_replaced_and_unredacting_is_the_clis_allow(
    unlocked: Client, hub: Hub, built: str, twin: Callable[..., Result]
) -> None:
    client, csrf = unlocked
    with hub.open_vault() as vault:
        replaced = read_review(vault, built)
    people = [
        row["original"]
        for row in replaced
        if row["kind"] == "PERSON" and row["where"] != "speaker name"
    ]
    assert people, "the sample chat names other people"
    name = max(set(people), key=people.count)
    page = client.get(f"/dataset/{built}/redactions?kind=PERSON")
    assert page.status_code == 200
    assert f"keep “{name.casefold()}” as written" in page.text.casefold()  # shown as a name
    assert "&lt;PERSON_" in page.text
    assert "&lt;PHONE_" not in page.text  # only the kind asked for

    kept = client.post(
        f"/dataset/{built}/redactions/allow?kind=PERSON", data={"word": name, "csrf": csrf}
    )
    text = _form_page(client, kept)
    assert "will never be redacted" in text and "On your never-redact list" in text
    assert name in WordLists.load(hub.home).never
    assert f"never redact: {name}" in twin("dataset", "redaction", "show").output

    denied = client.post(
        f"/dataset/{built}/redactions/deny", data={"word": "Lisbon", "csrf": csrf}
    )
    assert "will always be redacted" in _form_page(client, denied)
    assert WordLists.load(hub.home).always == ["Lisbon"]
    dropped = client.post(
        f"/dataset/{built}/redactions/drop", data={"word": "Lisbon", "csrf": csrf}
    )
    assert "off your lists" in _form_page(client, dropped)
    assert WordLists.load(hub.home).always == []


def test_a_rebuild_uses_the_datasets_own_options_and_the_lists(
    unlocked: Client, hub: Hub, built: str
) -> None:
    client, csrf = unlocked
    with hub.open_vault() as vault:
        before = read_review(vault, built)
    name = next(
        row["original"]
        for row in before
        if row["kind"] == "PERSON" and row["where"].startswith("message")
    )
    client.post(f"/dataset/{built}/redactions/allow", data={"word": name, "csrf": csrf})
    started = client.post(f"/dataset/{built}/rebuild", data={"csrf": csrf})
    assert started.status_code == 303
    job_id = int(started.headers["location"].rsplit("/", 1)[1])
    hub.jobs.wait(job_id, 120)
    state = client.get(f"/jobs/{job_id}/state").json()
    assert state["status"] == "done", state
    with hub.open_vault() as vault:
        after = read_review(vault, built)
    assert all(
        row["original"].casefold() != name.casefold()
        for row in after
        if row["where"].startswith("message")
    )
    assert len(after) < len(before)


def test_a_rebuild_reads_back_every_option_a_build_was_given() -> None:
    from datetime import date

    from twin.hub.routes.redaction import options_of

    given = BuildOptions(
        name="walks", format="chatml", gap=5400, since=date(2024, 1, 2), sources=("whatsapp",),
        disabled=("duplicate",), low_information=True, memory=False, phone_region="gb",
    )  # fmt: skip
    assert options_of({"options": given.describe()}) == given


def _evaluated_run(hub: Hub) -> EvalResult:
    """A completed run (its adapter a stand-in) with a stored evaluation of three samples."""
    run = new_run(
        hub.home, base="tiny", base_dir="/nowhere", dataset="default", dataset_hash="",
        config=preset("cpu"), status="completed",
    )  # fmt: skip
    (run.folder / "adapter").mkdir()
    (run.folder / "adapter" / "adapter_config.json").write_text("{}")
    context = [{"role": "user", "content": "Are you coming to the rehearsal?"}]
    result = EvalResult(
        run_id=run.id,
        dataset="default",
        created_at="2026-05-01T10:00:00+00:00",
        quick=True,
        held_out=3,
        ceiling=0.8,
        twin=ModelFigures("twin", perplexity=12.5, judged_as_you=0.4, replies=3),
        base=ModelFigures("base", perplexity=30.1, judged_as_you=0.1, replies=3),
        samples=[
            Sample(context, f"yes, bringing the cello {n}", "rehearsal", f"maybe later {n}")
            for n in range(3)
        ],
    )
    with hub.open_vault() as vault:
        save_evaluation(vault, result)
    write_headline(hub.home, result)
    return result


def test_the_eval_page_shows_the_stored_figures(unlocked: Client, hub: Hub) -> None:
    client, _ = unlocked
    assert "No evaluation yet" in client.get("/eval").text
    result = _evaluated_run(hub)
    page = client.get("/eval").text
    assert f"Run {result.run_id}" in page
    assert "12.50" in page and "30.10" in page  # the twin's and the base model's perplexity
    assert "Sounds like you: <strong>50%</strong>" in page
    assert page.count('src="data:image/png;base64,') >= 3
    assert "Take the blind test" in page


def test_the_blind_test_stores_each_pick_and_shows_the_pass_rate(
    unlocked: Client, hub: Hub
) -> None:
    client, csrf = unlocked
    result = _evaluated_run(hub)
    page = client.get(f"/eval/blind?run={result.run_id}&seed=7")
    assert "Round 1 of 3" in page.text and "no rounds yet" in page.text
    picked_twin = 0
    for number in range(3):
        text = client.get(f"/eval/blind?run={result.run_id}&seed=7&round={number}").text
        replies = re.findall(r'<label for="choice(\d)">Reply \d: ([^<]+)</label>', text)
        assert len(replies) == 2
        twin_choice = next(c for c, words in replies if words.startswith("maybe later"))
        choice = twin_choice if number < 2 else ("1" if twin_choice == "2" else "2")
        picked_twin += choice == twin_choice
        fields = {
            "csrf": csrf, "run": result.run_id, "seed": "7", "round": str(number),
            "evaluated": result.created_at, "choice": choice,
        }  # fmt: skip
        after = _form_page(client, client.post("/eval/blind/pick", data=fields))
        assert ("That one was your twin" if choice == twin_choice else "that one was you") in after
    assert "No more rounds" in after
    assert "67% of 3 rounds took the twin for you" in after
    with hub.open_vault() as vault:
        verdicts = [r[0] for r in vault.db.execute("SELECT verdict FROM feedback ORDER BY id")]
    assert verdicts == ["good", "good", "bad"]
    headline = json.loads((hub.home.runs / result.run_id / "evaluation.json").read_text())
    assert headline["blind_test"]["rounds"] == 3


def test_a_pick_from_an_older_evaluation_is_refused(unlocked: Client, hub: Hub) -> None:
    client, csrf = unlocked
    result = _evaluated_run(hub)
    fields = {
        "csrf": csrf, "run": result.run_id, "seed": "7", "round": "0",
        "evaluated": "2020-01-01T00:00:00+00:00", "choice": "1",
    }  # fmt: skip
    refused = client.post("/eval/blind/pick", data=fields)
    assert refused.status_code == 400 and "newer evaluation" in refused.text
    with hub.open_vault() as vault:
        assert vault.db.execute("SELECT count(*) FROM blind_picks").fetchone()[0] == 0


def test_the_training_page_estimates_before_starting(
    unlocked: Client, hub: Hub, built: str, tiny_model: Path
) -> None:
    client, csrf = unlocked
    fields = {"csrf": csrf, "dataset": built, "base": str(tiny_model), "max_steps": "3"}
    page = client.post("/training/estimate", data=fields)
    assert page.status_code == 200, page.text
    found = re.search(
        r"Estimate:</strong> (\d+) examples of default \(\d+ tokens a pass, (\d+) steps\)",
        page.text,
    )
    assert found, page.text
    assert int(found.group(1)) > 10 and found.group(2) == "3"
    assert "GiB of memory" in page.text
    assert f'value="{tiny_model}"' in page.text  # the form keeps what was typed
    with hub.open_vault() as vault:
        assert vault.db.execute("SELECT count(*) FROM hub_jobs").fetchone()[0] == 0


def _messages(*texts: str) -> list[dict[str, Any]]:
    start = datetime(2026, 5, 2, 18, 0, tzinfo=UTC)
    return [
        {
            "conversation": "Rui",
            "sender": "Sam" if n % 2 else "Rui",
            "sent_at": (start + timedelta(minutes=n)).isoformat(),
            "text": text,
        }
        for n, text in enumerate(texts)
    ]


def test_pushed_messages_carry_the_device_and_a_second_push_adds_nothing(
    unlocked: Client, remote: TestClient, hub: Hub, twin: Callable[..., Result]
) -> None:
    client, csrf = unlocked
    auth = {"authorization": f"Bearer {_pair(client, csrf, remote, 'phone')}"}
    body = {"source": "sms", "me": "Sam", "messages": _messages("dinner at 8?", "yes, I'll cook")}
    first = remote.post("/api/push/messages", json=body, headers=auth)
    assert first.status_code == 200, first.text
    assert first.json()["added"] == 2
    again = remote.post("/api/push/messages", json=body, headers=auth).json()
    assert again["added"] == 0 and again["already_there"] == 2
    with hub.open_vault() as vault:
        rows = list(vault.rows(
            "SELECT m.text, p.is_me, i.file_name, i.source FROM messages m "
            "JOIN imports i ON i.id = m.import_id LEFT JOIN people p ON p.id = m.sender_id"
        ))  # fmt: skip
    assert {r["text"] for r in rows} == {"dinner at 8?", "yes, I'll cook"}
    assert {r["file_name"] for r in rows} == {"pushed by device 1: phone"}
    assert [r["is_me"] for r in rows if r["text"].startswith("yes")] == [1]
    assert "pushed by device 1: phone" in twin("sources", "--json").output
    gone = twin("forget", "--import", str(first.json()["import"]), "--yes")
    assert "Forgot 2 messages" in gone.output


def test_standing_rules_apply_to_pushed_messages(
    unlocked: Client, remote: TestClient, twin: Callable[..., Result]
) -> None:
    client, csrf = unlocked
    twin("rules", "add", "exclude-contact", "Rui")
    auth = {"authorization": f"Bearer {_pair(client, csrf, remote, 'phone')}"}
    body = {"messages": _messages("hello")}
    pushed = remote.post("/api/push/messages", json=body, headers=auth).json()
    assert pushed["added"] == 0 and pushed["left_out_by_your_rules"] == 1
    refused = remote.post("/api/push/messages", json={"messages": []}, headers=auth)
    assert refused.status_code == 422


def test_pushed_activity_is_an_event_and_becomes_a_day_summary(
    local: TestClient, hub: Hub, twin: Callable[..., Result]
) -> None:
    bucket = "/api/0/buckets/aw-watcher-window_sam"
    made = {"client": "aw-watcher-window", "type": "currentwindow", "hostname": "sam"}
    local.post(bucket, json=made)
    start = datetime(2026, 5, 1, 14, 0, tzinfo=UTC)
    data = {"app": "Inkscape", "title": "poster for the concert"}
    for second in range(0, 600, 60):
        beat = {"timestamp": (start + timedelta(seconds=second)).isoformat(), "data": data}
        assert local.post(f"{bucket}/heartbeat?pulsetime=90", json=beat).status_code == 200
    again = {"timestamp": start.isoformat(), "duration": 540, "data": data}
    local.post(f"{bucket}/events", json=[again])  # the same event sent whole: stored once
    with hub.open_vault() as vault:
        stored = events_between(vault, start - timedelta(hours=1), start + timedelta(hours=1))
    assert [(e.kind, e.app, e.duration, e.device) for e in stored] == [
        ("window", "Inkscape", 540.0, "sam")
    ]
    assert hub.summaries.flush() == 1
    recalled = twin("recall", "Inkscape poster", "--json").output
    assert "Activity on" in recalled and "Inkscape" in recalled


def test_the_migration_moves_hub_activity_into_events(hub: Hub) -> None:
    with hub.open_vault() as vault:
        db = vault.db
        db.executescript(
            "CREATE TABLE hub_activity (id INTEGER PRIMARY KEY, bucket TEXT NOT NULL, "
            "device_id INTEGER, import_id INTEGER, started_at TEXT NOT NULL, "
            "duration REAL NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '{}');"
            "DROP TABLE hub_bucket_events;"
            "DELETE FROM migrations WHERE name = 'm321_hub_activity_into_events';"
        )
        db.execute(
            "INSERT INTO hub_buckets VALUES ('aw-watcher-web-firefox', 'web.tab.current', "
            "'aw-watcher-web', 'sam', NULL, '2026-05-01')"
        )
        db.execute(
            "INSERT INTO imports (source, importer_version, file_name, file_sha256, imported_at,"
            " rules) VALUES ('activitywatch', 'hub-push-1', 'pushed by a program', '', '', '{}')"
        )
        for n, incognito in enumerate((False, False, True)):
            db.execute(
                "INSERT INTO hub_activity (bucket, import_id, started_at, duration, data) "
                "VALUES ('aw-watcher-web-firefox', 1, ?, 30, ?)",
                (
                    f"2026-05-01T09:0{n}:00+00:00",
                    json.dumps({"url": f"https://example.org/{n}", "incognito": incognito}),
                ),
            )
        assert migrate(db) == ["m321_hub_activity_into_events"]
        kept = list(vault.rows("SELECT kind, app, url, device FROM events ORDER BY sort_key"))
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert [(r["kind"], r["app"], r["url"], r["device"]) for r in kept] == [
        ("web", "Firefox", "https://example.org/0", "sam"),
        ("web", "Firefox", "https://example.org/1", "sam"),
    ]
    assert "hub_activity" not in tables

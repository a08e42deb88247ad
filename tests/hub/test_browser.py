"""A newcomer's path through the hub in a real browser (Debian's chromium, headless).

Onboarding → upload the sample WhatsApp export → preview → keep → a journal entry → build a
dataset → review its redactions and rebuild → the training estimate → train the tiny model →
chat → thumbs down with a correction → evaluate → the blind test → forget a contact → a second
device pairs and pushes a journal entry → lock and unlock. Each page is checked with axe-core
(no serious or critical violation) and photographed into ``tests/.output/hub/``, and the time
the whole path took is written beside the photographs (``pages.json``).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from twin.home import Home
from twin.hub.app import create_app
from twin.hub.settings import HubSettings
from twin.hub.state import Hub
from twin.samples import whatsapp_exports
from twin.vault.key import Secret
from twin.vault.vault import Vault

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).parents[1] / ".output" / "hub"
PASSPHRASE = "correct horse battery"
JOB_SECONDS = 240_000  # milliseconds Playwright waits for a background job


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the whole session."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/setup")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        found = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield found
        found.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_home: Home) -> Iterator[tuple[str, Hub]]:
    """A real hub on 127.0.0.1 over a home with no vault yet, as a newcomer has."""
    import uvicorn

    hub = Hub(tmp_home, HubSettings(open_browser=False))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(hub), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}", hub
    server.should_exit = True
    thread.join(10)


def finish_job(page: Any) -> None:
    """Wait on a job's page until the job ends; it must have succeeded."""
    import re

    from playwright.sync_api import expect

    page.wait_for_selector('#job[data-live="no"]', timeout=JOB_SECONDS)  # reloaded at the end
    page.wait_for_load_state()
    status = page.locator("#job-status")
    expect(status).to_have_text(
        re.compile("^(done|failed|cancelled|interrupted)$"), timeout=JOB_SECONDS
    )
    assert status.inner_text() == "done", page.locator("#job-outcome").inner_text()


class Visit:
    """Looks at each page as a person and as axe-core would, and keeps a screenshot."""

    def __init__(self, page: Any, shots: list[Path] | None = None) -> None:
        if not AXE.is_file():
            pytest.fail(f"axe-core is missing ({AXE}): run scripts/setup")
        self.page = page
        self.shots: list[Path] = [] if shots is None else shots
        """Shared by the visits of one walk, so the photographs are numbered in order."""
        SHOTS.mkdir(parents=True, exist_ok=True)

    def check(self, name: str) -> None:
        self.page.add_script_tag(path=str(AXE))
        bad = self.page.evaluate(
            """async () => {
                const result = await axe.run(document);
                return result.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
            }"""
        )
        assert bad == [], f"{name}: {bad}"
        shot = SHOTS / f"{len(self.shots) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        self.shots.append(shot)


def test_a_newcomer_goes_from_onboarding_to_a_conversation_and_takes_data_back(
    browser: Any, served: tuple[str, Hub], tiny_model: Path
) -> None:
    from playwright.sync_api import expect

    base, hub = served
    for old in SHOTS.glob("[0-9][0-9]-*.png"):  # the photographs of an earlier walk
        old.unlink()
    started = time.monotonic()
    page = browser.new_page()
    page.set_default_timeout(30_000)
    visit = Visit(page)

    # Onboarding: what a twin is, the diagram, then a new vault.
    page.goto(base + "/")
    expect(page).to_have_url(base + "/welcome")
    expect(page.get_by_role("heading", name="What a digital twin is")).to_be_visible()
    assert page.locator("figure.diagram img").evaluate("img => img.naturalWidth") > 0
    visit.check("onboarding")
    page.get_by_label("New passphrase").fill(PASSPHRASE)
    page.get_by_label("The same passphrase again").fill(PASSPHRASE)
    page.get_by_role("button", name="Make my vault").click()

    # Sources: upload the sample export (streamed, with progress), preview, keep.
    expect(page).to_have_url(base + "/sources")
    visit.check("sources")
    export = whatsapp_exports()[0]
    page.set_input_files("#export", str(export))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.locator(".conversation").first).to_contain_text("Maya Rivera")
    expect(page.locator(".conversation").first).to_contain_text("messages")
    page.get_by_label("Which of these is you?").select_option("Sam Rivera")
    visit.check("preview")
    page.get_by_role("button", name="Keep it").click()
    finish_job(page)
    expect(page.locator("#job-outcome")).to_contain_text("Kept")
    visit.check("import-job")
    page.goto(base + "/sources")
    expect(page.locator("table").last).to_contain_text("whatsapp")

    # Journal: a quick entry, no other entries shown while writing; the list on its own page.
    page.goto(base + "/journal")
    page.get_by_label("What happened, what you think").fill("Played the cello at the rehearsal.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("p.saved")).to_contain_text("Saved")
    visit.check("journal")
    page.goto(base + "/journal/entries")
    expect(page.locator("article.entry")).to_contain_text("cello")
    visit.check("journal-entries")

    # Dataset: build, then read the card.
    page.goto(base + "/dataset")
    visit.check("dataset-empty")
    page.get_by_role("button", name="Build dataset").click()
    finish_job(page)
    expect(page.locator("#job-outcome")).to_contain_text("training")
    page.goto(base + "/dataset")
    expect(page.locator("pre.card-text")).to_contain_text("default")
    visit.check("dataset-card")

    # The redaction review: keep a name that is not private, add one it missed, rebuild.
    page.get_by_role("link", name="Review what was redacted").click()
    expect(page.locator("table.review")).to_contain_text("<PERSON_1>")
    visit.check("redactions")
    page.get_by_role("button", name="Keep “Maya” as written").click()
    expect(page.get_by_role("status")).to_contain_text("“Maya” will never be redacted")
    page.get_by_label("A name, street, employer or other word to always replace").fill("Lisbon")
    page.get_by_role("button", name="Always redact it").click()
    expect(page.locator(".lists")).to_contain_text("Lisbon")
    visit.check("redactions-lists")
    page.get_by_role("button", name="Rebuild “default”").click()
    finish_job(page)
    expect(page.locator("#job-outcome")).to_contain_text("rebuilt")

    # Training: the estimate first, then the tiny model for a few steps, watched live.
    page.goto(base + "/training")
    page.get_by_label("Base model").fill(str(tiny_model))
    page.get_by_label("At most this many steps").fill("2")
    visit.check("training")
    page.get_by_role("button", name="Estimate the time first").click()
    expect(page.locator("#estimate")).to_contain_text("2 steps")
    expect(page.locator("#estimate")).to_contain_text("GiB of memory")
    expect(page.get_by_label("Base model")).to_have_value(str(tiny_model))
    visit.check("training-estimate")
    page.get_by_role("button", name="Start training").click()
    finish_job(page)
    expect(page.locator("#job-outcome")).to_contain_text("completed")
    visit.check("training-job")
    page.goto(base + "/training")
    expect(page.locator("table").last).to_contain_text("completed")

    # Chat: a streamed reply, what it rests on, then a thumbs down with a correction.
    page.goto(base + "/chat")
    page.get_by_label("Say something to your twin").fill("How was the rehearsal?")
    page.get_by_role("button", name="Send").click()
    reply = page.locator("article.turn.assistant").last
    expect(reply.locator("summary")).to_have_text("What this reply rests on", timeout=60_000)
    assert reply.locator(".said").inner_text().strip()
    visit.check("chat")
    reply.get_by_label("I would have said …").fill("It went well, the cello part is hard.")
    reply.get_by_role("button", name="Save what I would have said").click()
    expect(page.locator("article.turn.assistant")).to_have_count(1)

    # Evaluation as a job, its figures, then the blind test: which reply is really me?
    page.goto(base + "/eval")
    expect(page.get_by_text("No evaluation yet")).to_be_visible()
    page.get_by_label("Held-out replies to compare").fill("2")
    page.get_by_label("Fact questions to ask").fill("2")
    page.get_by_role("button", name="Evaluate").click()
    finish_job(page)
    expect(page.locator("#job-outcome")).to_contain_text("Evaluated run")
    page.goto(base + "/eval")
    figures = page.locator("table.figures")
    expect(figures).to_contain_text("perplexity of your held-out replies")
    assert re.search(r"\d", figures.locator("tbody tr").first.locator("td").first.inner_text())
    visit.check("eval")
    page.get_by_role("link", name="Take the blind test").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Round 1 of \d+$"))).to_be_visible()
    visit.check("blind-test")
    page.get_by_label(re.compile("^Reply 1:")).check()
    page.get_by_role("button", name="This one is me").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile("your twin|was you"))
    expect(page.locator("#pass-rate")).to_contain_text("of 1 rounds took the twin for you")
    visit.check("blind-test-picked")

    # Data: forget a contact, after a confirmation saying exactly what goes.
    page.goto(base + "/data")
    expect(page.locator("table")).to_contain_text("Maya Rivera")
    visit.check("data")
    page.get_by_role("link", name="Maya Rivera").first.click()
    expect(page.locator("main")).to_contain_text("Maya Rivera")
    visit.check("conversation")
    page.goto(base + "/data")
    page.get_by_label("Forget").select_option("contact")
    page.get_by_label("Which one").fill("Maya Rivera")
    page.get_by_role("button", name="Show what would go").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("of them yours")
    expect(dialog).to_contain_text("conversations touched: Maya Rivera")
    expect(dialog).to_contain_text("1 dataset made from them: default")
    expect(dialog).to_contain_text("1 training run that learned from them")
    expect(dialog).to_contain_text("the person Maya Rivera")
    visit.check("forget-confirm")
    page.get_by_role("button", name="Forget it for good").click()
    expect(page.get_by_role("status")).to_contain_text("Forgot")
    visit.check("forgotten")

    # Devices: a second device pairs with the code and pushes a journal entry.
    page.goto(base + "/devices")
    page.get_by_role("button", name="Pair a new device").click()
    expect(page.locator(".code")).to_have_text(re.compile(r"^\d{8}$"))
    code = page.locator(".code").inner_text()
    visit.check("devices")
    phone = browser.new_context()
    other = phone.new_page()
    other.goto(base + "/pair")
    other_visit = Visit(other, visit.shots)
    other_visit.check("pair")
    other.get_by_label("Pairing code").fill(code)
    other.get_by_label("This device's name").fill("Sam's phone")
    other.get_by_role("button", name="Pair").click()
    expect(other.get_by_role("status")).to_contain_text("This device is paired")
    token = other.locator("code.token").inner_text()
    other_visit.check("paired")
    pushed = phone.request.post(
        base + "/api/push/journal",
        data={"text": "Tuned the cello strings on the tram home."},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert pushed.ok, pushed.text()
    phone.close()
    page.goto(base + "/journal/entries")
    expect(page.locator("article.entry", has_text="Tuned the cello strings")).to_be_visible()
    page.goto(base + "/devices")
    expect(page.locator("main")).to_contain_text("Sam's phone")
    visit.check("devices-paired")
    page.goto(base + "/settings")
    expect(page.locator("dl").first).to_contain_text(str(hub.home.path))
    visit.check("settings")
    page.goto(base + "/")
    visit.check("start")
    spent = time.monotonic() - started

    # Lock, and unlock again with the passphrase.
    page.get_by_role("button", name="Lock").click()
    expect(page).to_have_url(re.compile(r"/unlock$"))
    visit.check("unlock")
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Unlock").click()
    expect(page.locator("nav.side")).to_contain_text("Evaluation")

    with Vault.open(hub.home, Secret(passphrase=PASSPHRASE)) as vault:
        feedback = list(vault.rows("SELECT verdict, correction, source FROM feedback"))
        people = [row["name"] for row in vault.rows("SELECT name FROM people")]
        entries = list(
            vault.rows(
                "SELECT n.text, i.file_name FROM notes n JOIN imports i ON i.id = n.import_id "
                "WHERE n.kind = 'journal'"
            )
        )
    corrections = [row["correction"] for row in feedback if row["source"] != "blind-test"]
    assert corrections[-1] == "It went well, the cello part is hard."
    assert [row["source"] for row in feedback].count("blind-test") == 1
    assert "Maya Rivera" not in people
    assert ("Tuned the cello strings on the tram home.", "pushed by device 1: Sam's phone") in [
        (row["text"], row["file_name"]) for row in entries
    ]
    assert all(shot.stat().st_size > 1000 for shot in visit.shots)
    record = {"pages": [s.name for s in visit.shots], "path_seconds": round(spent)}
    (SHOTS / "pages.json").write_text(json.dumps(record, indent=1))


@pytest.mark.slow
def test_a_newcomer_reaches_a_conversation_with_the_default_model(
    browser: Any, served: tuple[str, Hub]
) -> None:
    """The path of the issue's "done means", as a newcomer takes it: the built-in model with
    its hardware preset, nothing made smaller. Writes how long each part took (no assertion on
    time: it depends on the machine and on what else runs)."""
    from playwright.sync_api import expect

    base, _ = served
    page = browser.new_page()
    page.set_default_timeout(60_000)
    laps: dict[str, float] = {}
    started = last = time.monotonic()

    def lap(name: str) -> None:
        nonlocal last
        now = time.monotonic()
        laps[name] = round(now - last, 1)
        last = now

    page.goto(base + "/")
    page.get_by_label("New passphrase").fill(PASSPHRASE)
    page.get_by_label("The same passphrase again").fill(PASSPHRASE)
    page.get_by_role("button", name="Make my vault").click()
    lap("onboarding")
    page.set_input_files("#export", str(whatsapp_exports()[0]))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_label("Which of these is you?").select_option("Sam Rivera")
    page.get_by_role("button", name="Keep it").click()
    finish_job(page)
    lap("import")
    page.goto(base + "/dataset")
    page.get_by_role("button", name="Build dataset").click()
    finish_job(page)
    lap("dataset")
    page.goto(base + "/training")
    page.get_by_role("button", name="Estimate the time first").click()
    estimate = page.locator("#estimate").inner_text()
    lap("estimate")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_selector('#job[data-live="no"]', timeout=20 * 60_000)
    page.wait_for_load_state()
    outcome = page.locator("#job-outcome").inner_text()
    assert page.locator("#job-status").inner_text() == "done", outcome
    lap("training")
    page.goto(base + "/chat")
    page.get_by_label("Say something to your twin").fill("How was the rehearsal?")
    page.get_by_role("button", name="Send").click()
    reply = page.locator("article.turn.assistant").last
    expect(reply.locator("summary")).to_have_text("What this reply rests on", timeout=180_000)
    said = reply.locator(".said").inner_text().strip()
    assert said
    lap("first reply")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "default-model-chat.png"), full_page=True)
    record = {
        "seconds": round(time.monotonic() - started),
        "laps": laps,
        "estimate": estimate,
        "reply": said,
        "load": os.getloadavg(),
    }
    (SHOTS / "default-model-path.json").write_text(json.dumps(record, indent=1))

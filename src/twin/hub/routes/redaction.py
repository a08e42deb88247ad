"""Redaction review: what a dataset build replaced, read from its sealed review in memory.

The same library calls as `twin dataset review NAME` (`read_review`) and `twin dataset
redaction allow|deny|drop WORD` (`WordLists`): un-redacting a false positive puts it on the
never-redact list, a name the builder missed goes on the always-redact list, and a rebuild with
the dataset's own options applies both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from twin.dataset.build import build_dataset
from twin.dataset.options import BuildOptions, parse_duration
from twin.dataset.redaction import KINDS
from twin.dataset.store import load_stats, read_review
from twin.dataset.wordlists import WordLists
from twin.errors import TwinError
from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.jobs import JobContext
from twin.hub.state import Hub

router = APIRouter()
SPEAKER = "speaker name"
"""Where the review says a replacement stood for who is speaking (`ExampleMaker.speaker`)."""
SHOWN = 300
"""Distinct replacements listed on one page; the kind filter narrows a long review."""


@dataclass
class Replaced:
    """One thing the builder replaced, with every place it did."""

    original: str
    kind: str
    placeholder: str
    places: list[str] = field(default_factory=list)

    @property
    def speaker_only(self) -> bool:
        """Replaced only as who is speaking: a speaker is always a placeholder, lists or not."""
        return all(place == SPEAKER for place in self.places)


def grouped(rows: list[dict[str, str]], kind: str | None) -> list[Replaced]:
    """The review's rows as one entry per distinct original (in any case), most replaced first."""
    found: dict[tuple[str, str], Replaced] = {}
    for row in rows:
        if kind and row.get("kind", "").upper() != kind:
            continue
        original = row.get("original", "")
        key = (row.get("kind", ""), original.casefold())
        entry = found.setdefault(
            key, Replaced(original, row.get("kind", ""), row.get("placeholder", ""))
        )
        if entry.original.islower() and not original.islower():
            entry.original = original  # a name shown as a name: "Maya", not "maya"
        entry.places.append(row.get("where", ""))
    return sorted(found.values(), key=lambda r: (-len(r.places), r.kind, r.original.casefold()))


def options_of(stats: dict[str, Any]) -> BuildOptions:
    """The options a dataset was built with, read back from its stats.json."""
    known = {option.name for option in fields(BuildOptions)}
    given = {key: value for key, value in stats["options"].items() if key in known}
    for name in ("gap", "merge_window"):
        if name in given:
            given[name] = parse_duration(str(given[name]))
    for name in ("since", "until"):
        given[name] = date.fromisoformat(given[name]) if given.get(name) else None
    if "model" in given:
        given["model"] = Path(given["model"]) if given["model"] else None
    for name in ("sources", "conversations", "disabled"):
        given[name] = tuple(given.get(name) or ())
    return BuildOptions(**given)


def _back(name: str, kind: str = "", said: str = "") -> str:
    target = f"/dataset/{quote(name)}/redactions?kind={quote(kind)}"
    return target + (f"&said={quote(said)}" if said else "")


@router.get("/dataset/{name}/redactions", response_class=HTMLResponse)
def review_page(
    request: Request, hub: HubDep, vault: VaultDep, name: str, kind: str = "", said: str = ""
) -> HTMLResponse:
    """Every replacement of dataset `name`, grouped, with what can be done about each."""
    kind = kind.upper()
    if kind and kind not in KINDS:
        raise TwinError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
    stats = load_stats(vault, name)
    rows = read_review(vault, name) if stats["redactions"]["on"] else []
    entries = grouped(rows, kind or None)
    lists = WordLists.load(hub.home)
    return render(
        request,
        "redactions.html",
        title=f"Redaction review of “{name}”",
        name=name,
        kind=kind,
        kinds=KINDS,
        redacted=stats["redactions"]["on"],
        counts=Counter(row.get("kind", "") for row in rows),
        warnings=stats["redactions"].get("warnings", []),
        entries=entries[:SHOWN],
        more=max(len(entries) - SHOWN, 0),
        total=sum(len(entry.places) for entry in entries),
        never={w.casefold() for w in lists.never},
        lists=lists,
        said=said,
    )


def _change_lists(
    hub: Hub, name: str, kind: str, change: Callable[[WordLists], object], said: str
) -> Response:
    """Apply `change` to the saved word lists, then go back to the review saying `said`.

    A `change` that raises leaves the lists as they were.
    """
    lists = WordLists.load(hub.home)
    change(lists)
    lists.save(hub.home)
    return RedirectResponse(
        _back(name, kind, f"{said} Rebuild the dataset to apply it."), status_code=303
    )


@router.post("/dataset/{name}/redactions/allow")
def allow(hub: HubDep, name: str, word: Annotated[str, Form()], kind: str = "") -> Response:
    """Never redact `word`: a false positive (as `twin dataset redaction allow`)."""
    return _change_lists(
        hub, name, kind, lambda lists: lists.allow(word), f"“{word}” will never be redacted."
    )


@router.post("/dataset/{name}/redactions/deny")
def deny(hub: HubDep, name: str, word: Annotated[str, Form()], kind: str = "") -> Response:
    """Always redact `word`: a name or detail the builder missed (`redaction deny`)."""
    return _change_lists(
        hub, name, kind, lambda lists: lists.deny(word), f"“{word}” will always be redacted."
    )


@router.post("/dataset/{name}/redactions/drop")
def drop(hub: HubDep, name: str, word: Annotated[str, Form()], kind: str = "") -> Response:
    """Take `word` off both lists (`redaction drop`)."""

    def take_off(lists: WordLists) -> None:
        if not lists.drop(word):
            raise TwinError(f"{word!r} is on neither list")

    return _change_lists(hub, name, kind, take_off, f"“{word}” is off your lists.")


@router.post("/dataset/{name}/rebuild")
def rebuild(hub: HubDep, vault: VaultDep, name: str) -> Response:
    """Build the dataset again with its own options and the lists as they are now."""
    options = options_of(load_stats(vault, name))

    def work(job: JobContext) -> str:
        job.report(force=True, step="building the dataset again with your word lists")
        built = build_dataset(job.vault, options)
        replaced = sum(built.stats["redactions"]["replacements"].values())
        return (
            f"Dataset {options.name!r} rebuilt: {built.stats['examples']['train']} training "
            f"examples, {replaced} replacements. Review them again on the Dataset page."
        )

    job_id = hub.jobs.start("dataset", options.describe(), work)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)

"""The dataset card: a page a person reads to know what went into a dataset and what it holds."""

from __future__ import annotations

from typing import Any

FILTER_MEANING = {
    "system": "system lines (joined, left, changed the subject…)",
    "media": "media messages (photos, voice notes, stickers), with any caption",
    "deleted": "deleted messages",
    "call": "call notices",
    "link-only": "a link and nothing else",
    "empty": "turns empty or of one character once joined",
    "refers-to-missing": "your turns right after a photo or bare link the dataset leaves out",
    "low-information": "your turns that say little alone: ok, haha, an emoji (optional)",
    "too-long": "your turns longer than the token budget",
    "duplicate": "examples identical to one already kept (same context, same reply)",
    "near-duplicate": "replies whose normalised text was already kept --max-repeats times",
}


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render_card(stats: dict[str, Any]) -> str:
    """The card as Markdown, from the statistics alone (so it is as deterministic as they are)."""
    options = stats["options"]
    filters = stats["filters"]
    tokens = stats["tokens"]
    estimate = stats["estimates"]
    sessions = stats["sessions"]
    selection = stats["selection"]
    parts = [
        f"# Dataset card: {stats['name']}",
        "",
        f"Training examples of **{stats['me']}**'s own voice, built by `twin dataset build` from "
        "the vault. Every target (the last message of each example) is one of "
        f"{stats['me']}'s own turns; other people appear only as context.",
        "",
        *_script_notice(stats),
        *_generated_notice(stats),
        *_corrections_notice(stats),
        *_memory_notice(stats),
        "## Files",
        "",
        _table(
            ("file", "what", "sha256"),
            [
                (
                    "train.jsonl",
                    f"{stats['examples']['train']:,} examples, {stats['format_description']}",
                    stats["hashes"]["files"]["train.jsonl"][:16],
                ),
                (
                    "val.jsonl",
                    f"{stats['examples']['val']:,} held-out examples (latest sessions)",
                    stats["hashes"]["files"]["val.jsonl"][:16],
                ),
                (
                    "redactions.tsv",
                    "every replacement made (`twin dataset review NAME`; sealed: it holds "
                    "the originals)",
                    stats["hashes"]["files"]["redactions.tsv"][:16],
                ),
                *(
                    [
                        (
                            "notes.jsonl",
                            f"{stats['notes']['entries']:,} journal entries and notes (not "
                            'private ones) as plain text, {"text": …} a line, for continued '
                            "pre-training",
                            stats["hashes"]["files"]["notes.jsonl"][:16],
                        )
                    ]
                    if stats["notes"]["entries"]
                    else []
                ),
                ("stats.json", "these figures, machine-readable", ""),
                ("lengths.png", "histogram of example lengths", ""),
            ],
        ),
        "",
        f"Output hash (train + val): `{stats['hashes']['output']}`  ",
        f"Input hash (selected vault content, word lists, options): `{stats['hashes']['input']}`",
        "",
        "## What went in",
        "",
        f"- {selection['vault_messages']:,} messages in the vault; "
        f"{selection['excluded_by_rules']:,} excluded by your standing rules; "
        f"{selection['left_out_by_choice']:,} left out by this build's choices; "
        f"{selection['messages_read']:,} read.",
        f"- Standing rules: `{_compact(stats['rules'])}`",
        "- Imports: "
        + (
            ", ".join(
                f"#{row['id']} {row['source']} (sha256 {str(row['file_sha256'])[:12]}, "
                f"{row['imported_at'][:10]})"
                for row in stats["imports"]
            )
            or "none"
        ),
        f"- Options: `{_compact(options)}`",
        "",
        "## Sessions and turns",
        "",
        f"A session ends after more than {options['gap']} of silence; messages of one sender "
        f"within {options['merge_window']} of each other form one turn "
        f"({stats['merged_messages']:,} messages were joined onto the turn before them). "
        f"{sessions['total']:,} sessions, {sessions['with_examples']:,} of them with examples.",
        "",
        "Silences between consecutive messages (evidence for the gap):",
        "",
        _table(("silence", "count"), list(stats["gaps"].items())),
        "",
        "## Filters",
        "",
        _table(
            ("filter", "removed", "unit", "what it removes", "on"),
            [
                (name, count, unit, FILTER_MEANING[name], "yes" if name in filters["on"] else "no")
                for unit, group in (
                    ("messages", "messages"),
                    ("turns", "turns"),
                    ("your turns", "targets"),
                )
                for name, count in filters[group].items()
            ],
        ),
        "",
        f"{stats['your_turns']:,} of your turns were considered as targets.",
        "",
        "## Redaction",
        "",
    ]
    redactions = stats["redactions"]
    if redactions["on"]:
        parts += [
            "Private details were replaced by placeholders that stay the same across the "
            "dataset. Distinct things replaced, by kind:",
            "",
            _table(
                ("kind", "distinct", "replaced"),
                [
                    (kind, count, redactions.get("replacements", {}).get(kind, "-"))
                    for kind, count in redactions["placeholders"].items()
                ],
            ),
            "",
            f"Phone numbers without a + were read as numbers of {redactions.get('phone_region')}"
            " (`--phone-region` to change).",
            "",
            *[f"**Check:** {warning}.  " for warning in redactions.get("warnings", [])],
            "",
            "Check `redactions.tsv`; then `twin dataset redaction allow WORD` (never redact) or "
            "`twin dataset redaction deny WORD` (always redact) and build again.",
        ]
    else:
        parts.append(
            "**Off** (`--no-redact`): the files hold names, numbers and addresses as written."
        )
    parts += [
        "",
        "## Split",
        "",
        f"Train: {sessions['train']:,} sessions; validation: the latest {sessions['val']:,} "
        f"sessions. {sessions['straddling']:,} sessions still going on when validation begins "
        f"({sessions['straddling_examples']:,} examples) are in neither, so no session is in "
        "both and every validation session is later than every training session.",
        "",
        "## Tokens",
        "",
        f"Tokens {stats['token_method']}, with role markers counted as 4 tokens a message.",
        "",
        _table(
            ("split", "examples", "total", "mean", "median", "p95", "max"),
            [
                (name, t["examples"], f"{t['total']:,}", t["mean"], t["median"], t["p95"], t["max"])
                for name, t in tokens.items()
            ],
        ),
        "",
        "![Example lengths](lengths.png)",
        "",
        "## Conversations",
        "",
        _table(
            ("conversation", "source", "examples", "share"),
            [
                (
                    f"{row['title']} (#{row['id']})",
                    row["source"],
                    row["examples"],
                    f"{row['share']:.1%}",
                )
                for row in stats["conversations"][:20]
            ],
        ),
        "",
        "## Estimates",
        "",
        f"- Local training: about **{estimate['local_training_hours']} hours** "
        f"({estimate['local_basis']}).",
        f"- Cloud price, for comparison only: about **${estimate['cloud_usd']:.2f}** "
        f"({estimate['cloud_basis']}).",
        "",
    ]
    return "\n".join(parts)


def _generated_notice(stats: dict[str, Any]) -> list[str]:
    """Say how many training examples twin generated from the notes rather than took from chats."""
    generated = stats["examples"].get("generated", 0)
    if not generated:
        return []
    return [
        f"**{generated} of the training examples are generated**: questions about your notes "
        "answered with a line of the note itself, in chat's memory-slot layout "
        "(`--no-qa` leaves them out; never in validation).",
        "",
    ]


def _corrections_notice(stats: dict[str, Any]) -> list[str]:
    """Say how many training examples are the person's corrections, and their share."""
    used = stats.get("corrections") or {}
    count = used.get("examples", 0)
    if not count:
        return []
    share = count / max(stats["examples"]["train"], 1)
    return [
        f"**{count} of the training examples are your corrections** ({share:.1%} of training): "
        f"{used.get('corrected', 0)} replies you said you would have written instead (`/said` "
        f"in `twin chat`, the hub, edited drafts of `twin dataset expand`) and "
        f"{used.get('accepted', 0)} drafts of `twin dataset expand` you accepted, each with the "
        "conversation it answered (never in validation).",
        "",
    ]


def _memory_notice(stats: dict[str, Any]) -> list[str]:
    """Say how many examples carry chat's memory slot."""
    options = stats["options"]
    if not options.get("memory"):
        return []
    count = stats["examples"].get("memory", 0)
    examples = stats["examples"]
    total = examples["train"] + examples["val"]
    total -= examples.get("generated", 0) + examples.get("corrections", 0)
    return [
        f"{count:,} of the {total:,} examples from your conversations carry chat's memory slot "
        "(persona, the passage recalled for the last thing said, the rule), the others only "
        f"the persona line: the slot is given where it fits {options.get('memory_tokens')} "
        "tokens with your reply and the turn before it (`--memory-tokens`; `--no-memory` for "
        "none).",
        "",
    ]


def _script_notice(stats: dict[str, Any]) -> list[str]:
    """A plain warning when the dataset uses dialogue scripts (lines of a chosen character)."""
    scripts = [row for row in stats.get("imports", []) if row.get("source") == "script"]
    if not stats["options"].get("with_scripts") or not scripts:
        return []
    return [
        f"**Includes dialogue-script material** ({len(scripts)} script import"
        f"{'s' if len(scripts) != 1 else ''}, built with `--with-scripts`): lines of a character "
        "chosen with `--as`, not words the person wrote.",
        "",
    ]


def _compact(data: dict[str, Any]) -> str:
    return ", ".join(
        f"{key}={value}" for key, value in sorted(data.items()) if value not in (None, [], (), "")
    )

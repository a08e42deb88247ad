"""The redaction review groups one name however it was written, and shows it as a name."""

from __future__ import annotations

from twin.hub.routes.redaction import grouped


def test_a_name_written_in_lower_case_and_capitalised_is_one_entry_shown_capitalised() -> None:
    rows = [
        {"original": "maya", "kind": "PERSON", "placeholder": "<PERSON_1>", "where": "message 1"},
        {"original": "Maya", "kind": "PERSON", "placeholder": "<PERSON_1>", "where": "message 2"},
        {"original": "x@y.org", "kind": "EMAIL", "placeholder": "<EMAIL_1>", "where": "message 2"},
    ]
    entries = grouped(rows, None)
    assert [(e.original, e.kind, e.places) for e in entries] == [
        ("Maya", "PERSON", ["message 1", "message 2"]),
        ("x@y.org", "EMAIL", ["message 2"]),
    ]
    assert [e.original for e in grouped(rows, "EMAIL")] == ["x@y.org"]

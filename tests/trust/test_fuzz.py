"""Hostile and broken input never yields a traceback, and a rejected import changes nothing.

Every registered importer (built-in or added by a plugin) is fed random bytes and mutated
copies of its fixtures (cut short, bytes flipped, lines deleted, BOMs doubled, a huge line)
through `twin preview` and `twin import`: each run ends with exit 0, or exit 1 and one line
naming the file.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.cli import cli
from twin.importers import importers

FIXTURES = Path(__file__).parent.parent / "fixtures"
SUFFIXES = (".txt", ".json", ".zip", ".html", ".csv", "")


def fixtures_of(source: str) -> list[Path]:
    folder = FIXTURES / source
    found = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    return found or sorted(p for p in FIXTURES.rglob("*") if p.is_file())[:20]


def mutate(data: bytes, seed: int, how: str) -> bytes:
    rng = random.Random(seed)
    if how == "truncate" and data:
        return data[: rng.randrange(len(data))]
    if how == "flip" and data:
        raw = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        return bytes(raw)
    if how == "delete-line":
        lines = data.split(b"\n")
        if len(lines) > 1:
            del lines[rng.randrange(len(lines))]
        return b"\n".join(lines)
    if how == "double-bom":
        return b"\xef\xbb\xbf\xef\xbb\xbf" + data
    if how == "huge-line":
        cut = rng.randrange(len(data) + 1)
        return data[:cut] + b"x" * 300_000 + data[cut:]
    return data


def check(result: Result, path: Path) -> None:
    """Exit 0, or exit 1 with one line naming the file; never a traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert result.exit_code in (0, 1), result.output[-2000:]
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.output[-2000:]
        assert path.name in errors[0] or str(path) in errors[0], errors[0]


def run(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, catch_exceptions=True)


@pytest.mark.parametrize("source", sorted(importers()))
def test_every_importer_survives_mutated_and_random_input(
    source: str, vault_home: Path, tmp_path: Path
) -> None:
    fixtures = fixtures_of(source)
    before = run(["stats", "--json"]).output

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(
        index=st.integers(0, len(fixtures) - 1),
        how=st.sampled_from(
            ["truncate", "flip", "delete-line", "double-bom", "huge-line", "random", "same"]
        ),
        seed=st.integers(0, 2**32),
        random_bytes=st.binary(max_size=4096),
        suffix=st.sampled_from(SUFFIXES),
        forced=st.booleans(),
    )
    def one(
        index: int, how: str, seed: int, random_bytes: bytes, suffix: str, forced: bool
    ) -> None:
        fixture = fixtures[index]
        data = random_bytes if how == "random" else mutate(fixture.read_bytes(), seed, how)
        path = tmp_path / f"input{suffix if how == 'random' else fixture.suffix}"
        path.write_bytes(data)
        chosen = ["--source", source] if forced else []
        check(run(["preview", str(path), *chosen]), path)
        imported = run(["import", str(path), "--me", "Sam", *chosen])
        check(imported, path)
        if imported.exit_code == 1:
            assert run(["stats", "--json"]).output == stats_now[0]
        else:
            stats_now[0] = run(["stats", "--json"]).output

    stats_now = [before]
    one()


def _preview_in_a_process(path: Path, home: Path) -> tuple[int, str, int]:
    """Run `twin preview` on `path` in a fresh process: exit status, stderr, peak memory (MiB)."""
    import os
    import subprocess
    import sys

    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forked parent (pytest, with a
    # model loaded) across exec, while VmHWM belongs to this program's own memory.
    script = (
        "import sys\n"
        "from twin.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    peak = int(status.split('VmHWM:')[1].split()[0])\n"
        "    print(f'PEAK {peak}', file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "preview", "--stats", str(path)],
        env={**os.environ, "TWIN_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    peak = int(done.stderr.rsplit("PEAK ", 1)[-1].split()[0]) // 1024
    return done.returncode, done.stderr.rsplit("PEAK ", 1)[0], peak


def _nested_zip(path: Path) -> None:
    import io
    import zipfile

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("WhatsApp Chat with Ann.txt", "1/1/24, 9:00 AM - Ann: hi\n")
    with zipfile.ZipFile(path, "w") as outer:
        outer.writestr("inner.zip", inner.getvalue())


def _many_members(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for number in range(100_000):
            archive.writestr(f"m{number}.txt", b"")


def _deep_json(path: Path) -> None:
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="ascii")


def _long_line(path: Path) -> None:
    with path.open("wb") as out:
        out.write(b"1/1/24, 9:00 AM - Ann: ")
        block = b"a" * (1 << 20)
        for _ in range(200):
            out.write(block)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("nested.zip", _nested_zip),
        ("many.zip", _many_members),
        ("deep.json", _deep_json),
        ("WhatsApp Chat with Ann.txt", _long_line),
    ],
)
def test_hostile_files_end_in_one_line_with_bounded_memory(
    name: str, make: object, tmp_path: Path, vault_home: Path
) -> None:
    path = tmp_path / name
    make(path)  # type: ignore[operator]
    code, stderr, peak = _preview_in_a_process(path, tmp_path / "twin-home")
    assert code in (0, 1) and "Traceback" not in stderr, stderr[-3000:]
    if code == 1:
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and path.name in lines[0], stderr[-2000:]
    print(f"{name}: exit {code}, peak {peak} MiB")
    assert peak < 800, f"{name}: peak memory {peak} MiB"

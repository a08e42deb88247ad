"""Every folder twin makes in the home is its owner's only (0700), as the files in it are (0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from twin.atomic import write_text
from twin.home import Home, private_folder
from twin.train.presets import TrainConfig
from twin.train.runs import new_run


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The usual umask (022), under which a plain mkdir makes a folder anyone can read."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_run_folder_and_the_runs_folder_are_owner_only(tmp_home: Home) -> None:
    tmp_home.ensure()
    run = new_run(
        tmp_home, base="default", base_dir="", dataset="d", dataset_hash="", config=TrainConfig()
    )
    assert mode(tmp_home.runs) == 0o700
    assert mode(run.folder) == 0o700
    assert mode(run.folder / "run.json") == 0o600


def test_a_file_written_into_a_new_folder_makes_every_missing_folder_owner_only(
    tmp_home: Home,
) -> None:
    tmp_home.ensure()
    report = tmp_home.path / "reports" / "deep" / "eval.html.sealed"
    write_text(report, "sealed")
    assert mode(tmp_home.path / "reports") == 0o700
    assert mode(tmp_home.path / "reports" / "deep") == 0o700
    assert mode(report) == 0o600


def test_the_home_is_made_owner_only_with_its_missing_parents(tmp_path: Path) -> None:
    home = Home(tmp_path / "a" / "b" / "twin")
    home.ensure()
    assert [mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", home.path)] == [0o700] * 3


def test_an_existing_folder_outside_the_home_is_left_as_it_is(tmp_path: Path) -> None:
    mine = tmp_path / "exports"
    mine.mkdir(mode=0o755)
    private_folder(mine / "twin")
    assert mode(mine) == 0o755 and mode(mine / "twin") == 0o700


def test_opening_a_home_tightens_folders_an_older_twin_left_readable(tmp_home: Home) -> None:
    tmp_home.ensure()
    (tmp_home.path / "reports").mkdir(mode=0o755)
    (tmp_home.path / "runs" / "old-run").mkdir(mode=0o755, parents=True)
    (tmp_home.path / "runs").chmod(0o755)
    (tmp_home.path / "notes.txt").write_text("a file is left alone")
    tmp_home.ensure()
    assert mode(tmp_home.path / "reports") == 0o700
    assert mode(tmp_home.path / "runs") == 0o700  # what is below it is reached only through it


def test_a_file_where_a_folder_should_be_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    with pytest.raises(OSError):
        private_folder(tmp_path / "taken" / "below")

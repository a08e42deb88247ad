"""The home server's pieces: the service files, the certificate, jobs across a restart."""

from __future__ import annotations

import plistlib
import stat
import time
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from twin.errors import TwinError
from twin.home import Home
from twin.hub import service
from twin.hub.jobs import JobContext, get_job
from twin.hub.settings import HubSettings
from twin.hub.state import Hub
from twin.hub.tls import certificate, fingerprint


def test_the_service_runs_this_python_on_this_home_without_a_browser(tmp_home: Home) -> None:
    line = service.command_line(tmp_home, True, 8765, None)
    unit = service.systemd_unit(line)
    assert "ExecStart=" in unit and "--no-browser" in unit and "--lan" in unit
    assert str(tmp_home.path) in unit
    plist = plistlib.loads(service.launchd_plist(line).encode())
    assert plist["ProgramArguments"] == line and plist["RunAtLoad"] is True


def test_the_certificate_is_made_once_with_an_owner_only_key(tmp_path: Path) -> None:
    cert, key, first = certificate(tmp_path / "hub", {"192.168.1.10", "sams-laptop.local"})
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(first.split(":")) == 32
    _, _, again = certificate(tmp_path / "hub", set())
    assert again == first == fingerprint(cert)


def test_listening_beyond_this_machine_needs_lan() -> None:
    with pytest.raises(ValueError, match="--lan"):
        HubSettings(host="0.0.0.0")
    assert HubSettings(host="0.0.0.0", lan=True).scheme == "https"


def test_one_job_of_a_kind_at_a_time_and_progress_survives_a_restart(vault_home: Home) -> None:
    hub = Hub(vault_home, HubSettings(open_browser=False))
    hub.unlock(PASSPHRASE)

    def slow(job: JobContext) -> str:
        for step in range(200):
            job.report(force=True, step=step, total=200)
            job.check()
            time.sleep(0.01)
        return "finished"

    first = hub.jobs.start("dataset", {}, slow)
    with pytest.raises(TwinError, match="already running"):
        hub.jobs.start("dataset", {}, slow)
    time.sleep(0.2)
    with hub.open_vault() as vault:
        hub.jobs.cancel(vault, first)
    hub.jobs.wait(first, 10)
    with hub.open_vault() as vault:
        cancelled = get_job(vault, first)
    assert cancelled.status == "cancelled"
    assert cancelled.progress["step"] > 0  # kept in the vault, not only in memory

    second = hub.jobs.start("train", {}, slow)
    time.sleep(0.2)
    restarted = Hub(vault_home, HubSettings(open_browser=False))  # a new hub process
    restarted.unlock(PASSPHRASE)
    with restarted.open_vault() as vault:
        seen = get_job(vault, second)
    assert seen.status == "interrupted" and seen.progress["step"] > 0
    with hub.open_vault() as vault:
        hub.jobs.cancel(vault, second)
    hub.jobs.wait(second, 10)

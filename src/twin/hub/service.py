"""Running the hub in the background on a home machine: a systemd user unit, or launchd."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from twin.errors import TwinError
from twin.home import Home

UNIT = "twin-hub.service"
LABEL = "org.twin.hub"


def unit_path() -> Path:
    return Path.home() / ".config" / "systemd" / "user" / UNIT


def command_line(home: Home, lan: bool, port: int, passphrase_file: Path | None) -> list[str]:
    """How the service starts the hub: this Python, this home, never a browser."""
    line = [sys.executable, "-m", "twin", "--home", str(home.path)]
    if passphrase_file is not None:
        line += ["--passphrase-file", str(passphrase_file.resolve())]
    line += ["hub", "--no-browser", "--port", str(port)]
    return line + (["--lan"] if lan else [])


def systemd_unit(line: list[str]) -> str:
    return (
        "[Unit]\nDescription=twin hub: your digital twin in the browser\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        f"ExecStart={shlex.join(line)}\n"
        "Restart=on-failure\nNoNewPrivileges=yes\nPrivateTmp=yes\n\n"
        "[Install]\nWantedBy=default.target\n"
    )


def launchd_plist(line: list[str]) -> str:
    arguments = "".join(f"    <string>{part}</string>\n" for part in line)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        f"  <key>Label</key><string>{LABEL}</string>\n"
        f"  <key>ProgramArguments</key>\n  <array>\n{arguments}  </array>\n"
        "  <key>RunAtLoad</key><true/>\n  <key>KeepAlive</key><true/>\n"
        "</dict>\n</plist>\n"
    )


def _systemctl(*args: str) -> None:
    if shutil.which("systemctl") is None:
        return
    subprocess.run(["systemctl", "--user", *args], check=False, capture_output=True)


def install(line: list[str]) -> str:
    """Write the unit (or, on macOS, print the plist to save); say what was done."""
    if sys.platform == "darwin":
        path = Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"
        return f"Save this as {path}, then run `launchctl load {path}`:\n\n" + launchd_plist(line)
    if not sys.platform.startswith("linux"):
        raise TwinError("--install-service knows systemd (Linux) and launchd (macOS) only")
    path = unit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(systemd_unit(line), encoding="utf-8")
    _systemctl("daemon-reload")
    return (
        f"Wrote {path}. Start it now and at every login with:\n"
        f"  systemctl --user enable --now {UNIT}\n"
        "(and `loginctl enable-linger` to keep it running while you are logged out)."
    )


def uninstall() -> str:
    if sys.platform == "darwin":
        path = Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"
        return f"Run `launchctl unload {path}` and delete {path}."
    path = unit_path()
    if not path.exists():
        return f"There is no {path}; nothing to remove."
    _systemctl("disable", "--now", UNIT)
    path.unlink()
    _systemctl("daemon-reload")
    return f"Stopped the hub service and removed {path}."

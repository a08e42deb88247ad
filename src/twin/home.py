"""The twin home: the one folder that holds everything twin keeps about you."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def private_folder(path: Path) -> Path:
    """Create `path` and any missing folder above it readable by their owner only (0700).

    A folder that already exists is left as it is: one outside the home may be the user's own.
    """
    missing = []
    folder = path
    while not folder.is_dir():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)  # the umask can only take bits away from 0700
        except FileExistsError:  # made meanwhile by another process
            if not folder.is_dir():
                raise
    return path


def default_home() -> Path:
    """``$TWIN_HOME``, else ``$XDG_DATA_HOME/twin``, else ``~/.local/share/twin``."""
    if env := os.environ.get("TWIN_HOME"):
        return Path(env).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data).expanduser() / "twin"


def model_cache() -> Path:
    """Converted base models, shared by every twin home of this user: ``$TWIN_CACHE``, else
    ``$XDG_CACHE_HOME/twin/models``, else ``~/.cache/twin/models``. They hold no private data."""
    if env := os.environ.get("TWIN_CACHE"):
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "twin" / "models"


@dataclass(frozen=True)
class Home:
    """Paths inside the twin home. Nothing is created until `ensure` is called."""

    path: Path

    @property
    def vault(self) -> Path:
        """The encrypted SQLite file holding every record."""
        return self.path / "vault.db"

    @property
    def key_settings(self) -> Path:
        """How the vault key is derived from the passphrase (salt and cost; not secret)."""
        return self.path / "vault.key.json"

    @property
    def datasets(self) -> Path:
        return self.path / "datasets"

    @property
    def runs(self) -> Path:
        return self.path / "runs"

    @property
    def models(self) -> Path:
        return self.path / "models"

    def ensure(self) -> Path:
        """Create the home folder readable by its owner only (0700), and make each folder in it
        owner-only too (an older twin made some 0755)."""
        private_folder(self.path)
        self.path.chmod(0o700)
        with os.scandir(self.path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and entry.stat().st_mode & 0o077:
                    os.chmod(entry.path, 0o700)
        return self.path

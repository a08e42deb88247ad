"""What the running hub holds: the home, its settings, the unlocked key, sessions and jobs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from twin.errors import TwinError
from twin.home import Home
from twin.hub.activity import DaySummaries
from twin.hub.devices import PairingCodes
from twin.hub.jobs import Jobs, mark_interrupted
from twin.hub.security import Sessions, Throttle
from twin.hub.settings import HubSettings
from twin.memory.embeddings import Embeds, default_embedder
from twin.vault.key import Secret
from twin.vault.vault import Vault


class Locked(TwinError):
    """The hub does not hold the vault key right now."""


@dataclass
class Hub:
    """The state of one running hub. The vault key lives in memory only, from unlock to lock."""

    home: Home
    settings: HubSettings
    fingerprint: str | None = None
    """SHA-256 of the HTTPS certificate, under ``--lan``."""
    key: bytes | None = field(default=None, repr=False)
    sessions: Sessions = field(init=False)
    throttle: Throttle = field(default_factory=Throttle)
    codes: PairingCodes = field(init=False)
    jobs: Jobs = field(init=False)
    summaries: DaySummaries = field(init=False)
    """Recall's day summaries of pushed activity, refreshed a little after each push."""
    chat_lock: threading.Lock = field(default_factory=threading.Lock)
    twin_cache: dict[str, object] = field(default_factory=dict)
    make_embedder: Callable[[], Embeds] = default_embedder
    staged: dict[str, tuple[Path, bool]] = field(default_factory=dict)
    """Files waiting for a preview decision: id -> (path, whether the hub made the copy)."""

    @property
    def staging(self) -> Path:
        """Where uploads are streamed to, inside the home (owner-only), until kept or dropped."""
        folder = self.home.path / "staging"
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        return folder

    def __post_init__(self) -> None:
        self.sessions = Sessions(self.settings.idle_minutes * 60)
        self.codes = PairingCodes(self.settings.pairing_minutes * 60)
        self.jobs = Jobs(self.open_vault)
        self.summaries = DaySummaries(self.open_vault, self.embedder)

    @property
    def has_vault(self) -> bool:
        return self.home.vault.exists()

    @property
    def unlocked(self) -> bool:
        return self.key is not None

    def unlock(self, passphrase: str) -> None:
        """Check the passphrase against the vault and keep the key it yields."""
        if not passphrase:
            raise TwinError("type your vault passphrase")
        self.unlock_with(Secret(passphrase=passphrase))

    def unlock_with(self, secret: Secret) -> None:
        """Check a passphrase or key file's key against the vault and keep the key."""
        key = secret.vault_key(self.home.key_settings)
        with Vault.open(self.home, Secret(key=key)) as vault:
            first = self.key is None
            self.key = key
            if first:
                mark_interrupted(vault)

    def create_vault(self, passphrase: str, again: str) -> None:
        """Make a new vault for a newcomer, as `twin init` does."""
        if len(passphrase) < 8:
            raise TwinError("choose a passphrase of at least 8 characters")
        if passphrase != again:
            raise TwinError("the two passphrases differ")
        Vault.create(self.home, Secret(passphrase=passphrase)).close()
        self.unlock(passphrase)

    def lock(self) -> None:
        """Forget the key and end every browser session."""
        if self.key is not None and self.summaries.pending:
            self.summaries.flush()
        self.key = None
        self.twin_cache.pop("engine", None)
        self.sessions.end_all()

    def embedder(self) -> Embeds:
        """The embedding model recall uses, loaded once."""
        found = self.twin_cache.get("embedder")
        if found is None:
            found = self.make_embedder()
            self.twin_cache["embedder"] = found
        return found  # type: ignore[return-value]

    def open_vault(self) -> Vault:
        """A new connection to the vault; one per request or job, closed by its user."""
        if self.key is None:
            raise Locked("the hub is locked: unlock it with your vault passphrase")
        return Vault.open(self.home, Secret(key=self.key))

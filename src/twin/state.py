"""What every command shares: the twin home and the way to unlock the vault."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from twin.errors import TwinError
from twin.home import Home
from twin.vault import keyring
from twin.vault.key import Secret, read_key_file
from twin.vault.vault import Vault


@dataclass
class State:
    """What every command needs: where the home is and how to unlock the vault."""

    home: Home
    passphrase_file: Path | None = None
    key_file: Path | None = None
    _secret: Secret | None = field(default=None, repr=False)
    _kept: bool = field(default=False, repr=False)

    def secret(self, *, confirm: bool = False) -> Secret:
        """What unlocks the vault, the first found of these.

        The key file, the passphrase file, the key `twin unlock` kept, ``TWIN_PASSPHRASE``,
        or, at a terminal, a prompt.
        """
        if self._secret is not None:
            return self._secret
        if self.key_file is not None:
            self._secret = Secret(key=read_key_file(self.key_file))
        elif self.passphrase_file is not None:
            try:
                text = self.passphrase_file.read_text(encoding="utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as error:
                raise TwinError(
                    f"{self.passphrase_file}: cannot read passphrase ({error})"
                ) from None
            self._secret = Secret(passphrase=text)
        elif not confirm and (kept := keyring.kept_key(self.home)) is not None:
            self._secret, self._kept = Secret(key=kept), True
        elif "TWIN_PASSPHRASE" in os.environ:
            self._secret = Secret(passphrase=os.environ["TWIN_PASSPHRASE"])
        elif sys.stdin.isatty():
            self._secret = Secret(
                passphrase=click.prompt(
                    "Vault passphrase", hide_input=True, confirmation_prompt=confirm
                )
            )
        else:
            raise TwinError(
                "the vault is locked: set TWIN_PASSPHRASE, or use --passphrase-file or --key-file"
            )
        if self._secret.passphrase == "":
            raise TwinError("the passphrase is empty")
        return self._secret

    def open_vault(self) -> Vault:
        """Unlock the vault; a kept key that no longer opens it is dropped, then asked again."""
        try:
            return Vault.open(self.home, self.secret())
        except TwinError:
            if not self._kept:
                raise
            keyring.forget(self.home)
            self._secret, self._kept = None, False
            return Vault.open(self.home, self.secret())


pass_state = click.make_pass_decorator(State)

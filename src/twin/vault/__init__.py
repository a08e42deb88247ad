"""The encrypted local store and the ownership operations on it."""

from twin.vault.key import Secret
from twin.vault.vault import Vault

__all__ = ["Secret", "Vault"]

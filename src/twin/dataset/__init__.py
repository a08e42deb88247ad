"""The dataset builder: from the vault to a clean, reviewable dataset of your own voice.

Importing this package registers the forget hook, so forgetting records also deletes every
dataset built from them.
"""

from twin.dataset.store import register_forget_hook

register_forget_hook()

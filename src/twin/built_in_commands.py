"""Which module adds each of twin's own commands, and the first sentence of its help.

`twin --help` lists these summaries, and a command's module is imported only when that command
runs, so start-up does not pay for every area of twin. tests/test_cli.py checks this list
against the commands themselves: a command added, renamed or reworded without updating it fails.
"""

from __future__ import annotations

BUILT_IN_COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "ask": (
        ("twin.chat.commands",),
        "Ask your twin one thing and print its reply (for scripts).",
    ),
    "backup": (
        ("twin.vault.trust_commands",),
        "Write your whole twin home to PATH as one encrypted file (your passphrase opens it).",
    ),
    "blindtest": (
        ("twin.evaluate.commands",),
        "Tell your real replies from your twin's: pick the real one of two, round by round.",
    ),
    "chat": (
        ("twin.chat.commands",),
        "Talk with your twin.",
    ),
    "check": (
        ("twin.vault.trust_commands",),
        "Check the vault and everything derived from it, and say what is wrong, if anything.",
    ),
    "dataset": (
        ("twin.dataset.commands",),
        "Build and manage datasets of your own voice for fine-tuning.",
    ),
    "eval": (
        ("twin.evaluate.commands",),
        "Measure your twin on held-out replies it never trained on, and on your notes.",
    ),
    "export": (
        ("twin.vault.ownership_commands",),
        "Write everything the vault holds to PATH as JSON Lines (not encrypted).",
    ),
    "forget": (
        ("twin.vault.ownership_commands",),
        "Delete records, and everything derived from them, for good.",
    ),
    "hub": (
        ("twin.hub.commands",),
        "Open twin in your browser: collect, review, train and talk to your twin.",
    ),
    "import": (
        ("twin.vault.commands",),
        "Collect chat exports into your vault.",
    ),
    "init": (
        ("twin.vault.commands",),
        "Create your encrypted vault and explain what twin does with your data.",
    ),
    "journal": (
        ("twin.memory.commands", "twin.voice.commands"),
        "Write and read your journal: short dated entries the twin can recall.",
    ),
    "me": (
        ("twin.vault.commands",),
        "Say which sender is you (in every source), or show what twin knows and who sent what.",
    ),
    "lock": (
        ("twin.vault.unlock_commands",),
        "Lock the vault again now: the next command asks for the passphrase.",
    ),
    "memory": (
        ("twin.memory.commands",),
        "The recall index over your journal and notes (and, if you choose, your messages).",
    ),
    "model": (
        ("twin.train.commands",),
        "Your trained twin as a model file for other tools (llama.cpp, Ollama, Transformers).",
    ),
    "models": (
        ("twin.models.commands",),
        "Base models to train your twin from: the built-in default and ones you add.",
    ),
    "notes": (
        ("twin.memory.commands",),
        "Import, list and forget notes (Markdown and Obsidian, text files, TiddlyWiki).",
    ),
    "passphrase": (
        ("twin.vault.trust_commands",),
        "Your vault's passphrase.",
    ),
    "persona": (
        ("twin.chat.commands",),
        "Show or edit who your twin is: name, short bio and stable facts.",
    ),
    "preview": (
        ("twin.vault.commands",),
        "Print what PATH holds, one JSON object per message, without keeping anything.",
    ),
    "recall": (
        ("twin.memory.commands",),
        "Find the passages of your journal and notes that best answer QUERY.",
    ),
    "refine": (
        ("twin.evaluate.refine_commands",),
        "Continue your twin on what was added since (messages, notes, feedback), "
        "evaluate the candidate against the current twin on the same held-out set, "
        "and keep it only if it is not worse.",
    ),
    "report": (
        ("twin.evaluate.report_commands",),
        "Write an evaluation's HTML report out of the vault to read, or list the reports kept.",
    ),
    "restore": (
        ("twin.vault.trust_commands",),
        "Restore a backup made by `twin backup` into the twin home (it must be empty).",
    ),
    "rules": (
        ("twin.vault.ownership_commands",),
        "List, add and remove your standing consent rules.",
    ),
    "runs": (
        ("twin.train.commands",),
        "Your training runs: settings, dataset, losses and timing.",
    ),
    "say": (
        ("twin.voice.commands",),
        "Speak TEXT aloud, or write it to a WAV file with --out.",
    ),
    "serve": (
        ("twin.chat.commands",),
        "Serve an OpenAI-compatible API (/v1/chat/completions, /v1/models) for your twin.",
    ),
    "sources": (
        ("twin.vault.ownership_commands",),
        "List every import: what, when, from which file, and how many messages it brought.",
    ),
    "stats": (
        ("twin.vault.ownership_commands",),
        "Show what your vault holds: messages, conversations, people and imports.",
    ),
    "train": (
        ("twin.train.commands",),
        "Fine-tune your twin with LoRA on this machine, with settings chosen for its hardware.",
    ),
    "unlock": (
        ("twin.vault.unlock_commands",),
        "Unlock the vault for a while, so the commands in that time don't ask again.",
    ),
    "voice": (
        ("twin.voice.commands",),
        "Speech to text and back, on this machine: voice notes, recordings, twin's voice.",
    ),
}
"""Command name: (the plugin modules that add it, in order; the first sentence of its help)."""

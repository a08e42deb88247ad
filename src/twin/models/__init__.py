"""Base language models: the built-in default, the registry of others, and loading them."""

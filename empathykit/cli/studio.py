"""`empathykit studio`: the embedded local Label Studio."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

app = typer.Typer(help="Run the local Label Studio (own venv, SQLite in ./.empathykit/studio).",
                  no_args_is_help=True)


@app.command("install")
def install_command() -> None:
    """Install Label Studio into its own venv and prepare its database (once; `start` does it when needed)."""
    from empathykit.annotate import server
    from empathykit.cli._common import err_console

    with err_console.status("installing Label Studio") as spinner:
        venv, version = server.install(on_status=spinner.update)
    err_console.print(f"Label Studio {version} is ready in {venv}", highlight=False)


@app.command("start")
def start_command(
    port: Annotated[Optional[int], typer.Option(help="Port on 127.0.0.1 (default: 8080 or the next free one).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server to answer /health.")] = 300.0,
) -> None:
    """Install Label Studio into its own venv if needed, start it on 127.0.0.1, create the admin and its API token."""
    from empathykit.annotate import server
    from empathykit.cli._common import err_console

    with err_console.status("starting Label Studio") as spinner:
        state = server.start(port, timeout=timeout, on_status=spinner.update)
    err_console.print(f"Label Studio {state.label_studio_version} runs at [bold]{state.url}[/] (pid {state.pid})")
    err_console.print(f"log in as {state.admin_email}; password and API token are in "
                      f"{server.connection_file()} (readable only by you)", highlight=False)


@app.command("stop")
def stop_command() -> None:
    """Stop the Label Studio that `studio start` started (and nothing else)."""
    from empathykit.annotate import server
    from empathykit.cli._common import err_console

    stopped = server.stop()
    err_console.print(f"stopped Label Studio at {stopped.url} (pid {stopped.pid})" if stopped
                      else "no local Label Studio was running")


@app.command("status")
def status_command() -> None:
    """Say which Label Studio the commands use and whether the local one runs."""
    from empathykit.annotate import server
    from empathykit.cli._common import print_table

    info = server.status()
    local = info["local"]
    rows = []
    if info["remote_url"]:
        rows.append(["in use (LABEL_STUDIO_URL)", info["remote_url"], "remote", ""])
    if local:
        state = ("running" if local["healthy"] else "not answering") if local["running"] else "stopped"
        rows.append(["local" + ("" if info["remote_url"] else " (in use)"), local["url"], state,
                     f"pid {local['pid']}" if local["pid"] else local["data_dir"]])
    else:
        rows.append(["local", "-", "never started", "run `empathykit studio start`"])
    print_table(f"Label Studio ({info['state_dir']})", ["which", "url", "state", "details"], rows)

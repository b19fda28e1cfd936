"""`empathykit studio`: the embedded local Label Studio."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Run the local Label Studio (own venv; SQLite or a private PostgreSQL in ./.empathykit/studio).",
    no_args_is_help=True,
)

StudioDir = Annotated[
    Path | None,
    typer.Option(
        "--studio-dir",
        help="Studio folder of the server (default: $EMPATHYKIT_STUDIO_DIR, this folder's .empathykit/studio, "
        "else the one running).",
    ),
]
Database = Annotated[
    str | None,
    typer.Option(help="Database of a new studio folder: sqlite (default) or postgres (a private PostgreSQL cluster)."),
]


@app.command("install")
def install_command(database: Database = None) -> None:
    """Install Label Studio into its own venv and prepare its database (once; `start` does it when needed)."""
    from empathykit.cli._common import err_console, progress
    from empathykit.studio import server

    with progress("installing Label Studio") as on_progress:
        venv, version = server.install(database=database, on_progress=on_progress)
    err_console.print(f"Label Studio {version} is ready in {venv}", highlight=False)


@app.command("start")
def start_command(
    port: Annotated[int | None, typer.Option(help="Port on 127.0.0.1 (default: 8080 or the next free one).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server to answer /health.")] = 300.0,
    database: Database = None,
    studio_dir: StudioDir = None,
    new: Annotated[
        bool, typer.Option("--new", help="Start a server for this folder even when one runs elsewhere.")
    ] = False,
) -> None:
    """Install Label Studio into its own venv if needed, start it on 127.0.0.1, create the admin and its API token;
    where a server already runs elsewhere (and this folder has none), say so and use it unless --new."""
    from empathykit.cli._common import err_console, progress
    from empathykit.studio import local, server

    running = None if new else local.running_instead(studio_dir)
    if running is not None:
        folder, other = running
        err_console.print(
            f"a local Label Studio already runs at {other.url} (studio folder {folder}, "
            f"{other.database_label()}); commands run here use it. To start a second one for this "
            "folder, pass --new",
            highlight=False,
            soft_wrap=True,
        )
        return
    with progress("starting Label Studio") as on_progress:
        state = server.start(port, state_dir=studio_dir, timeout=timeout, database=database, on_progress=on_progress)
    conn = local.connection_file(studio_dir.resolve() if studio_dir else None)
    err_console.print(
        f"Label Studio {state.label_studio_version} runs at [bold]{state.url}[/] (pid {state.pid}) "
        f"on {state.database_label()}"
    )
    err_console.print(
        f"log in as {state.admin_email}; password and API token are in {conn} (readable only by you); "
        "`empathykit studio status` shows how to call the API",
        highlight=False,
    )


@app.command("stop")
def stop_command(studio_dir: StudioDir = None) -> None:
    """Stop the Label Studio that `studio start` started, and its PostgreSQL (nothing else)."""
    from empathykit.cli._common import err_console
    from empathykit.studio import server

    stopped = server.stop(state_dir=studio_dir)
    err_console.print(
        f"stopped Label Studio at {stopped.url} (pid {stopped.pid})"
        if stopped
        else "no local Label Studio was running",
        highlight=False,
    )


@app.command("status")
def status_command(studio_dir: StudioDir = None) -> None:
    """Say which Label Studio the commands use, whether the local one runs, and how to call its API."""
    from empathykit.cli._common import err_console, print_table
    from empathykit.studio import local, server

    info = server.status(state_dir=studio_dir)
    local_info = info["local"]
    rows = []
    if info["remote_url"]:
        rows.append(["in use (LABEL_STUDIO_URL)", info["remote_url"], "remote", ""])
    if local_info:
        state = ("running" if local_info["healthy"] else "not answering") if local_info["running"] else "stopped"
        rows.append(
            [
                "local" + ("" if info["remote_url"] else " (in use)"),
                local_info["url"],
                state,
                f"pid {local_info['pid']}" if local_info["pid"] else local_info["data_dir"],
            ]
        )
    else:
        rows.append(["local", "-", "never started", "" if info["elsewhere"] else "run `empathykit studio start`"])
    for other in info["elsewhere"]:
        rows.append(
            ["other studio folder", other["url"], "running", f"{other['studio_dir']} ({other['database_label']})"]
        )
    print_table(f"Label Studio ({info['state_dir']}, {info['found']})", ["which", "url", "state", "details"], rows)
    if local_info:
        conn = Path(local_info["connection_file"])
        print(f"url:      {local_info['url']}")
        print(f"login:    {local_info['admin_email']} (password: admin_password in {conn})")
        print(f"database: {local_info['database_label']}")
        print(f"api:      {local.api_example(local_info['url'], conn)}")
    if len(info["elsewhere"]) > 1 and not local_info:
        err_console.print(
            f"hint: {len(info['elsewhere'])} local servers run; commands need one chosen: set "
            f"{local.STUDIO_DIR_VARIABLE}=DIR (`studio` commands also take --studio-dir)",
            highlight=False,
            soft_wrap=True,
        )
    elif info["elsewhere"] and not (local_info and local_info["running"]):
        other = info["elsewhere"][0]
        err_console.print(f"hint: {local.use_running_hint(Path(other['studio_dir']), other['url'])}", highlight=False)

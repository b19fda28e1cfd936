"""`empathykit serve`: trained model folders as a Label Studio ML backend."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from empathykit.errors import TORCH_FIRST, MissingDependencyError, absent_modules

#: module -> the extra that installs it: the model's libraries and the loop extra's web server
NEEDS = {"torch": "train", "transformers": "train", "fastapi": "loop", "uvicorn": "loop"}


def serve_command(
    model_dir: Annotated[
        list[Path],
        typer.Argument(
            help="Model folder(s) `empathykit train` wrote (one to three for EPITOME, one per mechanism), or a loop folder: its newest model is served, and each newer one the loop writes is swapped in."
        ),
    ],
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 9090,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to listen on (0.0.0.0 to reach it from other machines: pass --auth-user then)."
        ),
    ] = "127.0.0.1",
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            "-s",
            help="Schema of the projects served (default: recognised from each project's labeling config).",
        ),
    ] = None,
    schema_option: Annotated[
        list[str], typer.Option("--schema-option", "-O", help="Schema option KEY=VALUE (repeatable).")
    ] = [],
    label_map: Annotated[
        str | None, typer.Option(help="Model label to schema label, e.g. LABEL_0=none,LABEL_1=seeking.")
    ] = None,
    auth_user: Annotated[
        str | None,
        typer.Option(
            "--auth-user",
            help="Require HTTP basic auth as this user on every route but /health; the password is read from EMPATHYKIT_SERVE_PASSWORD.",
        ),
    ] = None,
    max_tasks: Annotated[
        int, typer.Option("--max-tasks", min=1, help="Most tasks one /predict request may hold (more: HTTP 413).")
    ] = 10_000,
    max_text_bytes: Annotated[
        int,
        typer.Option(
            "--max-text-bytes", min=1, help="Most UTF-8 bytes of one task's text (more: that task gets an error)."
        ),
    ] = 100_000,
) -> None:
    """Serve model predictions to Label Studio (GET /health, POST /setup, /predict, /webhook); connect a project with `annotate connect`."""
    require_libraries()  # before anything is read or loaded
    from empathykit.cli._common import err_console, progress, schema_options
    from empathykit.schemas import get_schema
    from empathykit.serve.app import check_port, serve
    from empathykit.serve.auth import credentials_from_env
    from empathykit.serve.backend import Backend, check_model
    from empathykit.serve.tasks import Limits

    credentials = credentials_from_env(auth_user)
    limits = Limits(max_tasks=max_tasks, max_text_bytes=max_text_bytes)
    chosen = get_schema(schema, **schema_options(schema_option)) if schema else None
    check_model(model_dir)
    check_port(host, port)

    def log(line: str) -> None:
        err_console.print(line, highlight=False, markup=False, soft_wrap=True)

    with progress("loading the model"):
        backend = Backend(model_dir, schema=chosen, label_map=label_map, limits=limits, log=log)
    log(
        f"model {backend.model.version} ({backend.model.family}) loaded"
        + (f"; following the loop folder {backend.loop_dir}" if backend.loop_dir else "")
    )
    serve(
        backend,
        host=host,
        port=port,
        credentials=credentials,
        log=log,
        on_ready=lambda url: log(
            f"serving at {url}; connect a project with: empathykit annotate connect -p PROJECT --url {url}"
            + (f" --auth-user {credentials.user}" if credentials else "")
        ),
    )


def require_libraries() -> None:
    """One line naming the install when a library ``serve`` runs on is missing (found without importing it)."""
    missing = absent_modules(NEEDS)
    if not missing:
        return
    extras = ",".join(sorted({NEEDS[name] for name in missing}))
    raise MissingDependencyError(
        f"serve needs libraries that are not installed: {', '.join(missing)}",
        hint=(TORCH_FIRST if "torch" in missing else "") + f'.venv/bin/pip install -e ".[{extras}]" in the checkout',
    )

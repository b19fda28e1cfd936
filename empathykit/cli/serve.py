"""`empathykit serve`: trained model folders as a Label Studio ML backend."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def serve_command(
    model_dir: Annotated[list[Path], typer.Argument(help="Model folder(s) `empathykit train` wrote (one to three for EPITOME, one per mechanism), or a loop folder: its newest model is served.")],
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 9090,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0 to reach it from other machines).")] = "127.0.0.1",
    schema: Annotated[Optional[str], typer.Option("--schema", "-s", help="Schema of the projects served (default: recognised from each project's labeling config).")] = None,
    schema_option: Annotated[list[str], typer.Option("--schema-option", "-O", help="Schema option KEY=VALUE (repeatable).")] = [],  # noqa: B006
    label_map: Annotated[Optional[str], typer.Option(help="Model label to schema label, e.g. LABEL_0=none,LABEL_1=seeking.")] = None,
) -> None:
    """Serve model predictions to Label Studio (GET /health, POST /setup, /predict, /webhook); connect a project with `annotate connect`."""
    from empathykit.cli._common import err_console, progress, schema_options
    from empathykit.schemas import get_schema
    from empathykit.serve.app import check_port, serve
    from empathykit.serve.backend import Backend

    chosen = get_schema(schema, **schema_options(schema_option)) if schema else None
    check_port(host, port)
    with progress("loading the model"):
        backend = Backend(model_dir, schema=chosen, label_map=label_map)
    err_console.print(f"model {backend.model.version} ({backend.model.family.name}) loaded", highlight=False)
    serve(backend, host=host, port=port, on_ready=lambda url: err_console.print(
        f"serving at {url}; connect a project with: empathykit annotate connect -p PROJECT --url {url}",
        highlight=False, soft_wrap=True))

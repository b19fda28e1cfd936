"""The HTTP side of ``empathykit serve``: a FastAPI app speaking Label Studio's ML backend contract.

Handlers are plain (``def``) functions, so FastAPI runs them in its thread pool: a long
``/predict`` never blocks ``/health``, which Label Studio calls with a one-second timeout
before every prediction. A refused ``/setup`` answers HTTP 400 with ``{"error": message}``;
Label Studio shows the failure when the backend is added and marks the backend as errored.
"""

from __future__ import annotations

import socket
from typing import Any, Callable

from empathykit.errors import EmpathykitError, InputError
from empathykit.serve.backend import Backend


def create_app(backend: Backend):
    from fastapi import Body, FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI(title="empathykit ML backend", docs_url=None, redoc_url=None)

    def refused(error: Exception, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": str(error), "status": "error"}, status_code=status)

    @app.get("/health")
    @app.get("/")
    def health() -> dict[str, Any]:
        return backend.health()

    @app.post("/setup")
    def setup(body: dict = Body(default_factory=dict)):  # noqa: B008 - FastAPI's way to take any JSON object
        try:
            return backend.setup(str(body.get("schema") or body.get("label_config") or ""))
        except EmpathykitError as error:
            return refused(error)

    @app.post("/predict")
    def predict(body: dict = Body(default_factory=dict)):  # noqa: B008
        tasks = body.get("tasks")
        if not isinstance(tasks, list):
            return refused(InputError("the request has no list of 'tasks'"))
        try:
            return backend.predict(tasks, str(body.get("label_config") or ""))
        except EmpathykitError as error:
            return refused(error)

    @app.post("/webhook")
    def webhook(body: dict = Body(default_factory=dict)):  # noqa: B008
        return backend.webhook(body)

    return app


def check_port(host: str, port: int) -> None:
    """One line when the port is taken, before any model is loaded."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            raise InputError(f"port {port} on {host} is in use",
                             hint="pass another --port, or stop the process listening there") from None


def serve(backend: Backend, *, host: str = "127.0.0.1", port: int = 9090,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Run the server until Ctrl-C (uvicorn, one process: the models are in this one's memory)."""
    import uvicorn

    check_port(host, port)
    if on_ready:
        on_ready(f"http://{host}:{port}")
    uvicorn.run(create_app(backend), host=host, port=port, log_level="warning", access_log=False)

"""The HTTP side of ``empathykit serve``: a FastAPI app speaking Label Studio's ML backend contract.

The model runs in FastAPI's thread pool, so a long ``/predict`` never blocks ``/health``, which
Label Studio calls with a one-second timeout before every prediction. Every answer that is not a
prediction is ``{"error": message, "status": "error"}``: 400 for a request that cannot be read
or a project the model cannot fill, 401 without the credentials (``serve --auth-user``; every
route but ``/health``), 413 over the limits (:class:`~empathykit.serve.tasks.Limits`). A 500 means
a defect here, never bad input: a task the model cannot read gets its own ``{"error"}`` in
``results``. Label Studio shows a refused ``/setup`` when the backend is added.
"""

# no ``from __future__ import annotations``: FastAPI reads the handlers' annotations (Request,
# HTTPBasicCredentials), which are imported inside functions and so must be evaluated where defined
import json
import sys
from typing import Any, Callable

from empathykit.errors import EmpathykitError, InputError
from empathykit.serve.auth import PASSWORD_ENV, Credentials, exposure_warning
from empathykit.serve.backend import Backend
from empathykit.serve.tasks import TooLarge, check_count
from empathykit.studio.ports import port_is_free


def create_app(backend: Backend, credentials: Credentials | None = None):
    from fastapi import Depends, FastAPI, HTTPException, Request
    from fastapi.concurrency import run_in_threadpool
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    app = FastAPI(title="empathykit ML backend", docs_url=None, redoc_url=None, openapi_url=None)
    guarded = [Depends(_guard(credentials))] if credentials else []

    def refused(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"error": message, "status": "error"}, status_code=status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
        return refused(str(error.detail), error.status_code, getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def unreadable(_request: Request, error: RequestValidationError) -> JSONResponse:
        return refused(f"the request cannot be read: {error.errors()[:1]}", 400)

    @app.exception_handler(EmpathykitError)
    async def typed_error(_request: Request, error: EmpathykitError) -> JSONResponse:
        status = 413 if isinstance(error, TooLarge) else 400
        return refused(str(error) + (f" ({error.hint})" if error.hint else ""), status)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return backend.health(private=credentials is None)

    @app.get("/", dependencies=guarded)
    def index() -> dict[str, Any]:
        return backend.health(private=True)

    # the body is read here, within its limit; parsing it and the model run on one pool thread
    # (a thread hop costs a scheduler slice on a busy machine, so one, not one per step)
    @app.post("/setup", dependencies=guarded)
    async def setup(request: Request):
        return await run_in_threadpool(_setup, backend, await _raw(request, backend.limits.max_body_bytes))

    @app.post("/predict", dependencies=guarded)
    async def predict(request: Request):
        return await run_in_threadpool(_predict, backend, await _raw(request, backend.limits.max_body_bytes))

    @app.post("/webhook", dependencies=guarded)
    async def webhook(request: Request):
        return await run_in_threadpool(_webhook, backend, await _raw(request, backend.limits.max_body_bytes))

    return app


def _setup(backend: Backend, raw: bytes) -> dict[str, Any]:
    body = _json_object(raw)
    config = body.get("schema") or body.get("label_config") or ""
    return backend.setup(config if isinstance(config, str) else "")


def _predict(backend: Backend, raw: bytes) -> dict[str, Any]:
    body = _json_object(raw)
    tasks, config = body.get("tasks"), body.get("label_config")
    if not isinstance(tasks, list):
        raise InputError(
            'the request has no list of \'tasks\' (Label Studio sends {"tasks": [...], "label_config": ...})'
        )
    check_count(tasks, backend.limits)
    return backend.predict(tasks, config if isinstance(config, str) else "")


def _webhook(backend: Backend, raw: bytes) -> dict[str, Any]:
    return backend.webhook(_json_object(raw))


def _guard(credentials: Credentials) -> Callable[..., None]:
    from fastapi import Depends, HTTPException
    from fastapi.security import HTTPBasic, HTTPBasicCredentials

    basic = HTTPBasic(auto_error=False, realm="empathykit")

    def guard(given: HTTPBasicCredentials | None = Depends(basic)) -> None:
        if given is None or not credentials.match(given.username, given.password):
            raise HTTPException(
                401,
                "this server needs its HTTP basic auth user and password "
                "(annotate connect --auth-user, password in " + PASSWORD_ENV + ")",
                headers=basic.make_authenticate_headers(),
            )

    return guard


async def _raw(request: Any, limit: int) -> bytes:
    """The request's body, read no further than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the request body is {int(declared):,} bytes; this server reads at most {limit:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the request body is over {limit:,} bytes, the most this server reads")
        chunks.append(chunk)
    return b"".join(chunks)


def _json_object(raw: bytes) -> dict[str, Any]:
    """The JSON object a body holds (``{}`` when empty); ``InputError`` for anything else."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise InputError(f"the request body is not JSON ({type(error).__name__}: {str(error)[:80]})") from None
    if not isinstance(body, dict):
        raise InputError(f"the request body is a JSON {type(body).__name__}, not an object")
    return body


def check_port(host: str, port: int) -> None:
    """One line when something listens on the port, before any model is loaded."""
    if not port_is_free(port, host):
        raise InputError(
            f"port {port} on {host} is in use", hint="pass another --port, or stop the process listening there"
        )


def serve(
    backend: Backend,
    *,
    host: str = "127.0.0.1",
    port: int = 9090,
    credentials: Credentials | None = None,
    on_ready: Callable[[str], None] | None = None,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> None:
    """Run the server until Ctrl-C (uvicorn, one process: the models are in this one's memory)."""
    import uvicorn

    check_port(host, port)
    warning = exposure_warning(host, credentials)
    if warning:
        log(warning)
    if on_ready:
        on_ready(f"http://{host}:{port}")
    try:
        uvicorn.run(create_app(backend, credentials), host=host, port=port, log_level="warning", access_log=False)
    finally:
        backend.close()

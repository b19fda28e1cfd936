"""Which Label Studio to talk to, and the SDK client wrapper every command uses.

One rule resolves the connection: ``LABEL_STUDIO_URL`` and
``LABEL_STUDIO_API_KEY`` from the environment (a remote server) win;
otherwise the local server's ``connection.json`` written by ``empathykit
studio start``, in the studio folder :func:`empathykit.studio.local.locate`
finds (this folder's, the one running server, or the one chosen with
``--studio-dir``/``$EMPATHYKIT_STUDIO_DIR``). The API key may be a personal access token or
a legacy token: the SDK tells them apart. Errors name the URL tried and how to
start or configure a server; the key itself never appears anywhere.

Every request has a connect timeout of :data:`empathykit.studio.timeouts.CONNECT_TIMEOUT` seconds and a
read timeout of :data:`~empathykit.studio.timeouts.READ_TIMEOUT` (the longest silence between bytes),
unless the request passes a longer one it needs (building an export
snapshot). ``EMPATHYKIT_STUDIO_CONNECT_TIMEOUT`` and
``EMPATHYKIT_STUDIO_TIMEOUT`` override them. The SDK's own retries are off: it
would resend a task import whose answer was lost, and so import it twice.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx

from empathykit.errors import StudioConnectionError, StudioError
from empathykit.studio.local import ServerState, connection_file, is_running, locate, use_running_hint
from empathykit.studio.timeouts import timeouts

START_HINT = (
    "start the local one with `empathykit studio start`, or point to a server with "
    "LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY"
)


@dataclass(frozen=True)
class Connection:
    """A Label Studio URL and the API key to use there; ``source`` says where
    they came from (``"environment"`` or the connection file's path)."""

    url: str
    api_key: str = field(repr=False)
    source: str = "environment"

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", self.url.rstrip("/"))


def resolve_connection(state_dir: Path | None = None) -> Connection:
    """``(url, api key)`` from the environment, else from the local server's
    file in ``state_dir`` (default: the studio folder ``locate`` finds)."""
    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    if url and key:
        return Connection(url, key, "environment")
    if url or key:
        missing = "LABEL_STUDIO_API_KEY" if url else "LABEL_STUDIO_URL"
        raise StudioError(
            f"{missing} is not set (LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY go together)",
            hint="set both to use a remote Label Studio, or unset both to use the local one",
        )
    located = locate(state_dir)
    path = connection_file(located.studio_dir)
    state = ServerState.load(path)
    if located.elsewhere and not is_running(state):
        what = "is stopped" if state else "was never started"
        raise StudioConnectionError(
            f"the local Label Studio of {located.studio_dir} {what}",
            hint=use_running_hint(located.elsewhere[0][0], located.elsewhere[0][1].url),
        )
    if state is None or not state.api_key:
        raise StudioError(f"no Label Studio configured (no {path})", hint=START_HINT)
    return Connection(state.url, state.api_key, str(path))


class StudioClient:
    """The ``label_studio_sdk.LabelStudio`` client of one connection, with its
    errors turned into ``StudioError`` (use ``with client.call("what"):``).

    ``sdk`` is the SDK client; ``http`` its authenticated httpx client for the
    few endpoints the SDK does not wrap (streamed export)."""

    def __init__(self, connection: Connection, *, timeout: float | None = None):
        from label_studio_sdk import LabelStudio
        from label_studio_sdk.core.api_error import ApiError

        self.connection = connection
        self.url = connection.url
        self.timeout = timeouts(timeout)
        try:
            self.sdk = LabelStudio(
                base_url=connection.url, api_key=connection.api_key, timeout=self.timeout, max_retries=0
            )
        except ApiError as error:  # an expired or malformed personal access token
            raise self._refused(error.status_code) from None

    # -- errors ----------------------------------------------------------------
    def _refused(self, status: int | None) -> StudioError:
        return StudioError(
            f"Label Studio at {self.url} refused the API key (HTTP {status}) from {self.connection.source}",
            hint="use a valid personal access token or legacy token in LABEL_STUDIO_API_KEY, "
            "or run `empathykit studio start` for the local server",
        )

    @contextlib.contextmanager
    def call(self, what: str) -> Iterator[None]:
        """Turn SDK and network failures inside the block into ``StudioError``."""
        from label_studio_sdk.core.api_error import ApiError

        try:
            yield
        except ApiError as error:
            if error.status_code in (401, 403):
                raise self._refused(error.status_code) from None
            raise StudioError(
                f"{what}: Label Studio at {self.url} answered HTTP {error.status_code}: {short_body(error.body)}"
            ) from None
        except httpx.ConnectTimeout:
            raise StudioConnectionError(
                f"{what}: could not connect to Label Studio at {self.url} within {self.timeout.connect:g} s",
                hint=START_HINT,
            ) from None
        except httpx.TimeoutException:
            raise StudioConnectionError(
                f"{what}: Label Studio at {self.url} accepted the connection but did not answer "
                f"within {self.timeout.read:g} s",
                hint="the server hangs or is overloaded: check it (its log, `empathykit studio "
                "status`); EMPATHYKIT_STUDIO_TIMEOUT sets the wait in seconds",
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
            raise StudioConnectionError(
                f"{what}: the connection to Label Studio at {self.url} dropped ({type(error).__name__})",
                hint=START_HINT,
            ) from None
        except httpx.HTTPError as error:
            raise StudioConnectionError(
                f"{what}: cannot reach Label Studio at {self.url} ({type(error).__name__})", hint=START_HINT
            ) from None

    def check(self) -> dict[str, Any]:
        """The current user (id, email); fails fast on a wrong URL or key."""
        with self.call("checking the connection"):
            me = self.sdk.users.whoami()
        return {"id": me.id, "email": me.email}

    # -- raw HTTP for what the SDK lacks -------------------------------------------
    def request(self, method: str, path: str, *, what: str | None = None, **kwargs: Any) -> httpx.Response:
        """An authenticated request through the SDK's own httpx client; raises
        ``StudioError`` (starting with ``what``) on non-2xx answers. A ``timeout`` in
        seconds is the read timeout; the connect timeout stays short."""
        wrapper = self.sdk._client_wrapper
        if isinstance(kwargs.get("timeout"), (int, float)):
            kwargs["timeout"] = timeouts(kwargs["timeout"])
        with self.call(what or f"{method} {path}"):
            response = wrapper.httpx_client.httpx_client.request(
                method, f"{self.url}/{path.lstrip('/')}", headers=wrapper.get_headers(), **kwargs
            )
            if response.status_code >= 400:
                from label_studio_sdk.core.api_error import ApiError

                raise ApiError(status_code=response.status_code, body=response.text)
        return response

    @contextlib.contextmanager
    def stream(self, method: str, path: str, *, what: str | None = None, **kwargs: Any) -> Iterator[httpx.Response]:
        wrapper = self.sdk._client_wrapper
        if isinstance(kwargs.get("timeout"), (int, float)):
            kwargs["timeout"] = timeouts(kwargs["timeout"])
        with self.call(what or f"{method} {path}"):
            with wrapper.httpx_client.httpx_client.stream(
                method, f"{self.url}/{path.lstrip('/')}", headers=wrapper.get_headers(), **kwargs
            ) as response:
                if response.status_code >= 400:
                    from label_studio_sdk.core.api_error import ApiError

                    raise ApiError(status_code=response.status_code, body=response.read().decode(errors="replace"))
                yield response


def batches_arrived(error: StudioConnectionError, done: int, total: int, tasks_done: int) -> StudioConnectionError:
    """``error`` of batch ``done + 1`` of ``total``, saying what certainly arrived and that re-running is safe."""
    arrived = (
        f"batches 1-{done} of {total} ({tasks_done} tasks) certainly arrived" if done else "no batch certainly arrived"
    )
    return StudioConnectionError(
        f"{error}; {arrived}, batch {done + 1} may or may not have",
        hint="re-running the same push is safe: items already in the project are skipped "
        "and only the rest are imported",
    )


def short_body(body: Any, limit: int = 300) -> str:
    text = body if isinstance(body, str) else repr(body)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def connect(connection: Connection | None = None, *, check: bool = True) -> StudioClient:
    """A checked client for ``connection`` (resolved when ``None``)."""
    client = StudioClient(connection or resolve_connection())
    if check:
        client.check()
    return client

"""Which Label Studio to talk to, and the SDK client wrapper every command uses.

One rule resolves the connection: ``LABEL_STUDIO_URL`` and
``LABEL_STUDIO_API_KEY`` from the environment (a remote server) win;
otherwise the local server's ``project_dir()/studio/connection.json`` written
by ``empathykit studio start``. The API key may be a personal access token or
a legacy token: the SDK tells them apart. Errors name the URL tried and how to
start or configure a server; the key itself never appears anywhere.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx

from empathykit.errors import StudioError

START_HINT = ("start the local one with `empathykit studio start`, or point to a server with "
              "LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")


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
    """``(url, api key)`` from the environment, else from the local server's file."""
    from empathykit.annotate.server import ServerState, connection_file

    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    if url and key:
        return Connection(url, key, "environment")
    if url or key:
        missing = "LABEL_STUDIO_API_KEY" if url else "LABEL_STUDIO_URL"
        raise StudioError(f"{missing} is not set (LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY go together)",
                          hint="set both to use a remote Label Studio, or unset both to use the local one")
    path = connection_file(state_dir)
    state = ServerState.load(path)
    if state is None or not state.api_key:
        raise StudioError(f"no Label Studio configured (no {path})", hint=START_HINT)
    return Connection(state.url, state.api_key, str(path))


class StudioClient:
    """The ``label_studio_sdk.LabelStudio`` client of one connection, with its
    errors turned into ``StudioError`` (use ``with client.call("what"):``).

    ``sdk`` is the SDK client; ``http`` its authenticated httpx client for the
    few endpoints the SDK does not wrap (streamed export)."""

    def __init__(self, connection: Connection, *, timeout: float = 300.0):
        from label_studio_sdk import LabelStudio
        from label_studio_sdk.core.api_error import ApiError

        self.connection = connection
        self.url = connection.url
        try:
            self.sdk = LabelStudio(base_url=connection.url, api_key=connection.api_key, timeout=timeout)
        except ApiError as error:  # an expired or malformed personal access token
            raise self._refused(error.status_code) from None

    # -- errors ----------------------------------------------------------------
    def _refused(self, status: int | None) -> StudioError:
        return StudioError(f"Label Studio at {self.url} refused the API key (HTTP {status}) "
                           f"from {self.connection.source}",
                           hint="use a valid personal access token or legacy token in LABEL_STUDIO_API_KEY, "
                                "or run `empathykit studio start` for the local server")

    @contextlib.contextmanager
    def call(self, what: str) -> Iterator[None]:
        """Turn SDK and network failures inside the block into ``StudioError``."""
        from label_studio_sdk.core.api_error import ApiError

        try:
            yield
        except ApiError as error:
            if error.status_code in (401, 403):
                raise self._refused(error.status_code) from None
            raise StudioError(f"{what}: Label Studio at {self.url} answered HTTP {error.status_code}: "
                              f"{short_body(error.body)}") from None
        except httpx.TimeoutException:
            raise StudioError(f"{what}: Label Studio at {self.url} did not answer in time") from None
        except httpx.HTTPError as error:
            raise StudioError(f"{what}: cannot reach Label Studio at {self.url} ({type(error).__name__})",
                              hint=START_HINT) from None

    def check(self) -> dict[str, Any]:
        """The current user (id, email); fails fast on a wrong URL or key."""
        with self.call("checking the connection"):
            me = self.sdk.users.whoami()
        return {"id": me.id, "email": me.email}

    # -- raw HTTP for what the SDK lacks -------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An authenticated request through the SDK's own httpx client; raises
        ``StudioError`` on non-2xx answers."""
        wrapper = self.sdk._client_wrapper
        with self.call(f"{method} {path}"):
            response = wrapper.httpx_client.httpx_client.request(
                method, f"{self.url}/{path.lstrip('/')}", headers=wrapper.get_headers(), **kwargs)
            if response.status_code >= 400:
                from label_studio_sdk.core.api_error import ApiError

                raise ApiError(status_code=response.status_code, body=response.text)
        return response

    @contextlib.contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        wrapper = self.sdk._client_wrapper
        with self.call(f"{method} {path}"):
            with wrapper.httpx_client.httpx_client.stream(
                    method, f"{self.url}/{path.lstrip('/')}", headers=wrapper.get_headers(), **kwargs) as response:
                if response.status_code >= 400:
                    from label_studio_sdk.core.api_error import ApiError

                    raise ApiError(status_code=response.status_code, body=response.read().decode(errors="replace"))
                yield response


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

"""``annotate connect``: register a running ``empathykit serve`` with a Label Studio project.

Through the SDK: the backend is added to the project (Label Studio itself calls its
``/health`` and ``/setup`` and refuses it when setup fails; ours refuses a schema its
model cannot fill), and pre-labelling is turned on: ``show_collab_predictions`` (annotators
see the predictions), ``evaluate_predictions_automatically`` (a task opened without one
asks the backend) and the project's ``model_version`` set to the backend (its title). Re-running
updates the backend registered at the same URL instead of adding a second one.

A server started with ``serve --auth-user USER`` is registered with the same credentials in
Label Studio's basic-auth fields (``auth_method=BASIC_AUTH``), which it then sends on every call;
Label Studio never shows the password again (``basic_auth_pass`` is write-only).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from empathykit.annotate import projects as prj
from empathykit.annotate.connection import Connection, connect, short_body
from empathykit.errors import StudioError
from empathykit.serve.auth import Credentials


@dataclass
class ConnectReport:
    project_id: int
    project_title: str
    project_url: str
    backend_id: int
    url: str
    model_version: str
    title: str
    created: bool


def connect_backend(
    project: str | int,
    url: str,
    *,
    title: str | None = None,
    connection: Connection | None = None,
    timeout: float = 100.0,
    credentials: Credentials | None = None,
) -> ConnectReport:
    """Add the backend at ``url`` to ``project`` (title or id) and turn pre-labelling on; ``credentials``
    for a server started with ``serve --auth-user``."""
    url = url.rstrip("/")
    client = connect(connection)
    ref = prj.require_project(client, project)
    version = _backend_version(url, ref.label_config, credentials)
    with client.call(f"listing the ML backends of project {ref.id}"):
        existing = [b for b in client.sdk.ml.list(project=ref.id) if (b.url or "").rstrip("/") == url]
    fields = {
        "title": title or f"empathykit {version}",
        "is_interactive": False,
        "auto_update": True,
        "timeout": timeout,
        "auth_method": "NONE",
    }
    if credentials is not None:
        fields.update(auth_method="BASIC_AUTH", basic_auth_user=credentials.user, basic_auth_pass=credentials.password)
    with client.call(f"registering the ML backend {url} with project {ref.id}"):
        if existing:
            backend = client.sdk.ml.update(existing[0].id, project=ref.id, url=url, **fields)  # LS needs project here
        else:
            backend = client.sdk.ml.create(project=ref.id, url=url, **fields)
    with client.call(f"turning pre-labelling on in project {ref.id}"):
        # a project's model_version names a live model by its backend's title; the stored predictions
        # carry the served model's own version
        client.sdk.projects.update(
            ref.id, show_collab_predictions=True, evaluate_predictions_automatically=True, model_version=backend.title
        )
    return ConnectReport(
        project_id=ref.id,
        project_title=ref.title,
        project_url=ref.url,
        backend_id=backend.id,
        url=url,
        model_version=version,
        title=backend.title or "",
        created=not existing,
    )


def _backend_version(url: str, label_config: str, credentials: Credentials | None) -> str:
    """Ask the backend what Label Studio will ask, so its refusal reads as one line here."""
    auth = (credentials.user, credentials.password) if credentials else None
    try:
        health = httpx.get(f"{url}/health", timeout=5.0)
        answer = httpx.post(f"{url}/setup", json={"schema": label_config, "project": "check"}, auth=auth, timeout=30.0)
    except httpx.HTTPError as error:
        raise StudioError(
            f"no ML backend answers at {url} ({type(error).__name__})",
            hint="start it first: empathykit serve MODEL_DIR --port PORT",
        ) from None
    if health.status_code != 200 or _json(health).get("status") != "UP":
        raise StudioError(f"{url}/health answered HTTP {health.status_code}: {short_body(health.text)}")
    if answer.status_code == 401:
        raise StudioError(
            f"the ML backend at {url} needs credentials" + (" and refused these" if credentials else ""),
            hint="pass the user it was started with as --auth-user, the password in EMPATHYKIT_SERVE_PASSWORD",
        )
    if answer.status_code != 200:
        reason = _json(answer).get("error") or answer.text
        raise StudioError(
            f"the ML backend at {url} refuses this project: {short_body(str(reason))}",
            hint="serve a model trained for the project's schema",
        )
    return str(_json(answer).get("model_version") or "")


def _json(response: httpx.Response) -> dict:
    """The JSON object of an answer, ``{}`` when it is none (another server on that port)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

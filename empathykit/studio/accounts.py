"""Label Studio accounts through its web forms, for what its API lacks.

Label Studio Community has no API to create a user with a password or to
mint a personal access token (PAT) for someone else: accounts are made by
signing up through the organization's invite link, and a PAT is created by
the logged-in user (``POST /api/token/``, one per user). These helpers do
exactly that with a cookie session, so every account is a real, loginable
Label Studio user. Passwords and tokens never appear in errors.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import httpx

from empathykit.errors import StudioError
from empathykit.studio.timeouts import timeouts


@dataclass
class Account:
    """A Label Studio user created or logged in by empathykit.

    ``api_key`` is the user's personal access token (a JWT refresh token the
    SDK exchanges for short-lived access tokens); ``password`` is set only
    when empathykit created the account."""

    id: int
    email: str
    api_key: str = field(repr=False)
    password: str | None = field(default=None, repr=False)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _form_session(url: str, path: str, timeout: float | None) -> httpx.Client:
    session = httpx.Client(base_url=url, timeout=timeouts(timeout))  # short connect, as for every request
    try:
        session.get(path)
    except httpx.HTTPError as error:
        session.close()
        raise StudioError(f"cannot reach Label Studio at {url} ({type(error).__name__})") from None
    if "csrftoken" not in session.cookies:
        session.close()
        raise StudioError(f"Label Studio at {url} served no login form at {path}")
    return session


def _post_form(session: httpx.Client, path: str, data: dict, params: dict | None = None) -> httpx.Response:
    csrf = session.cookies["csrftoken"]
    return session.post(
        path,
        params=params,
        data={**data, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{session.base_url}{path.lstrip('/')}"},
    )


def login(url: str, email: str, password: str, *, timeout: float | None = 60) -> httpx.Client:
    """A cookie session logged in as ``email`` (raises ``StudioError`` if refused)."""
    session = _form_session(url, "/user/login/", timeout)
    _post_form(session, "/user/login/", {"email": email, "password": password})
    if "sessionid" not in session.cookies:
        session.close()
        raise StudioError(f"Label Studio at {url} refused the login of {email}")
    return session


def signup(
    url: str, invite_token: str, email: str, password: str, *, timeout: float | None = 60
) -> httpx.Client | None:
    """Sign ``email`` up through the invite link; a logged-in session, or
    ``None`` when the account already exists."""
    session = _form_session(url, "/user/signup/", timeout)
    _post_form(session, "/user/signup/", {"email": email, "password": password}, params={"token": invite_token})
    if "sessionid" in session.cookies:
        return session
    session.close()
    return None


def personal_token(session: httpx.Client) -> str:
    """Create the session user's personal access token (they may hold one)."""
    response = session.post(
        "/api/token/", headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": str(session.base_url)}
    )
    if response.status_code == 409:
        raise StudioError(
            "this Label Studio user already has a personal access token",
            hint="revoke it in the Label Studio UI (Account & Settings) and retry",
        )
    if response.status_code != 201:
        raise StudioError(f"Label Studio refused to create a personal access token (HTTP {response.status_code})")
    return response.json()["token"]


def whoami(session: httpx.Client) -> dict:
    response = session.get("/api/current-user/whoami")
    response.raise_for_status()
    return response.json()

"""Who may call ``empathykit serve``: HTTP basic auth credentials, read from the environment.

``serve --auth-user USER`` and ``annotate connect --auth-user USER`` take the password from
:data:`PASSWORD_ENV`, never from the command line (where ``ps`` shows it to every user of the
machine); it never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from typing import Mapping

from empathykit.errors import InputError

#: the environment variable holding the password of ``serve --auth-user`` and ``annotate connect --auth-user``
PASSWORD_ENV = "EMPATHYKIT_SERVE_PASSWORD"


@dataclass(frozen=True)
class Credentials:
    """HTTP basic auth credentials; the password never appears in a repr, a log or an error."""

    user: str
    password: str = field(repr=False)

    def match(self, user: str, password: str) -> bool:
        # both compared in constant time, and both always, so timing tells nothing about either
        same_user = secrets.compare_digest(user.encode("utf-8"), self.user.encode("utf-8"))
        same_password = secrets.compare_digest(password.encode("utf-8"), self.password.encode("utf-8"))
        return same_user & same_password


def credentials_from_env(user: str | None, environ: Mapping[str, str] | None = None) -> Credentials | None:
    """``Credentials`` for ``--auth-user USER`` with the password from :data:`PASSWORD_ENV`; ``None`` without a user."""
    if user is None:
        return None
    password = (os.environ if environ is None else environ).get(PASSWORD_ENV, "")
    if not user or ":" in user or not user.isascii():
        raise InputError(
            f"--auth-user {user!r} cannot be an HTTP basic auth user name",
            hint="use letters, digits and punctuation other than ':'",
        )
    if not password:
        raise InputError(
            f"--auth-user needs the password in the environment variable {PASSWORD_ENV}, which is not set",
            hint=f"export {PASSWORD_ENV}=... (never on the command line, where others can read it)",
        )
    if not password.isascii():
        raise InputError(f"the password in {PASSWORD_ENV} must be ASCII (HTTP basic auth sends it so)")
    return Credentials(user, password)


def exposure_warning(host: str, credentials: Credentials | None) -> str | None:
    """A warning line when the server would answer other machines without credentials."""
    if credentials is not None or is_loopback(host):
        return None
    return (
        f"warning: serving on {host} without authentication: anyone who reaches this machine can use the model; "
        f"pass --auth-user USER with the password in {PASSWORD_ENV}"
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

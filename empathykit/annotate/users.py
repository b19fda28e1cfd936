"""Annotator accounts (``empathykit annotate users``).

Label Studio Community creates loginable accounts only through sign-up, so
each account is signed up with the organization's invite link (fetched with
the admin's API key), which also makes it a member of the organization: it
sees every project. Passwords are given or generated; they are returned to
the caller, never logged.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

from empathykit.studio import accounts
from empathykit.annotate.connection import Connection, StudioClient, connect
from empathykit.studio.server import write_private
from empathykit.errors import InputError, StudioError

_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


@dataclass
class AnnotatorAccount:
    """One requested account: ``status`` is ``created`` or ``exists``;
    ``password`` only for created ones, ``api_key`` only when asked for."""

    email: str
    id: int
    status: str
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)


def parse_emails(text: str | Iterable[str]) -> list[str]:
    """Comma-separated (or listed) e-mails, checked and de-duplicated in order."""
    items = text.split(",") if isinstance(text, str) else list(text)
    emails: list[str] = []
    for raw in items:
        email = raw.strip().lower()
        if not email:
            continue
        if not _EMAIL.match(email):
            raise InputError(f"not an e-mail address: {raw.strip()!r}")
        if email not in emails:
            emails.append(email)
    if not emails:
        raise InputError("no e-mail addresses given (expected e.g. --emails a@x.org,b@y.org)")
    return emails


def organization_users(client: StudioClient) -> dict[str, int]:
    """E-mail → user id of every user the admin can see."""
    with client.call("listing users"):
        return {u.email.lower(): u.id for u in client.sdk.users.list() if u.email}


def create_annotators(emails: str | Iterable[str], *, password: str | Mapping[str, str] | None = None,
                      with_tokens: bool = False, connection: Connection | None = None,
                      on_progress: Callable[[int], None] | None = None) -> list[AnnotatorAccount]:
    """Create annotator accounts that do not exist yet; report every e-mail.

    ``password`` is one password for all, a mapping e-mail → password, or
    ``None`` to generate one per account. ``with_tokens`` also creates each
    new account's personal access token (tests submit annotations with it).
    """
    wanted = parse_emails(emails)
    client = connect(connection)
    existing = organization_users(client)
    with client.call("fetching the organization's invite link"):
        invite = client.sdk.organizations.invites.get_invite_link()
    created: list[AnnotatorAccount] = []
    for email in wanted:
        if email in existing:
            created.append(AnnotatorAccount(email, existing[email], "exists"))
        else:
            secret = (password.get(email) if isinstance(password, Mapping) else password) or accounts.generate_password()
            session = accounts.signup(client.url, invite.token, email, secret)
            if session is None:
                raise StudioError(f"Label Studio at {client.url} refused to sign up {email}",
                                  hint="passwords need 8+ characters and must not be too common or "
                                       "similar to the e-mail")
            try:
                me = accounts.whoami(session)
                token = accounts.personal_token(session) if with_tokens else None
            finally:
                session.close()
            created.append(AnnotatorAccount(email, me["id"], "created", secret, token))
        if on_progress:
            on_progress(1)
    return created


def write_passwords(created: list[AnnotatorAccount], path: str | Path) -> int:
    """Add the passwords of newly created accounts to a CSV (``email,password``)
    readable only by its owner; earlier rows are kept. Returns rows written."""

    fresh = {a.email: a.password for a in created if a.status == "created" and a.password}
    if not fresh:
        return 0
    path = Path(path)
    rows: dict[str, str] = {}
    if path.exists():
        with open(path, newline="", encoding="utf-8") as handle:
            rows = {r["email"]: r["password"] for r in csv.DictReader(handle) if r.get("email")}
    rows.update(fresh)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "password"])
    writer.writerows(sorted(rows.items()))
    write_private(path, buffer.getvalue())
    return len(fresh)

"""Annotator accounts (``empathykit annotate users``).

Label Studio Community creates loginable accounts only through sign-up, so
each account is signed up with the organization's invite link (fetched with
the admin's API key), which also makes it a member of the organization: it
sees every project. Passwords are given or generated; they are returned to
the caller, never logged. With a passwords file, each password is in that file
(mode 0600) before its account is signed up, so no account exists whose
password never reached the user; the file is checked (writable, and new or an
earlier passwords file, whose rows are kept) before any account is created.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from empathykit.annotate.connection import Connection, StudioClient, connect
from empathykit.errors import InputError, OutputError, StudioError
from empathykit.io import atomic_path, check_output
from empathykit.progress import Counter, Progress
from empathykit.studio import accounts

PASSWORDS_HEADER = ["email", "password"]
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


def create_annotators(
    emails: str | Iterable[str],
    *,
    password: str | Mapping[str, str] | None = None,
    with_tokens: bool = False,
    connection: Connection | None = None,
    passwords_out: str | Path | None = None,
    on_progress: Progress | None = None,
) -> list[AnnotatorAccount]:
    """Create annotator accounts that do not exist yet; report every e-mail.

    ``password`` is one password for all, a mapping e-mail → password, or
    ``None`` to generate one per account. ``with_tokens`` also creates each
    new account's personal access token (tests submit annotations with it).
    ``passwords_out``: the CSV each new account's password is added to before
    the account is signed up (see the module doc).
    """
    wanted = parse_emails(emails)
    if passwords_out is not None:
        check_passwords_file(passwords_out)
    client = connect(connection)
    existing = organization_users(client)
    with client.call("fetching the organization's invite link"):
        invite = client.sdk.organizations.invites.get_invite_link()
    created: list[AnnotatorAccount] = []
    count = Counter(on_progress, "creating accounts", total=len(wanted))
    for email in wanted:
        if email in existing:
            created.append(AnnotatorAccount(email, existing[email], "exists"))
        else:
            secret = (
                password.get(email) if isinstance(password, Mapping) else password
            ) or accounts.generate_password()
            earlier = _keep_password(passwords_out, email, secret)
            session = accounts.signup(client.url, invite.token, email, secret)
            if session is None:
                _restore_password(passwords_out, email, earlier)
                raise StudioError(
                    f"Label Studio at {client.url} refused to sign up {email}",
                    hint="passwords need 8+ characters and must not be too common or similar to the e-mail",
                )
            try:
                me = accounts.whoami(session)
                token = accounts.personal_token(session) if with_tokens else None
            finally:
                session.close()
            created.append(AnnotatorAccount(email, me["id"], "created", secret, token))
        count()
    return created


def write_passwords(created: list[AnnotatorAccount], path: str | Path) -> int:
    """Add the passwords of newly created accounts to a CSV (``email,password``)
    readable only by its owner; earlier rows are kept. Returns rows written."""

    fresh = {a.email: a.password for a in created if a.status == "created" and a.password}
    if fresh:
        check_passwords_file(path)
        _store_passwords(Path(path), fresh)
    return len(fresh)


def check_passwords_file(path: str | Path) -> Path:
    """``path`` can take passwords: its folder is writable, and it is absent or an earlier passwords
    file (a CSV of exactly ``email,password``, whose rows are kept); anything else is refused."""
    path = check_output(path, "file", label="passwords file")
    if path.exists():
        _read_passwords(path)
    return path


def _read_passwords(path: Path) -> dict[str, str]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OutputError(
            f"passwords file {path}: cannot read it to keep its rows ({type(exc).__name__}); no account was created",
            hint="name another passwords file with --passwords-out",
        ) from None
    if header not in (None, PASSWORDS_HEADER) or any(len(row) not in (0, 2) for row in rows):
        raise OutputError(
            f"passwords file {path} is a file that is not an earlier passwords file (expected the CSV "
            "columns email,password); writing passwords there would replace it; no account was created",
            hint="name a new file with --passwords-out, or move that one away yourself",
        )
    return {row[0]: row[1] for row in rows if row and row[0]}


def _store_passwords(path: Path, updates: Mapping[str, str | None]) -> None:
    """Merge ``updates`` (None: drop the row) into the passwords file, written whole, mode 0600."""
    rows = _read_passwords(path) if path.exists() else {}
    for email, secret in updates.items():
        if secret is None:
            rows.pop(email, None)
        else:
            rows[email] = secret
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PASSWORDS_HEADER)
    writer.writerows(sorted(rows.items()))
    with (
        atomic_path(path, label="passwords file") as tmp,
        os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8", newline="") as out,
    ):
        out.write(buffer.getvalue())


def _keep_password(path: str | Path | None, email: str, secret: str) -> str | None:
    """Put ``email``'s password in the file before its account exists; returns the row it replaced."""
    if path is None:
        return None
    earlier = _read_passwords(Path(path)).get(email) if Path(path).exists() else None
    _store_passwords(Path(path), {email: secret})
    return earlier


def _restore_password(path: str | Path | None, email: str, earlier: str | None) -> None:
    """A sign-up that was refused made no account: its row goes back to what it was."""
    if path is not None:
        _store_passwords(Path(path), {email: earlier})

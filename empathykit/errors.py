"""Typed domain errors.

Library code raises these; the CLI error boundary (``empathykit.cli.main``)
prints ``str(error)`` as one red line, followed by ``error.hint`` when set,
and exits with ``error.exit_code``. Messages never contain secrets.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path


class EmpathykitError(Exception):
    """Base class: a problem the user can fix; ``hint`` says how."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class InputError(EmpathykitError):
    """Bad input data: a malformed file, a missing column, an empty input."""


class OutputError(EmpathykitError):
    """An output path that cannot be written without destroying what stands there."""


class SchemaError(EmpathykitError):
    """Unknown schema, or a record that does not fit its schema."""


class LexiconError(InputError):
    """A lexicon file without usable word/rating columns or with bad ratings."""


class StudioError(EmpathykitError):
    """Label Studio is unreachable, refused the token, or answered an error."""


class StudioConnectionError(StudioError):
    """The connection to Label Studio failed or timed out: a request may or may not have arrived."""


class XApiError(EmpathykitError):
    """The X API refused a request (auth, access level) or kept failing."""


class AgreementError(EmpathykitError):
    """Agreement cannot be computed from the given annotations."""


class ExportError(EmpathykitError):
    """The annotations cannot be turned into the requested dataset."""


class TrainError(EmpathykitError):
    """A training run that cannot start: bad settings, data or model for the family."""


class MissingDependencyError(EmpathykitError):
    """An optional library a command needs is not installed; the hint names the install command."""


#: how a hint begins when torch is missing: it is installed explicitly, before any extra
TORCH_FIRST = (
    "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu (CPU; for CUDA the build "
    "from pytorch.org), then "
)


def absent_modules(names: Iterable[str]) -> list[str]:
    """The modules of ``names`` that are not installed, found without importing them (so the
    check costs nothing at start); a module hidden or broken counts as absent."""
    return [name for name in names if _absent(name)]


def _absent(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):
        return True


def path_problem(path: str | Path, expected: str, *, folder: bool = False) -> str | None:
    """What is wrong with ``path`` where ``expected`` should be (a file; with ``folder``, a folder):
    ``None`` when it is right, else a message naming the path, what is there, and what was expected,
    so a folder passed for a file is not reported as missing, nor a file passed for a folder."""
    path = Path(path)
    if path.is_dir() if folder else path.is_file():
        return None
    if not path.exists():
        return f"{path}: no such {'folder' if folder else 'file'}; expected {expected}"
    return f"{path} is a {'file' if folder else 'folder'}; expected {expected}"

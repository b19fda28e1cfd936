"""The SQLite database of a local Label Studio holds every account's password hash: it is 0600 in a
0700 folder when the studio is made, and an older studio is tightened on its next start."""

from __future__ import annotations

import stat

import pytest
from conftest import start_studio

from empathykit.studio import server


def modes(data_dir) -> tuple[int, int]:
    return (stat.S_IMODE(data_dir.stat().st_mode), stat.S_IMODE((data_dir / "label_studio.sqlite3").stat().st_mode))


@pytest.mark.studio
def test_a_new_studio_keeps_its_database_private(studio):
    assert modes(studio.state_dir / "data") == (0o700, 0o600)


@pytest.mark.studio
def test_an_older_studio_is_tightened_on_its_next_start(tmp_path):
    folder = tmp_path / "studio"
    start_studio(folder)
    server.stop(state_dir=folder)
    data = folder / "data"
    (data / "label_studio.sqlite3").chmod(0o644)  # as studios were made before
    data.chmod(0o755)
    try:
        start_studio(folder)
        assert modes(data) == (0o700, 0o600)
        for journal in ("label_studio.sqlite3-wal", "label_studio.sqlite3-shm", "label_studio.sqlite3-journal"):
            if (data / journal).exists():
                assert stat.S_IMODE((data / journal).stat().st_mode) & 0o077 == 0
    finally:
        server.stop(state_dir=folder)

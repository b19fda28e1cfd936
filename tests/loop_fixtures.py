"""A tiny trained seek-provide classifier and a running ``empathykit serve`` for the model-in-the-loop tests.

``seek_classifier``: a ``classifier`` folder trained in seconds on :func:`tests.train_fixtures.make_rows`
(labels ``none``/``seeking``: a POSITIVE word means ``seeking``). ``running_backend(backend)``:
the FastAPI app on a free loopback port in a thread, as ``empathykit serve`` runs it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.train_fixtures import build_tiny_model, make_data

TRAIN = ["epochs=8", "learning_rate=3e-3", "warmup_ratio=0", "eval_each_epoch=false", "save_steps=1000"]


def train_seek_classifier(folder: Path, base: Path, seed: int = 0, n: int = 96) -> Path:
    from empathykit.train.families import get_family
    from empathykit.train.settings import load_settings

    family = get_family("classifier")
    settings = load_settings(family.settings_class, None, [*TRAIN, f"seed={seed}"], model=str(base))
    family.train(make_data(names=("none", "seeking"), n=n), settings, folder)
    return folder


@pytest.fixture(scope="session")
def seek_classifier(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("seek-classifier")
    return train_seek_classifier(root / "model", build_tiny_model(root / "base"))


@contextlib.contextmanager
def running_backend(backend, credentials=None) -> Iterator[str]:
    """The backend's app served on a free port (``credentials``: basic auth required); yields its URL."""
    import uvicorn

    from empathykit.serve.app import create_app
    from empathykit.studio.ports import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(backend, credentials), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test ML backend did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

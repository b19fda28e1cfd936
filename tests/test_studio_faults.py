"""Server faults said plainly (issue 8, point 5): a hung server, a pull and a push whose
connection is cut by a loopback TCP proxy in front of the real Label Studio."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from empathykit.annotate.connection import Connection, connect
from empathykit.annotate.pull import pull
from empathykit.annotate.push import push
from empathykit.annotate.snapshot import SNAPSHOT_TITLE
from empathykit.errors import StudioConnectionError
from empathykit.schemas import get_schema

SEEK = get_schema("seek-provide")


class LoopbackServer:
    """Listens on a free loopback port; ``handle(conn)`` gets each connection, ``stop()`` closes all."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sockets: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.add(conn)
            self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        """Hold the connection, never answer: a hung server."""

    def stop(self) -> None:
        _close(self.listener)
        for s in list(self.sockets):
            s.close()


class CuttingProxy(LoopbackServer):
    """A loopback TCP proxy to ``upstream``. On the ``nth`` request whose bytes contain ``trigger``
    it cuts that connection: before forwarding the request (``"request"``), or once the server
    starts answering (``"response"``: the server got it, the client never hears); ``"hold"``
    swallows the request and leaves the client waiting. ``stop_on_cut``
    also stops listening, as if the network went away."""

    def __init__(
        self, upstream: str, trigger: bytes, nth: int = 1, when: str = "request", stop_on_cut: bool = False
    ) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.trigger, self.nth, self.when, self.stop_on_cut = trigger, nth, when, stop_on_cut
        self.seen, self.cut = 0, False
        self.lock = threading.Lock()
        super().__init__()

    def handle(self, client: socket.socket) -> None:
        server = socket.create_connection(self.upstream)
        self.sockets.add(server)
        state = {"drop_response": False}
        threading.Thread(target=self._pump, args=(client, server, True, state), daemon=True).start()
        threading.Thread(target=self._pump, args=(server, client, False, state), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upward: bool, state: dict) -> None:
        try:
            while data := source.recv(1 << 16):
                if upward and self.trigger in data:
                    with self.lock:
                        self.seen += 1
                        hit = self.seen == self.nth
                    if hit and self.when == "request":
                        return self._cut(source, sink)
                    if hit and self.when == "hold":  # swallow it: the server never hears, the client waits
                        self.cut = True
                        continue
                    state["drop_response"] = state["drop_response"] or hit
                elif not upward and state["drop_response"]:
                    return self._cut(source, sink)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with _quiet():
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def _cut(self, *pair: socket.socket) -> None:
        self.cut = True
        for s in pair:
            with _quiet():
                s.shutdown(socket.SHUT_RDWR)  # wakes the other pump's recv(); close() alone would not
            s.close()
        if self.stop_on_cut:
            self.stop()


def _close(listener: socket.socket) -> None:
    """Stop listening now: a bare close() leaves a thread blocked in accept() still accepting."""
    with _quiet():
        listener.shutdown(socket.SHUT_RDWR)
    listener.close()


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], OSError)


def _snapshots(studio, project_id: int) -> list[dict]:
    return connect(studio.connection).request("GET", f"/api/projects/{project_id}/exports/").json()


def _views(studio, project_id: int) -> list[dict]:
    views = connect(studio.connection).request("GET", "/api/dm/views/", params={"project": project_id}).json()
    return [view for view in views if view["project"] == project_id]


def _annotated_project(studio, name: str) -> tuple[str, int]:
    title = studio.project_title(name)
    report = push(
        [{"item_id": f"f{i}", "text": f"text {i}"} for i in range(3)],
        schema="seek-provide",
        project=title,
        connection=studio.connection,
    )
    (annotator,) = studio.make_annotators(1)
    studio.submit(studio.tasks(report.project_id)[0]["id"], SEEK.to_results({"empathy": "seeking"}), annotator)
    return title, report.project_id


def test_hung_server_is_reported_within_the_timeout(monkeypatch):
    monkeypatch.setenv("EMPATHYKIT_STUDIO_TIMEOUT", "1")
    hung = LoopbackServer()
    outcome: dict = {}

    def attempt() -> None:
        started = time.monotonic()
        try:
            connect(Connection(hung.url, "a-key-that-is-never-checked"))
        except StudioConnectionError as error:
            outcome["error"] = error
        outcome["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=20)  # the old 300 s timeout would still be waiting
    hung.stop()
    assert "seconds" in outcome, "no answer after 20 s"
    assert outcome["seconds"] < 10
    assert str(outcome["error"]) == (
        f"checking the connection: Label Studio at {hung.url} accepted the connection but did not answer within 1 s"
    )
    assert "a-key-that-is-never-checked" not in str(outcome["error"]) + (outcome["error"].hint or "")


def test_unreachable_port_fails_fast(monkeypatch):
    port = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{port.getsockname()[1]}"
    port.close()  # nothing listens there now
    started = time.monotonic()
    with pytest.raises(StudioConnectionError, match="cannot reach Label Studio"):
        connect(Connection(url, "key"))
    assert time.monotonic() - started < 5  # no silent retries


@pytest.mark.studio
def test_pull_cut_during_download_names_the_pull_and_leaves_no_snapshot(studio, tmp_path, project_dir):
    title, project_id = _annotated_project(studio, "cut-pull")
    proxy = CuttingProxy(studio.url, b"/download")
    out = tmp_path / "ann.parquet"
    try:
        with pytest.raises(StudioConnectionError) as caught:
            pull(title, out=out, connection=Connection(proxy.url, studio.api_key))
    finally:
        proxy.stop()
    assert proxy.cut
    message = str(caught.value)
    assert message.startswith(
        f"pulling project {project_id} (downloading the export snapshot): the connection "
        f"to Label Studio at {proxy.url} dropped"
    )
    assert "DELETE" not in message and not out.exists()
    assert _snapshots(studio, project_id) == []  # deleted through a fresh connection


@pytest.mark.studio
def test_snapshot_of_a_killed_pull_is_cleaned_by_the_next_pull(studio, tmp_path, project_dir):
    title, project_id = _annotated_project(studio, "stale-pull")
    # an incremental pull (a process of its own) loses the network mid-download: it cannot delete
    # its snapshot or its filter view
    proxy = CuttingProxy(studio.url, b"/download", nth=2, stop_on_cut=True)
    env = {
        **os.environ,
        "LABEL_STUDIO_URL": proxy.url,
        "LABEL_STUDIO_API_KEY": studio.api_key,
        "EMPATHYKIT_STUDIO_TIMEOUT": "5",
        "COLUMNS": "200",
    }
    command = [
        sys.executable,
        "-m",
        "empathykit.cli.main",
        "annotate",
        "pull",
        "-p",
        title,
        "-o",
        str(tmp_path / "a.parquet"),
        "--since-last",
    ]
    try:
        first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        (annotator,) = studio.make_annotators(1)
        studio.submit(studio.tasks(project_id)[1]["id"], SEEK.to_results({"empathy": "none"}), annotator)
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    finally:
        proxy.stop()
    assert result.returncode == 1, result.stderr
    assert f"error: pulling project {project_id} (downloading the export snapshot)" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    left = _snapshots(studio, project_id)
    assert [s["title"] for s in left] == [f"{SNAPSHOT_TITLE} {socket.gethostname()}:{_pid_of(left[0])}"]
    assert [v["data"]["title"] for v in _views(studio, project_id)] == [left[0]["title"]]
    report = pull(title, out=tmp_path / "b.parquet", connection=studio.connection)
    assert report.annotations == 2 and _snapshots(studio, project_id) == [] and _views(studio, project_id) == []


@pytest.mark.studio
def test_sigterm_during_pull_deletes_its_snapshot(studio, tmp_path, project_dir):
    title, project_id = _annotated_project(studio, "sigterm-pull")
    proxy = CuttingProxy(studio.url, b"/download", when="hold")
    env = {**os.environ, "LABEL_STUDIO_URL": proxy.url, "LABEL_STUDIO_API_KEY": studio.api_key}
    out = tmp_path / "a.parquet"
    process = subprocess.Popen(
        [sys.executable, "-m", "empathykit.cli.main", "annotate", "pull", "-p", title, "-o", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not proxy.cut and time.monotonic() < deadline:  # the pull now waits for its download
            time.sleep(0.05)
        assert proxy.cut and len(_snapshots(studio, project_id)) == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        process.kill()
        proxy.stop()
    assert _snapshots(studio, project_id) == [] and not out.exists()
    assert b"Traceback" not in process.stderr.read()


def _pid_of(snapshot: dict) -> str:
    return snapshot["title"].rpartition(":")[2]


@pytest.mark.studio
def test_push_cut_between_batches_says_what_arrived_and_rerun_completes(studio):
    title = studio.project_title("cut-push")
    items = [{"item_id": f"p{i}", "text": f"text {i}"} for i in range(5)]
    # batch 2 reaches the server, its answer never comes back: a resend would import it twice
    proxy = CuttingProxy(studio.url, b"/import", nth=2, when="response")
    try:
        with pytest.raises(StudioConnectionError) as caught:
            push(
                items,
                schema="seek-provide",
                project=title,
                batch_size=2,
                connection=Connection(proxy.url, studio.api_key),
            )
    finally:
        proxy.stop()
    message = " ".join(str(caught.value).split())
    assert "importing batch 2/3 (items 'p2'..'p3')" in message and "connection to Label Studio" in message
    assert message.endswith("batches 1-1 of 3 (2 tasks) certainly arrived, batch 2 may or may not have")
    assert caught.value.hint.startswith("re-running the same push is safe")
    report = push(items, schema="seek-provide", project=title, batch_size=2, connection=studio.connection)
    assert (report.created, report.skipped) == (1, 4)
    ids = [t["data"]["item_id"] for t in studio.tasks(report.project_id)]
    assert sorted(ids) == [f"p{i}" for i in range(5)]  # every item exactly once

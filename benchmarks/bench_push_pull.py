"""Push 100,000 tasks into a local Label Studio and pull 100,000 annotations.

Starts a throw-away Label Studio (same code path as ``empathykit studio
start``) on a free loopback port, then measures, in this one process:

- push: ``empathykit.annotate.push.push`` (validated, batched import) of N
  short Reddit comments (GoEmotions train texts, $EMPATHYKIT_DATA/aux/goemotions/train.tsv, cycled
  with unique ids) against the one-request-per-task way (``POST /api/tasks``
  per item through the SDK) on a sample;
- pull: ``empathykit.annotate.pull.pull`` of M annotations (created in bulk by
  importing tasks with annotations of 2 annotator accounts; it reads one
  export snapshot) against one request per task (``GET /api/tasks/{id}/annotations``) on a sample,
  its time split into the server building the snapshot, the download, parsing and writing, beside
  Label Studio's own export of the project called directly (the server's work alone);
- peak memory: this process's peak RSS after each stage, and the server's.

Prints a Markdown table. Usage::

    EMPATHYKIT_DATA=../shared/data EMPATHYKIT_LABEL_STUDIO_VENV=/path/to/venv python benchmarks/bench_push_pull.py \
        [--tasks 100000] [--annotations 100000] [--sample 300]
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

from _data import HELP, data_path

from empathykit.annotate.connection import Connection, connect
from empathykit.annotate.pull import pull
from empathykit.annotate.push import push
from empathykit.annotate.users import create_annotators
from empathykit.schemas import get_schema
from empathykit.studio import ports, server


def texts() -> list[str]:
    with open(data_path("aux", "goemotions", "train.tsv"), encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle, delimiter="\t") if row["text"].strip()]


def items(n: int, prefix: str) -> list[dict]:
    pool = texts()
    return [{"item_id": f"{prefix}{i:07d}", "text": pool[i % len(pool)]} for i in range(n)]


def peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def server_peak_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, epilog=HELP
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--annotations", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=300, help="items for the one-request-per-task baselines")
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    data_path("aux", "goemotions", "train.tsv")  # a missing data folder stops here, before the server starts
    schema = get_schema("seek-provide")

    with tempfile.TemporaryDirectory(prefix="bench-studio-") as tmp:
        state_dir = Path(tmp)
        print(f"starting Label Studio in {state_dir} ...", file=sys.stderr)
        state = server.start(
            port=ports.free_port(),
            state_dir=state_dir,
            on_progress=lambda stage, done=None, total=None: print(stage, file=sys.stderr),
        )
        conn = Connection(state.url, state.api_key, "benchmark")
        try:
            client = connect(conn)
            rows = []

            # -- push: baseline, one request per task -------------------------------
            baseline = client.sdk.projects.create(title="baseline push", label_config=schema.label_config())
            sample = items(args.sample, "b")
            started = time.perf_counter()
            for item in sample:
                client.sdk.tasks.create(project=baseline.id, data=item)
            base_push = len(sample) / (time.perf_counter() - started)

            # -- push: batched ---------------------------------------------------
            records = items(args.tasks, "p")
            started = time.perf_counter()
            report = push(records, schema=schema, project="bench push", batch_size=args.batch_size, connection=conn)
            push_s = time.perf_counter() - started
            assert report.created == args.tasks, report
            del records
            push_rss = peak_rss_mib()
            rows.append(
                [
                    "push",
                    f"{args.tasks:,} tasks",
                    f"{push_s:.1f}",
                    f"{args.tasks / push_s:,.0f}",
                    f"{base_push:,.1f} ({args.sample} tasks)",
                    f"{args.tasks / push_s / base_push:,.0f}x",
                    f"{push_rss:,.0f}",
                ]
            )

            # re-push: everything skipped (the idempotency check on a full project)
            records = items(args.tasks, "p")
            started = time.perf_counter()
            again = push(records, schema=schema, project="bench push", connection=conn)
            repush_s = time.perf_counter() - started
            assert again.created == 0 and again.skipped == args.tasks, again
            del records
            rows.append(
                [
                    "re-push (all skipped)",
                    f"{args.tasks:,} tasks",
                    f"{repush_s:.1f}",
                    f"{args.tasks / repush_s:,.0f}",
                    "",
                    "",
                    f"{peak_rss_mib():,.0f}",
                ]
            )

            # -- annotations in bulk: import tasks that carry 2 annotations each --------
            annotators = create_annotators([f"bench{k}@example.org" for k in range(2)], connection=conn)
            n_tasks = (args.annotations + 1) // 2
            pool = texts()
            project = client.sdk.projects.create(
                title="bench pull", label_config=schema.label_config(), description="empathykit schema: seek-provide"
            )
            labels = schema.field("empathy").labels
            started = time.perf_counter()
            made = 0
            for start in range(0, n_tasks, 2000):
                batch = []
                for i in range(start, min(start + 2000, n_tasks)):
                    anns = []
                    for k, account in enumerate(annotators):
                        if made < args.annotations:
                            anns.append(
                                {
                                    "result": schema.to_results({"empathy": labels[(i + k) % 3]}),
                                    "completed_by": {"email": account.email},
                                    "ground_truth": False,
                                    "lead_time": 3.0 + k,
                                }
                            )
                            made += 1
                    batch.append({"data": {"item_id": f"a{i:07d}", "text": pool[i % len(pool)]}, "annotations": anns})
                client.sdk.projects.import_tasks(project.id, request=batch)
            setup_s = time.perf_counter() - started

            # -- pull: baseline, one request per task -------------------------------
            task_ids = [
                t["id"]
                for t in client.request(
                    "GET",
                    "/api/tasks",
                    params={"project": project.id, "include": "id", "fields": "all", "page_size": args.sample},
                ).json()["tasks"]
            ]
            started = time.perf_counter()
            fetched = 0
            for task_id in task_ids:
                fetched += len(client.request("GET", f"/api/tasks/{task_id}/annotations/").json())
            base_pull = fetched / (time.perf_counter() - started)

            # -- pull: one export snapshot -------------------------------------------
            out = state_dir / "bench.parquet"
            started = time.perf_counter()
            pulled = pull(project.id, out=out, connection=conn)
            pull_s = time.perf_counter() - started
            assert pulled.annotations == made, pulled
            rows.append(
                [
                    "pull",
                    f"{made:,} annotations ({n_tasks:,} tasks)",
                    f"{pull_s:.1f}",
                    f"{made / pull_s:,.0f}",
                    f"{base_pull:,.1f} ({len(task_ids)} tasks)",
                    f"{made / pull_s / base_pull:,.0f}x",
                    f"{peak_rss_mib():,.0f}",
                ]
            )
            split = dict(pulled.seconds)
            # the server's own work: Label Studio's export of the project called directly, read and dropped
            started = time.perf_counter()
            with client.stream(
                "GET", f"/api/projects/{project.id}/export", params={"exportType": "JSON"}, timeout=3600
            ) as response:
                exported = sum(len(block) for block in response.iter_bytes())
            direct_s = time.perf_counter() - started

            # incremental pull with nothing changed
            pull(project.id, out=out, connection=conn, since_last=True)
            started = time.perf_counter()
            unchanged = pull(project.id, out=out, connection=conn, since_last=True)
            assert unchanged.tasks_fetched == 0, unchanged
            rows.append(
                [
                    "pull --since-last (no change)",
                    f"{made:,} annotations",
                    f"{time.perf_counter() - started:.1f}",
                    "",
                    "",
                    "",
                    f"{peak_rss_mib():,.0f}",
                ]
            )
            server_peak = server_peak_mib(state.pid)
        finally:
            server.stop(state_dir=state_dir)

    print(
        f"\nLabel Studio {state.label_studio_version}, SQLite, `label-studio start` (Django runserver); "
        f"setup import of {made:,} annotations took {setup_s:.1f} s\n"
    )
    print("| step | size | seconds | per second | one request per task (per second) | speed-up | peak RSS MiB |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if server_peak is not None:
        print(f"\nLabel Studio server peak RSS: {server_peak:,.0f} MiB")
    print(f"\npull of {made:,} annotations, {pull_s:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in split.items()))
    print(
        f"Label Studio's own export of the project (GET /api/projects/ID/export, {exported / 2**20:.0f} MiB, "
        f"read and dropped): {direct_s:.1f} s; pull takes {pull_s / direct_s:.2f}x that, "
        f"{pull_s - direct_s:+.1f} s beyond the server's own work"
    )


if __name__ == "__main__":
    main()

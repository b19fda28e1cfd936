"""A toy classifier run as its own process (for the kill -9 / resume and torchrun tests).

    python tests/train_run_toy.py MODEL OUT MAX_STEPS SAVE_STEPS [resume] [slow]

``slow``: each optimizer step waits 0.2 s (a run that stays alive long enough to be killed or
raced; the settings, and so the weights, are the same as without it).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from empathykit.train.families import get_family
from empathykit.train.settings import build_settings
from tests.train_fixtures import make_data

model, out, max_steps, save_steps = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
family = get_family("classifier")
settings = build_settings(
    family.settings_class,
    {
        "model": model,
        "max_steps": max_steps,
        "save_steps": save_steps,
        "batch_size": 8,
        "learning_rate": 3e-3,
        "logging_steps": 1,
        "warmup_ratio": 0.0,
        "eval_each_epoch": False,
    },
)
slow = (lambda stage, done=None, total=None: time.sleep(0.2)) if "slow" in sys.argv[5:] else None
metrics = family.train(make_data("choice", 64), settings, out, resume="resume" in sys.argv[5:], on_progress=slow)
if metrics:
    print(json.dumps({k: metrics[k] for k in ("resumed_from", "world_size", "train_loss")}))

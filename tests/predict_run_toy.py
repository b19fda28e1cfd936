"""``predict_corpus`` as its own process (for the kill -9 / resume test).

    python tests/predict_run_toy.py MODEL INPUT OUT CHUNK_ROWS [slow]

``slow``: every progress report waits 0.3 s (a run that stays alive long enough to be killed;
the predictions are the same as without it).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from empathykit.predict.corpus import CorpusSettings, predict_corpus

model, source, out, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
slow = (lambda stage, done=None, total=None: time.sleep(0.3)) if "slow" in sys.argv[5:] else None
report = predict_corpus(model, source, out, settings=CorpusSettings(chunk_rows=rows, batch_size=4), on_progress=slow)
print(report.resumed, report.chunks)

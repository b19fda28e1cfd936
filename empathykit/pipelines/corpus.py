"""On-topic corpora read as token document frequencies (``lexicon select
--topic-corpus``): the reading lives here, beside the post readers; the
counting is :func:`empathykit.lexicons.select.topic_document_frequency`."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from empathykit.errors import InputError, path_problem
from empathykit.lexicons.select import topic_document_frequency
from empathykit.pipelines.readers import iter_posts


def topic_corpus_frequency(paths) -> dict[str, int]:
    """Document frequency of tokens over on-topic texts: ``.txt`` files (one text a line) or
    anything ``collect file`` reads."""

    def texts():
        for path in map(Path, paths):
            if path.suffix.lower() == ".txt":
                if problem := path_problem(path, "a topic corpus (a .txt file, one text a line)"):
                    raise InputError(problem)
                lines = path.read_text(encoding="utf-8").splitlines()
                for start in range(0, len(lines), 50_000):
                    yield pa.array(lines[start : start + 50_000], pa.string())
            else:
                for batch in iter_posts([path], fast=False):
                    yield batch.column("text")

    return topic_document_frequency(texts())

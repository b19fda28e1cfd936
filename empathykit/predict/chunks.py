"""One chunk of a ``predict`` run: the model's columns appended to the input rows, and the loop
over the chunks a process owns. The local engine, ``torchrun`` processes and Dask workers all
run :func:`predict_chunk`, so every engine writes the same rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from empathykit.errors import EmpathykitError, InputError
from empathykit.predict.models import LoadedModel
from empathykit.predict.parts import Parts
from empathykit.progress import Counter

#: rows per chunk (one output row group): big enough to batch well, small enough to lose little to a kill
CHUNK_ROWS = 4096


@dataclass
class CorpusSettings:
    """How a run cuts and batches its input; a resumed run must match all but the batch size (which
    changes no prediction, and may have to shrink after running out of memory)."""

    batch_size: int | None = None  # rows per model call (default: the model's saved eval batch size)
    max_length: int | None = None  # tokens per text (default: the model's saved max length)
    chunk_rows: int = CHUNK_ROWS
    skip_bad: bool = False

    def check(self) -> None:
        for name in ("batch_size", "max_length", "chunk_rows"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise InputError(f"{name.replace('_', ' ')} must be at least 1, got {value}")


def run_chunks(
    model: LoadedModel,
    chunks: Iterator[Any],
    parts: Parts,
    settings: CorpusSettings,
    count: Counter,
    *,
    rank: int = 0,
    size: int = 1,
) -> tuple[int, int]:
    """Predict and write this process's chunks not finished before; ``(chunks in the input, resumed)``."""
    done, seen, resumed = parts.done(), 0, 0
    for chunk in chunks:
        seen = chunk.index + 1
        if chunk.index % size != rank:
            continue
        if chunk.index in done:
            resumed += 1
        else:
            parts.write(chunk.index, _predicted(model, chunk.table, settings, parts), chunk.bad)
        count(chunk.table.num_rows * size)
    return seen, resumed


def _predicted(model: LoadedModel, table: Any, settings: CorpusSettings, parts: Parts) -> Any:
    """:func:`predict_chunk`, with running out of memory said in one line (the finished row groups stay)."""
    try:
        return predict_chunk(model, table, settings)
    except MemoryError:
        failure = "out of memory"
    except RuntimeError as error:  # torch's (CUDA) out of memory is a RuntimeError
        if "out of memory" not in str(error).lower():
            raise
        failure = str(error).splitlines()[0]
    raise EmpathykitError(
        f"predicting ran out of memory ({failure}); the {len(parts.done())} finished row groups stay in {parts.folder}",
        hint="run the same command again with a smaller --batch-size: it goes on from there",
    )


def predict_chunk(model: LoadedModel, table: Any, settings: CorpusSettings) -> Any:
    """``table`` with the model's columns (``prediction``, ``prediction_score``, ...) appended."""
    import pyarrow as pa

    if table.num_rows == 0:
        return table
    needed = [c for c in model.inputs if c in table.column_names] or table.column_names
    rows = model.run(
        table.select(needed).to_pylist(), batch_size=settings.batch_size, max_length=settings.max_length
    ).rows
    names = sorted({k for r in rows for k in r})
    result = table.drop_columns([n for n in names if n in table.column_names])
    for name in names:
        values = [r.get(name) for r in rows]
        result = result.append_column(name, pa.array(values, _type(name, values)))
    return result


def _type(name: str, values: list[Any]):
    """The column's type: the score a number, the prediction as its values show it (a label, a list
    of labels as circumplex answers, a number, EPITOME's JSON text); other columns as inferred."""
    import pyarrow as pa

    if name == "prediction_score":
        return pa.float64()
    if name != "prediction":
        return None
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, list):
        return pa.list_(pa.string())
    if isinstance(sample, str):
        return pa.string()
    if isinstance(sample, (int, float)):
        return pa.float64()
    return pa.null()  # a chunk without predictions takes the other chunks' type when the parts are joined

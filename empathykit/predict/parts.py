"""The finished row groups of a ``predict`` run, kept beside its output until the output is whole.

Each chunk's predictions are written as ``part-NNNNNN.parquet`` (temporary name, then renamed:
a part is whole or absent) in ``.OUT.empathykit-parts/`` beside OUT, with the chunk's bad rows
in ``bad-NNNNNN.jsonl``. ``run.json`` there records what the parts were made with (model
version, settings, input); a run with the same command finds its parts and does only the rest,
a run with another model or other settings refuses in one line instead of mixing outputs. When
every chunk is there the parts are joined into OUT, one row group each, in input order (written
under a temporary name and renamed: OUT is never half-written), the bad rows into
``OUT_STEM.bad.jsonl``, and the folder is removed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from empathykit.errors import InputError, OutputError
from empathykit.io import atomic_path, check_output
from empathykit.outputs import PARQUET_KEY

OUTPUT = "predictions"
#: the model version in the output's Parquet metadata (``agreement compute --model-predictions`` reads it)
VERSION_KEY = b"empathykit.model_version"
RUN_FILE = "run.json"


def parts_dir(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(f".{out.name}.empathykit-parts")


def bad_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".bad.jsonl")


def part_path(folder: Path, index: int) -> Path:
    return folder / f"part-{index:06d}.parquet"


@dataclass
class Parts:
    """The parts folder of one output, made or resumed with :func:`open_parts`."""

    folder: Path
    out: Path
    facts: dict[str, Any]
    ready: bool = True  # the folder and its run record exist

    def done(self) -> set[int]:
        return {int(p.stem.split("-")[1]) for p in self.folder.glob("part-*.parquet")} if self.ready else set()

    def prepare(self) -> None:
        """The folder and its run record, made when the first row group is about to be written (a run
        stopped by bad input before that leaves nothing behind)."""
        if self.ready:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{RUN_FILE}.tmp-{os.getpid()}"
        tmp.write_text(json.dumps(self.facts, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.folder / RUN_FILE)
        self.ready = True

    def write(self, index: int, table: Any, bad: list[dict[str, Any]]) -> None:
        """One chunk's predictions (and its bad rows), whole or not at all."""
        import pyarrow.parquet as pq

        self.prepare()
        if bad:
            tmp = self.folder / f".bad-{index:06d}.jsonl.tmp-{os.getpid()}"
            tmp.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bad), encoding="utf-8")
            os.replace(tmp, self.folder / f"bad-{index:06d}.jsonl")
        tmp = self.folder / f".part-{index:06d}.parquet.tmp-{os.getpid()}"
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, part_path(self.folder, index))
        except OSError as error:
            tmp.unlink(missing_ok=True)
            raise OutputError(
                f"{self.folder}: cannot write row group {index} ({error.strerror or error}); the "
                f"{len(self.done())} finished row groups stay there",
                hint="free some disk space, then run the same command again to finish",
            ) from None

    def finish(self, chunks: int, version: str) -> tuple[int, int]:
        """Join the parts into OUT (and the bad rows into the side file); ``(rows, bad rows)``."""
        missing = sorted(set(range(chunks)) - self.done())
        if missing:
            raise OutputError(f"{self.folder}: row groups {missing[:5]} are missing; run the same command again")
        rows = _join(self.out, [part_path(self.folder, i) for i in range(chunks)], version)
        bad = _join_bad(self.out, sorted(self.folder.glob("bad-*.jsonl")))
        self.discard()
        return rows, bad

    def discard(self) -> None:
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            path.unlink()
        self.folder.rmdir()


def open_parts(out: str | Path, facts: dict[str, Any], *, create: bool = True) -> Parts:
    """The parts folder of ``out`` for a run with ``facts``: an earlier one with the same facts
    (resumed), or a new one (made on the first write); one line, before any work, when another
    run's parts are there or OUT may not be written."""
    out = Path(out)
    folder = parts_dir(out)
    record = folder / RUN_FILE
    if record.is_file():
        earlier = json.loads(record.read_text(encoding="utf-8"))
        differ = [k for k in sorted(set(facts) | set(earlier)) if facts.get(k) != earlier.get(k)]
        if differ:
            shown = ", ".join(f"{k} {earlier.get(k)!r} (now {facts.get(k)!r})" for k in differ)
            raise InputError(
                f"{out}: an interrupted run left finished row groups in {folder} made with {shown}; "
                "their predictions would mix with these",
                hint=f"run the first command again to finish it, or delete {folder} to start over",
            )
        return Parts(folder, out, facts)
    if not create:
        raise OutputError(f"{folder}: no run prepared there")
    check_output(out, "file", output=OUTPUT)
    check_output(bad_path(out), "file", output="bad-rows")
    return Parts(folder, out, facts, ready=False)


def _join(out: Path, paths: list[Path], version: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(p) for p in paths]
    try:
        schema = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise InputError(
            f"{out}: a column holds different types in different parts of the input ({str(error).splitlines()[0]})",
            hint="give each column one type",
        ) from None
    schema = schema.with_metadata({PARQUET_KEY: OUTPUT.encode(), VERSION_KEY: version.encode("utf-8")})
    rows = 0
    with atomic_path(out, output=OUTPUT) as tmp:
        with pq.ParquetWriter(tmp, schema) as writer:
            for path in paths:
                table = conform(pq.read_table(path), schema)
                writer.write_table(table, row_group_size=max(table.num_rows, 1))
                rows += table.num_rows
    return rows


def conform(table: Any, schema: Any) -> Any:
    """``table`` with ``schema``'s columns in its order (absent ones null) and types."""
    import pyarrow as pa

    columns = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _join_bad(out: Path, paths: Iterable[Path]) -> int:
    lines = [line for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line]
    target = bad_path(out)
    if not lines:
        return 0
    with atomic_path(target, output="bad-rows") as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)

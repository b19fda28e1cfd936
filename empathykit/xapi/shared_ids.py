"""Tweet ids shared as a dehydrated export (``empathykit export --dehydrate``):
ids, labels and annotation metadata, no text, as X's terms allow sharing.

``collect hydrate`` reads the ids back from the export folder (every split of
every config) or one of its Parquet files. Items whose id is not a tweet id
(the text hash given to a tweet whose id the release lost) cannot be looked
up; they are counted, not sent.
"""

from __future__ import annotations

from pathlib import Path

from empathykit.errors import InputError

#: id columns in the order they are tried.
ID_COLUMNS = ("tweet_id", "item_id", "id")


def _parquet_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet") if not any(part.startswith(".") for part in p.parts))
        if not files:
            raise InputError(
                f"{path}: no Parquet files in this folder",
                hint="pass the folder `empathykit export --dehydrate -o` wrote, or an ids file",
            )
        return files
    return [path]


def ids_from_export(path: str | Path) -> tuple[list[str], int]:
    """``(tweet ids in order without repeats, items whose id is no tweet id)``."""
    import pyarrow.parquet as pq

    ids: dict[str, None] = {}
    other: set[str] = set()
    for file in _parquet_files(Path(path)):
        try:
            names = pq.read_schema(file).names
        except Exception as err:  # pyarrow raises several types for a file that is not Parquet
            raise InputError(f"{file}: not a Parquet file ({type(err).__name__})") from None
        column = next((c for c in ID_COLUMNS if c in names), None)
        if column is None:
            raise InputError(f"{file}: no id column (one of {', '.join(ID_COLUMNS)}); found {names}")
        for value in pq.read_table(file, columns=[column]).column(column).to_pylist():
            value = str(value or "").strip()
            if value.isdigit():
                ids[value] = None
            else:
                other.add(value)
    if not ids:
        raise InputError(
            f"{path}: no tweet ids (digits) in its {'/'.join(ID_COLUMNS)} column",
            hint="only tweets collected with their ids can be hydrated",
        )
    return list(ids), len(other)

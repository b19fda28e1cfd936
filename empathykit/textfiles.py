"""Reading text files whatever they hold: the encoding from a byte-order mark
(UTF-8, UTF-16, UTF-32), else UTF-8, checked up front; binary data and other
encodings become a one-line ``InputError`` that says what was expected and
how to convert. Every CSV/JSONL reader of the package goes through here."""

from __future__ import annotations

import codecs
import os
from typing import Any

from empathykit.errors import InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"PAR1", "a Parquet file"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"SQLite format 3", "an SQLite database"),
)
CONVERT_HINT = (
    "convert it to UTF-8, e.g. `iconv -f latin1 -t utf-8 IN > OUT` (spreadsheets on Windows often "
    "write cp1252: `-f cp1252`), or save it as 'CSV UTF-8'"
)


def text_encoding(path: str | os.PathLike, *, expected: str = "text", opener: Any = open, sample: int = 1 << 16) -> str:
    """The codec to read ``path`` as text: from its byte-order mark (UTF-8, UTF-16 or UTF-32, either
    byte order), else ``utf-8`` once its first ``sample`` bytes decode as UTF-8. Binary data and
    other encodings raise a one-line :class:`InputError` saying what was found and expected."""
    with opener(path, "rb") as handle:
        head = handle.read(sample)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(f"{path} is {what}, not {expected}", hint=f"give a {expected} file")
    if b"\x00" in head:
        raise InputError(
            f"{path} holds binary data (NUL bytes), not {expected}",
            hint=f"give a {expected} file; UTF-16 text needs a byte-order mark",
        )
    decode_utf8(head, path, final=len(head) < sample)
    return "utf-8"


def decode_utf8(data: bytes, path: str | os.PathLike, *, final: bool = True) -> str:
    """``data`` as UTF-8; an invalid byte raises :class:`InputError` naming where it is."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=final)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - data.rfind(b"\n", 0, error.start)
        raise not_utf8(path, f"line {line}, column {column}: {data[error.start : error.start + 1]!r}") from None


def not_utf8(path: str | os.PathLike, where: str = "") -> InputError:
    return InputError(
        f"{path} is not UTF-8 text{f' ({where})' if where else ''}; expected UTF-8 "
        "(or UTF-16/UTF-8 with a byte-order mark)",
        hint=CONVERT_HINT,
    )

"""Small builders for Label Studio config XML, shared by the schema modules.

Every attribute goes through ``quoteattr`` so labels and hints from a user's
label set can hold quotes, ``&`` or ``<`` without breaking the config.
"""

from __future__ import annotations

from typing import Iterable, Sequence
from xml.sax.saxutils import quoteattr

#: Likert anchors shown next to the numbers of an agreement scale.
AGREE_4 = ("strongly disagree", "disagree", "agree", "strongly agree")
AGREE_5 = ("strongly disagree", "disagree", "neutral", "agree", "strongly agree")


def tag(name: str, /, body: str = "", **attrs: object) -> str:
    """``<name a="..."/>`` or ``<name ...>body</name>``; ``to_name`` becomes ``toName``
    and attributes that are ``None`` are left out."""
    parts = [name]
    for key, value in attrs.items():
        if value is None:
            continue
        key = {"to_name": "toName", "show_inline": "showInline", "max_submissions": "maxSubmissions"}.get(key, key)
        if isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{key}={quoteattr(str(value))}")
    head = " ".join(parts)
    return f"<{head}>{body}</{name}>" if body else f"<{head}/>"


def choices(
    name: str,
    to_name: str,
    options: Iterable[tuple[str, str, str]],
    *,
    multiple: bool = False,
    required: bool = True,
    inline: bool = True,
) -> str:
    """A ``<Choices>`` control. ``options`` are ``(shown, stored, hint)``: the
    stored value is the ``alias`` Label Studio writes into results."""
    body = "".join(
        tag("Choice", value=shown, alias=stored if stored != shown else None, hint=hint or None)
        for shown, stored, hint in options
    )
    return tag(
        "Choices",
        body,
        name=name,
        to_name=to_name,
        choice="multiple" if multiple else "single-radio",
        required=required,
        show_inline=inline,
    )


def likert(name: str, to_name: str, anchors: Sequence[str], *, low: int = 1, required: bool = True) -> str:
    """An agreement scale as radio buttons ``"1 · strongly disagree"`` … whose
    results hold the bare numbers (``"1"``), as a rating field with labels expects."""
    options = [(f"{low + i} · {anchor}", str(low + i), "") for i, anchor in enumerate(anchors)]
    return choices(name, to_name, options, required=required)


def textarea(name: str, to_name: str, *, placeholder: str = "", required: bool = True, rows: int = 3) -> str:
    return tag(
        "TextArea",
        name=name,
        to_name=to_name,
        placeholder=placeholder or None,
        rows=rows,
        editable=True,
        max_submissions=1,
        required=required,
    )


def labels(name: str, to_name: str, values: Iterable[tuple[str, str]]) -> str:
    """A ``<Labels>`` control: ``values`` are ``(label, background colour)``."""
    body = "".join(tag("Label", value=value, background=colour) for value, colour in values)
    return tag("Labels", body, name=name, to_name=to_name, show_inline=True)


def header(text: str, *, size: int | None = None) -> str:
    return tag("Header", value=text, size=size)


def view(*children: str, style: str | None = None) -> str:
    return tag("View", "\n".join(children), style=style)

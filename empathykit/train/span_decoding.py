"""From per-token rationale scores to spans: threshold, word snapping, gap merging, minimum length.

The EPITOME tagger scores every response token; taking each token's argmax gives many short,
broken spans (a word piece tagged, its neighbour not; one untagged ``and`` splitting a phrase),
and few of them reach an IOU of 0.5 with a gold span. :func:`decode_tags` turns scores into
0/1 tags in five steps:

1. a token is tagged when its score reaches ``threshold`` (chosen on the validation split);
2. word snapping: a word (tokens whose characters touch, e.g. ``un ##sure`` or ``don ' t``)
   is tagged whole when any of its tokens is;
3. clause voting (``clause`` > 0, needs the response text): a clause, the words up to one
   ending in ``. ! ? , ; :`` or a line break, is tagged whole when at least that fraction of its
   words is, and cleared otherwise. Annotators mark clauses: in the EPITOME release 93-98 % of
   rationale starts and ends fall on such a boundary or the text's edge, so a tagger that is
   right about most of a short clause but a word off at either end is moved onto the boundary,
   where IOU ≥ 0.5 is decided for short spans. The rest (a rationale inside a clause) is why
   it is a choice made on validation, with 0 (off) among the candidates;
4. gaps of at most ``max_gap`` untagged words between tagged ones are filled;
5. spans shorter than ``min_length`` words are dropped.

The tags keep the token layout, so :func:`empathykit.train.rationales.rationale_metrics` and
``char_spans`` read them as before. :func:`choose_decoding` picks the settings with the best
IOU-F1 (ties: token F1) on validation scores.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Sequence

from empathykit.train import rationales as rat

THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
GAPS = (0, 1, 2)
MIN_LENGTHS = (1, 2, 3)
CLAUSES = (0.0, 0.34, 0.5, 0.67)
CLAUSE_ENDS = frozenset(".!?,;:")


@dataclass(frozen=True)
class Decoding:
    threshold: float = 0.5
    max_gap: int = 0
    min_length: int = 1
    snap: bool = False
    clause: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


#: argmax tags, as the reference: the decoding of models trained before span decoding existed
ARGMAX = Decoding()


def word_ids(offsets: Sequence[Sequence[int]]) -> list[int | None]:
    """A word number per token (None on special tokens): a new word starts where characters do not touch."""
    out: list[int | None] = []
    word, previous_end = -1, None
    for start, end in offsets:
        if end <= start:
            out.append(None)
            previous_end = None
            continue
        if previous_end is None or start > previous_end:
            word += 1
        out.append(word)
        previous_end = end
    return out


def clause_ids(words: Sequence[int | None], offsets: Sequence[Sequence[int]], text: str) -> list[int]:
    """A clause number per word: a clause ends with a word ending in ``CLAUSE_ENDS`` or before a line break."""
    spans: dict[int, list[int]] = {}
    for word, (start, end) in zip(words, offsets):
        if word is not None:
            spans.setdefault(word, [start, end])[1] = end
    out, clause = [], 0
    for word in range(len(spans)):
        start, end = spans[word]
        if word and "\n" in text[spans[word - 1][1] : start]:
            clause += int(out[-1] == clause)  # a break right after a clause end starts no empty clause
        out.append(clause)
        if text[start:end].rstrip()[-1:] in CLAUSE_ENDS:
            clause += 1
    return out


def _vote(units: list[int], clauses: Sequence[int], fraction: float) -> list[int]:
    """Each clause's words all tagged when at least ``fraction`` of them are, else all cleared."""
    tagged: dict[int, list[int]] = {}
    for unit, clause in zip(units, clauses):
        tagged.setdefault(clause, []).append(unit)
    keep = {c for c, us in tagged.items() if sum(us) >= fraction * len(us)}
    return [int(c in keep) for c in clauses]


def decode_tags(
    scores: Sequence[float], offsets: Sequence[Sequence[int]], decoding: Decoding = ARGMAX, text: str | None = None
) -> list[int]:
    """0/1 per token from the tagger's P(rationale) per token (see the module's steps); ``text``, the
    response the offsets point into, is needed for clause voting and ignored otherwise."""
    return _decode(scores, _Layout(offsets, text), decoding)


class _Layout:
    """A response's word and clause numbers, computed once however many decodings are tried."""

    def __init__(self, offsets: Sequence[Sequence[int]], text: str | None):
        self.words = word_ids(offsets)
        self.clauses = clause_ids(self.words, offsets, text) if text is not None else None


def _decode(scores: Sequence[float], layout: _Layout, decoding: Decoding) -> list[int]:
    words = layout.words
    tags = [int(w is not None and s >= decoding.threshold) for s, w in zip(scores, words)]
    if not (decoding.snap or decoding.max_gap or decoding.min_length > 1):
        return tags
    if not decoding.snap:  # runs, gaps and lengths counted in tokens
        return _to_tags(_filter_runs(tags, decoding), words, by_word=False)
    units = [0] * (max((w for w in words if w is not None), default=-1) + 1)
    for tag, word in zip(tags, words):
        if tag and word is not None:
            units[word] = 1
    if decoding.clause > 0:
        if layout.clauses is None:
            raise ValueError("clause voting needs the response text")
        units = _vote(units, layout.clauses, decoding.clause)
    return _to_tags(_filter_runs(units, decoding), words, by_word=True)


def _filter_runs(units: list[int], decoding: Decoding) -> list[tuple[int, int]]:
    """Runs of tagged units after filling gaps of <= max_gap and dropping runs under min_length."""
    merged: list[tuple[int, int]] = []
    for first, stop in rat.runs(units):
        if merged and first - merged[-1][1] <= decoding.max_gap:
            merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((first, stop))
    return [(a, b) for a, b in merged if b - a >= decoding.min_length]


def _to_tags(spans: list[tuple[int, int]], words: list[int | None], *, by_word: bool) -> list[int]:
    """Token tags from runs of words (``by_word``) or of token positions; special tokens never tagged."""
    keep: set[int] = {i for first, stop in spans for i in range(first, stop)}
    if by_word:
        return [int(w is not None and w in keep) for w in words]
    return [int(words[i] is not None and i in keep) for i in range(len(words))]


def decode_all(
    scores: Sequence[Sequence[float]],
    offsets: Sequence[Sequence[Sequence[int]]],
    decoding: Decoding = ARGMAX,
    texts: Sequence[str] | None = None,
) -> list[list[int]]:
    texts = texts if texts is not None else [None] * len(scores)
    return [decode_tags(s, o, decoding, t) for s, o, t in zip(scores, offsets, texts, strict=True)]


def choose_decoding(
    scores: Sequence[Sequence[float]],
    offsets: Sequence[Sequence[Sequence[int]]],
    gold: Sequence[Sequence[int]],
    *,
    texts: Sequence[str] | None = None,
    thresholds: Sequence[float] = THRESHOLDS,
    gaps: Sequence[int] = GAPS,
    min_lengths: Sequence[int] = MIN_LENGTHS,
    clauses: Sequence[float] = CLAUSES,
) -> tuple[Decoding, dict]:
    """The decoding with the best IOU-F1 (then token F1, then no clause voting) on these validation
    scores, and its metrics; clause voting is a candidate only when ``texts`` are given."""
    best: tuple[tuple[float, float, bool], Decoding, dict] | None = None
    clauses = clauses if texts is not None else (0.0,)
    layouts = [_Layout(o, t) for o, t in zip(offsets, texts if texts is not None else [None] * len(offsets))]
    for threshold, gap, length, clause in itertools.product(thresholds, gaps, min_lengths, clauses):
        decoding = Decoding(threshold, gap, length, snap=True, clause=clause)
        metrics = rat.rationale_metrics([_decode(s, lay, decoding) for s, lay in zip(scores, layouts)], gold)
        key = (metrics["iou_f1"], metrics["token_f1"], clause == 0)
        if best is None or key > best[0]:
            best = (key, decoding, metrics)
    if best is None:
        return ARGMAX, {}
    return best[1], best[2]

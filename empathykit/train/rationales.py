"""Rationales as the EPITOME model sees them: character spans ↔ token tags, and their metrics.

A response token is tagged 1 when its characters overlap a rationale span
(binary tagging, as the reference's ``rationale_labels``); special tokens
(empty offsets) and padding are never tags. A *span* in token space is a
maximal run of tagged tokens ``(first, last + 1)``.

Metrics, computed over the whole split:

- ``token_f1``: F1 of the rationale tag over every real response token;
- ``iou_f1``: ERASER's partial-match F1: a predicted span is a hit when its
  intersection-over-union with some gold span of the same response is at
  least 0.5; precision = hits / predicted spans, recall = hits / gold spans.

The reference averages both per evaluation batch instead (``*_batch_mean``
here, batches of 32 in split order; a batch without any span counts as 0).
Averaging per batch weighs a batch of a few short rationales like a batch of
many, and its value depends on the batch size and order; the whole-split
figure does not.
"""

from __future__ import annotations

from typing import Any, Sequence

Span = tuple[int, int]
IOU_THRESHOLD = 0.5
REFERENCE_BATCH = 32


def token_tags(offsets: Sequence[Sequence[int]], spans: Sequence[dict[str, Any]]) -> list[int]:
    """0/1 per token: 1 where the token's characters overlap a span (spans with start < 0: not found)."""
    ranges = [(int(s["start"]), int(s["end"])) for s in spans or () if int(s["start"]) >= 0 and s["end"] > s["start"]]
    return [int(end > start and any(start < e and end > s for s, e in ranges)) for start, end in offsets]


def runs(tags: Sequence[int]) -> list[Span]:
    """Maximal runs of 1s as ``(first, last + 1)`` token spans."""
    out: list[Span] = []
    begin = None
    for i, tag in enumerate(list(tags) + [0]):
        if tag == 1 and begin is None:
            begin = i
        elif tag != 1 and begin is not None:
            out.append((begin, i))
            begin = None
    return out


def iou(a: Span, b: Span) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def _f1(hits_p: float, predicted: float, hits_r: float, gold: float) -> dict[str, float]:
    precision = hits_p / predicted if predicted else 0.0
    recall = hits_r / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def iou_counts(
    predicted: Sequence[Sequence[Span]], gold: Sequence[Sequence[Span]], threshold: float = IOU_THRESHOLD
) -> tuple[int, int, int]:
    """``(hits, predicted spans, gold spans)``: a predicted span hits at IOU ≥ ``threshold`` with a gold one."""
    hits = total_p = total_g = 0
    for pred_spans, gold_spans in zip(predicted, gold, strict=True):
        total_p += len(pred_spans)
        total_g += len(gold_spans)
        hits += sum(1 for p in pred_spans if any(iou(p, g) >= threshold for g in gold_spans))
    return hits, total_p, total_g


def iou_f1(
    predicted: Sequence[Sequence[Span]], gold: Sequence[Sequence[Span]], threshold: float = IOU_THRESHOLD
) -> dict[str, float]:
    """ERASER's IOU precision/recall/F1 over documents (one list of spans per response)."""
    hits, total_p, total_g = iou_counts(predicted, gold, threshold)
    return _f1(hits, total_p, hits, total_g)


def token_f1(predicted: Sequence[Sequence[int]], gold: Sequence[Sequence[int]]) -> dict[str, float]:
    """Precision/recall/F1 of the rationale tag, pooled over every token of every response."""
    tp = fp = fn = 0
    for p_tags, g_tags in zip(predicted, gold, strict=True):
        for p, g in zip(p_tags, g_tags, strict=True):
            tp += p == 1 and g == 1
            fp += p == 1 and g != 1
            fn += p != 1 and g == 1
    return _f1(tp, tp + fp, tp, tp + fn)


def rationale_metrics(
    predicted: Sequence[Sequence[int]], gold: Sequence[Sequence[int]], batch: int = REFERENCE_BATCH
) -> dict[str, float]:
    """Token F1 and IOU-F1 over the whole split, and the reference's per-batch means beside them."""
    pred_runs, gold_runs = [runs(t) for t in predicted], [runs(t) for t in gold]
    tokens, spans = token_f1(predicted, gold), iou_f1(pred_runs, gold_runs)
    chunks = range(0, len(predicted), batch)
    per_batch = [
        (
            token_f1(predicted[i : i + batch], gold[i : i + batch])["f1"],
            iou_f1(pred_runs[i : i + batch], gold_runs[i : i + batch])["f1"],
        )
        for i in chunks
    ]
    mean = lambda k: sum(b[k] for b in per_batch) / len(per_batch) if per_batch else 0.0
    return {
        "token_f1": tokens["f1"],
        "token_precision": tokens["precision"],
        "token_recall": tokens["recall"],
        "iou_f1": spans["f1"],
        "iou_precision": spans["precision"],
        "iou_recall": spans["recall"],
        "token_f1_batch_mean": mean(0),
        "iou_f1_batch_mean": mean(1),
    }


def char_spans(tags: Sequence[int], offsets: Sequence[Sequence[int]], text: str, label: str) -> list[dict[str, Any]]:
    """Tagged token runs as ``{start, end, text, label}`` character spans of ``text``."""
    out = []
    for first, stop in runs(tags):
        start, end = int(offsets[first][0]), int(offsets[stop - 1][1])
        out.append({"start": start, "end": end, "text": text[start:end], "label": label})
    return out

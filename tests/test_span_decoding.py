"""EPITOME rationale decoding on hand-made token scores: threshold, word snapping, clause voting, gap
merging, minimum length, and the decoding chosen on validation."""

from __future__ import annotations

import pytest

from empathykit.train import rationales as rat
from empathykit.train.span_decoding import ARGMAX, Decoding, choose_decoding, clause_ids, decode_tags, word_ids

# "[CLS] i am so un ##sure , sorry [SEP]": "un" + "##sure" + "," touch, so they are one word
TEXT = "i am so unsure, sorry"
OFFSETS = [(0, 0), (0, 1), (2, 4), (5, 7), (8, 10), (10, 14), (14, 15), (16, 21), (0, 0)]


def test_words_from_offsets():
    assert word_ids(OFFSETS) == [None, 0, 1, 2, 3, 3, 3, 4, None]


def test_argmax_is_the_plain_threshold_at_one_half():
    scores = [0.9, 0.6, 0.4, 0.5, 0.7, 0.2, 0.1, 0.8, 0.9]
    # special tokens are never tags, whatever their score
    assert decode_tags(scores, OFFSETS, ARGMAX) == [0, 1, 0, 1, 1, 0, 0, 1, 0]
    assert decode_tags(scores, OFFSETS, Decoding(threshold=0.65)) == [0, 0, 0, 0, 1, 0, 0, 1, 0]


def test_a_word_piece_pulls_in_its_whole_word():
    scores = [0, 0, 0, 0, 0, 0.9, 0, 0, 0]  # only "##sure"
    tags = decode_tags(scores, OFFSETS, Decoding(snap=True))
    assert tags == [0, 0, 0, 0, 1, 1, 1, 0, 0]
    assert rat.char_spans(tags, OFFSETS, TEXT, "x")[0]["text"] == "unsure,"


def test_single_gaps_merge_and_short_spans_drop():
    scores = [0, 0.9, 0.1, 0.9, 0, 0, 0, 0, 0]  # words tagged: "i", "so"; "am" between them
    assert rat.runs(decode_tags(scores, OFFSETS, Decoding(snap=True))) == [(1, 2), (3, 4)]
    assert rat.runs(decode_tags(scores, OFFSETS, Decoding(snap=True, max_gap=1))) == [(1, 4)]
    assert rat.runs(decode_tags(scores, OFFSETS, Decoding(snap=True, max_gap=1, min_length=2))) == [(1, 4)]
    assert rat.runs(decode_tags(scores, OFFSETS, Decoding(snap=True, min_length=2))) == []
    far = [0, 0.9, 0, 0, 0, 0, 0, 0.9, 0]  # "i" ... "sorry": three words apart
    assert rat.runs(decode_tags(far, OFFSETS, Decoding(snap=True, max_gap=1))) == [(1, 2), (7, 8)]
    assert rat.runs(decode_tags(far, OFFSETS, Decoding(snap=True, max_gap=3))) == [(1, 8)]
    # without snapping, gaps and lengths count tokens ("unsure," is three)
    assert rat.runs(decode_tags(far, OFFSETS, Decoding(max_gap=3))) == [(1, 2), (7, 8)]
    assert rat.runs(decode_tags(far, OFFSETS, Decoding(max_gap=5))) == [(1, 8)]
    assert rat.runs(decode_tags(scores, OFFSETS, Decoding(max_gap=1))) == [(1, 4)]


def test_the_decoding_chosen_on_validation_fits_the_gold_spans():
    # gold: "so unsure," (words 2-3); the tagger is unsure of "un" and scores low overall
    gold = [[0, 0, 0, 1, 1, 1, 1, 0, 0]]
    scores = [[0.1, 0.05, 0.1, 0.35, 0.15, 0.4, 0.1, 0.05, 0.1]]
    assert rat.rationale_metrics([decode_tags(scores[0], OFFSETS)], gold)["iou_f1"] == 0.0
    decoding, metrics = choose_decoding(scores, [OFFSETS], gold)
    assert metrics["iou_f1"] == 1.0 and metrics["token_f1"] == 1.0
    assert 0.15 < decoding.threshold <= 0.35 and decoding.snap


# "[CLS] so sorry . that is hard \n hugs [SEP]": three clauses, the last after a line break
TEXT2 = "so sorry. that is hard\nhugs"
OFFSETS2 = [(0, 0), (0, 2), (3, 8), (8, 9), (10, 14), (15, 17), (18, 22), (23, 27), (0, 0)]


def test_clauses_end_at_punctuation_and_line_breaks():
    assert clause_ids(word_ids(OFFSETS), OFFSETS, TEXT) == [0, 0, 0, 0, 1]  # "unsure," ends the first
    assert clause_ids(word_ids(OFFSETS2), OFFSETS2, TEXT2) == [0, 0, 1, 1, 1, 2]
    # a line break right after a clause end starts one clause, not two
    text = "so sorry.\nhugs"
    offsets = [(0, 0), (0, 2), (3, 8), (8, 9), (10, 14), (0, 0)]
    assert clause_ids(word_ids(offsets), offsets, text) == [0, 0, 1]


def test_a_clause_mostly_tagged_is_tagged_whole_and_one_barely_tagged_is_cleared():
    # "that" and "is" tagged (2 of 3 words of "that is hard"), "so" alone in "so sorry."
    scores = [0, 0.9, 0, 0, 0.8, 0.7, 0.1, 0, 0]
    assert rat.runs(decode_tags(scores, OFFSETS2, Decoding(snap=True))) == [(1, 2), (4, 6)]
    voted = decode_tags(scores, OFFSETS2, Decoding(snap=True, clause=0.6), TEXT2)
    assert rat.runs(voted) == [(4, 7)]  # "so" is 1 of 2: cleared; "that is hard" whole
    assert rat.char_spans(voted, OFFSETS2, TEXT2, "x")[0]["text"] == "that is hard"
    both = decode_tags(scores, OFFSETS2, Decoding(snap=True, clause=0.5), TEXT2)
    assert rat.runs(both) == [(1, 7)]  # adjacent tagged clauses make one span, the full stop inside
    with pytest.raises(ValueError, match="text"):
        decode_tags(scores, OFFSETS2, Decoding(snap=True, clause=0.5))


def test_clause_voting_is_chosen_only_where_it_fits_validation_better():
    gold = [[0, 0, 0, 0, 1, 1, 1, 0, 0]]  # "that is hard"
    scores = [[0, 0.1, 0.1, 0.1, 0.05, 0.9, 0.8, 0.1, 0]]  # "that" missed: IOU 2/3 at best without voting
    plain, plain_metrics = choose_decoding(scores, [OFFSETS2], gold)
    assert plain.clause == 0 and plain_metrics["token_f1"] < 1.0
    decoding, metrics = choose_decoding(scores, [OFFSETS2], gold, texts=[TEXT2])
    assert decoding.clause > 0 and metrics["token_f1"] == 1.0
    # a gold span inside a clause: voting would overshoot it, so it is left off
    inner = [[0, 0, 0, 0, 0, 1, 1, 0, 0]]  # "is hard"
    decoding, metrics = choose_decoding(scores, [OFFSETS2], inner, texts=[TEXT2])
    assert decoding.clause == 0 and metrics["token_f1"] == 1.0

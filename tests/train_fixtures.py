"""Tiny models and toy data for the trainer tests (no downloads, seconds on a CPU).

Use from any test module::

    from tests.train_fixtures import tiny_model, toy_data   # noqa: F401  (pytest fixtures)

- ``tiny_model``: path of a randomly initialised BERT (2 layers, hidden size 32) saved with a
  WordPiece tokenizer built on the fly from :func:`tiny_vocab` (a ``PreTrainedTokenizerFast``
  folder: ``AutoModel``/``AutoTokenizer`` load it like any local model).
- ``toy_data(kind, n, inputs)``: :class:`~empathykit.train.data.TrainingData` whose label is a
  learnable function of the words (``make_rows``), with train/validation/test splits.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

POSITIVE = ["sad", "hurt", "sorry", "pain", "cry", "lost"]
NEGATIVE = ["great", "happy", "fun", "sunny", "win", "party"]
FILLER = ["the", "a", "day", "today", "my", "friend", "is", "was", "so", "very", "and", "we", "it", "feel"]
CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789"
PUNCTUATION = ".,!?'\"-:;()@#&/"


def tiny_vocab() -> dict[str, int]:
    """The tiny tokenizer's vocabulary, in a fixed order: the whole words of the toy rows, then single
    characters (and their ``##`` continuations) so any other text still tokenizes.

    Built rather than trained: ``WordPieceTrainer`` orders tokens of equal count differently in each
    process, which gave every session other token ids, other embeddings and so other training results.
    """
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = sorted(set(POSITIVE + NEGATIVE + FILLER))
    pieces = list(CHARACTERS) + list(PUNCTUATION) + ["##" + c for c in CHARACTERS]
    tokens = list(dict.fromkeys(specials + words + pieces))  # "a" is a word and a character: one id
    return {token: i for i, token in enumerate(tokens)}


def build_tiny_model(folder: Path, hidden: int = 32, layers: int = 2) -> Path:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(tiny_vocab(), unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=128,
    )
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=130,
    )
    import torch

    # the same weights in every session, whatever earlier tests drew from torch's global RNG
    # (67280421310721 is torch's default seed, the one a lone test run builds with)
    with torch.random.fork_rng():
        torch.manual_seed(67280421310721)
        BertModel(config).save_pretrained(str(folder))
    fast.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-bert"))


def make_rows(n: int, seed: int = 0, kind: str = "choice", pair: bool = False) -> list[dict]:
    """Rows whose label follows the words: choice/binary = has a POSITIVE word; multichoice =
    which of the two word groups occur; rating = 1 + 4 * share of POSITIVE words."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        pos = rng.random() < 0.5
        words = rng.sample(FILLER, 3) + rng.sample(POSITIVE if pos else NEGATIVE, 2)
        if kind == "multichoice" and rng.random() < 0.4:
            words += rng.sample(NEGATIVE if pos else POSITIVE, 1)
        rng.shuffle(words)
        text = " ".join(words)
        share = sum(w in POSITIVE for w in words) / sum(w in POSITIVE or w in NEGATIVE for w in words)
        if kind == "choice":
            label = int(pos)
        elif kind == "multichoice":
            label = sorted({0 for w in words if w in NEGATIVE} | {1 for w in words if w in POSITIVE})
        else:
            label = 1.0 + 4.0 * share
        row = {"item_id": f"i{seed}-{i}", "text": text, "label": label}
        if pair:
            row = {
                "item_id": row["item_id"],
                "seeker_post": " ".join(rng.sample(FILLER, 4)),
                "response_post": text,
                "label": label,
            }
        rows.append(row)
    return rows


def make_data(kind: str = "choice", n: int = 96, pair: bool = False, names=("no", "yes"), seed: int = 0):
    from datasets import Dataset, DatasetDict

    from empathykit.train.data import TrainingData

    splits = {
        "train": make_rows(n, seed, kind, pair),
        "validation": make_rows(n // 4, seed + 1, kind, pair),
        "test": make_rows(n // 4, seed + 2, kind, pair),
    }
    dataset = DatasetDict({k: Dataset.from_list(v) for k, v in splits.items()})
    inputs = ["seeker_post", "response_post"] if pair else ["text"]
    return TrainingData(
        dataset=dataset,
        task="toy",
        kind=kind,
        label_names=None if kind == "rating" else list(names),
        inputs=inputs,
        scale=(1.0, 5.0) if kind == "rating" else None,
        source=f"toy-{kind}",
    )


@pytest.fixture
def toy_data():
    return make_data


def make_export(folder: Path, sizes=(("train", 48, 0), ("validation", 8, 1), ("test", 8, 2))) -> Path:
    """An export folder of one ``choice`` task (``no``/``yes``) with the splits' sizes (0: an empty split)."""
    from datasets import ClassLabel, Dataset, Features, Value

    from empathykit.exports.writer import ExportConfig, write_export

    names = ["no", "yes"]
    features = Features({"item_id": Value("string"), "text": Value("string"), "label": ClassLabel(names=names)})
    splits = {
        split: Dataset.from_list(
            [{k: r[k] for k in ("item_id", "text", "label")} for r in make_rows(n, seed)], features=features
        )
        if n
        else Dataset.from_dict({"item_id": [], "text": [], "label": []}, features=features)
        for split, n, seed in sizes
    }
    write_export(
        folder,
        [ExportConfig("empathy", "choice", ["text"], splits, names, schema="seek-provide")],
        card={"source": "toy"},
    )
    return folder


def pair_rows(n: int, seed: int) -> list[dict]:
    """Story pairs (family ``similarity``): two stories score 4 when they share a word group (both
    sad or both happy), else 1."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        ga, gb = rng.random() < 0.5, rng.random() < 0.5
        story = lambda g: " ".join(rng.sample(FILLER, 3) + rng.sample(POSITIVE if g else NEGATIVE, 2))
        a, b = story(ga), story(gb)
        rows.append(
            {
                "item_id": f"p{seed}-{i}",
                "story_a": a,
                "story_b": b,
                "story_a_summary": a,
                "story_b_summary": b,
                "story_a_id": f"s{seed}-{i % 8}",
                "story_b_id": f"t{seed}-{i}",
                "label": 4.0 if ga == gb else 1.0,
            }
        )
    return rows


def pair_data(n: int = 96, rows=None):
    from datasets import Dataset, DatasetDict

    from empathykit.train.data import TrainingData

    splits = rows or {"train": pair_rows(n, 0), "validation": pair_rows(32, 1), "test": pair_rows(32, 2)}
    return TrainingData(
        dataset=DatasetDict({k: Dataset.from_list(v) for k, v in splits.items()}),
        task="similarity_empathy",
        kind="rating",
        label_names=None,
        inputs=["story_a", "story_b"],
        scale=(1.0, 4.0),
        source="toy-pairs",
    )


def similarity_settings(model, **values):
    """Settings of family ``similarity`` that learn :func:`pair_data` in seconds."""
    from empathykit.train.settings import build_settings
    from empathykit.train.similarity import SimilaritySettings

    base = {
        "model": str(model),
        "epochs": 8,
        "batch_size": 16,
        "learning_rate": 1e-3,
        "logging_steps": 4,
        "save_steps": 1000,
        "warmup_ratio": 0.0,
        "max_length": 32,
    }
    return build_settings(SimilaritySettings, {**base, **values})

"""The EPITOME bi-encoder (Sharma et al. 2020): the network, its batches, saving and inference.

Two copies of one pre-trained encoder read the seeker post and the response;
the response's token states attend to the seeker's (single-head attention,
residual connection); an empathy-level head (dense → tanh → linear, as
RoBERTa's classification head) reads the first token and a rationale head
tags every response token (binary, as the reference). Loss:
``lambda_EI * CE(level) + lambda_RE * CE(rationale tags)``, the latter over
the response's non-padding tokens only (padding is labelled -100).

Saved as ``seeker_encoder/``, ``response_encoder/`` (``save_pretrained``),
``heads.safetensors`` (attention + heads) and the tokenizer in the folder root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from empathykit.errors import InputError
from empathykit.progress import Counter, Progress

LEVELS = 3
IGNORE = -100
TOKEN_KEYS = ("input_ids", "attention_mask", "token_type_ids")


def _module():
    import torch
    from torch import nn

    class EpitomeBiEncoder(nn.Module):
        def __init__(self, seeker, response, dropout: float = 0.1, lambda_EI: float = 1.0, lambda_RE: float = 0.5):
            super().__init__()
            self.seeker_encoder, self.response_encoder = seeker, response
            hidden = response.config.hidden_size
            self.attention = nn.MultiheadAttention(hidden, 1, dropout=dropout, batch_first=True)
            self.dropout = nn.Dropout(dropout)
            self.level_dense = nn.Linear(hidden, hidden)
            self.level_out = nn.Linear(hidden, LEVELS)
            self.rationale_head = nn.Linear(hidden, 2)
            self.lambda_EI, self.lambda_RE = lambda_EI, lambda_RE
            # class weights of the level loss (None: unweighted) and the rationale tag's weight in the tag loss
            self.level_weight: list[float] | None = None
            self.rationale_weight = 1.0

        def forward(
            self,
            seeker_input_ids,
            seeker_attention_mask,
            response_input_ids,
            response_attention_mask,
            labels=None,
            rationale_labels=None,
        ):
            seeker = self.seeker_encoder(
                input_ids=seeker_input_ids, attention_mask=seeker_attention_mask
            ).last_hidden_state
            response = self.response_encoder(
                input_ids=response_input_ids, attention_mask=response_attention_mask
            ).last_hidden_state
            attended, _ = self.attention(
                response, seeker, seeker, key_padding_mask=seeker_attention_mask == 0, need_weights=False
            )
            states = self.dropout(response + attended)
            level_logits = self.level_out(self.dropout(torch.tanh(self.level_dense(states[:, 0]))))
            rationale_logits = self.rationale_head(states)
            out = {"logits": level_logits, "rationale_logits": rationale_logits}
            if labels is not None and rationale_labels is not None:
                out["loss"] = self.loss(level_logits, rationale_logits, labels, rationale_labels)
            return out

        def loss(self, level_logits, rationale_logits, labels, rationale_labels):
            weight = (
                torch.tensor(self.level_weight, dtype=level_logits.dtype, device=level_logits.device)
                if self.level_weight is not None
                else None
            )
            level = nn.functional.cross_entropy(level_logits, labels, weight=weight)
            tag_weight = (
                torch.tensor([1.0, self.rationale_weight], dtype=rationale_logits.dtype, device=rationale_logits.device)
                if self.rationale_weight != 1.0
                else None
            )
            tags = nn.functional.cross_entropy(
                rationale_logits.reshape(-1, 2), rationale_labels.reshape(-1), weight=tag_weight, ignore_index=IGNORE
            )
            return self.lambda_EI * level + self.lambda_RE * tags

    return torch, EpitomeBiEncoder


def build_model(base: str | Path, *, dropout: float, lambda_EI: float, lambda_RE: float, train_seeker: bool):
    from transformers import AutoModel

    _, cls = _module()
    seeker = AutoModel.from_pretrained(str(base), local_files_only=True)
    response = AutoModel.from_pretrained(str(base), local_files_only=True)
    for parameter in seeker.parameters():  # the reference trains the response side only
        parameter.requires_grad = train_seeker
    return cls(seeker, response, dropout, lambda_EI, lambda_RE)


def _heads(model) -> dict[str, Any]:
    return {k: v for k, v in model.state_dict().items() if not k.startswith(("seeker_encoder.", "response_encoder."))}


def save_model(model, tokenizer, folder: Path) -> None:
    from safetensors.torch import save_file

    model = getattr(model, "module", model)
    model.seeker_encoder.save_pretrained(str(folder / "seeker_encoder"), safe_serialization=True)
    model.response_encoder.save_pretrained(str(folder / "response_encoder"), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    save_file({k: v.detach().contiguous().cpu() for k, v in _heads(model).items()}, str(folder / "heads.safetensors"))


def load_model(folder: Path):
    """Model (eval mode) and tokenizer from a folder :func:`save_model` wrote."""
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    _, cls = _module()
    seeker = AutoModel.from_pretrained(str(folder / "seeker_encoder"), local_files_only=True)
    response = AutoModel.from_pretrained(str(folder / "response_encoder"), local_files_only=True)
    model = cls(seeker, response, 0.0)
    missing, unexpected = model.load_state_dict(load_file(str(folder / "heads.safetensors")), strict=False)
    if unexpected or any(not k.startswith(("seeker_encoder.", "response_encoder.")) for k in missing):
        raise InputError(f"{folder}: heads.safetensors does not match the EPITOME model")
    model.eval()
    return model, AutoTokenizer.from_pretrained(str(folder), local_files_only=True)


def collator(tokenizer, pad_to: int | None = None):
    """Batches of the two texts, each padded to its own longest row (or to ``pad_to``: static padding),
    and the rationale tags padded with -100."""
    import torch

    def pad(features: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
        rows = [{k: f[f"{prefix}{k}"] for k in TOKEN_KEYS if f"{prefix}{k}" in f} for f in features]
        padded = tokenizer.pad(rows, padding="max_length" if pad_to else True, max_length=pad_to, return_tensors="pt")
        return {f"{prefix}{k}": padded[k] for k in ("input_ids", "attention_mask")}

    def collate(features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = {**pad(features, "seeker_"), **pad(features, "response_")}
        width = batch["response_input_ids"].shape[1]
        if "rationale_labels" in features[0]:
            batch["rationale_labels"] = torch.tensor(
                [f["rationale_labels"] + [IGNORE] * (width - len(f["rationale_labels"])) for f in features]
            )
        if "labels" in features[0]:
            batch["labels"] = torch.tensor([f["labels"] for f in features])
        return batch

    return collate


def encode_pairs(tokenizer, seekers: Sequence[str], responses: Sequence[str], max_length: int):
    """Token ids of both texts (truncated, unpadded) and the response's character offsets."""
    seeker = tokenizer(list(seekers), truncation=True, max_length=max_length)
    response = tokenizer(list(responses), truncation=True, max_length=max_length, return_offsets_mapping=True)
    rows = []
    for i in range(len(seekers)):
        row = {f"seeker_{k}": seeker[k][i] for k in ("input_ids", "attention_mask")}
        row.update({f"response_{k}": response[k][i] for k in ("input_ids", "attention_mask")})
        rows.append(row)
    return rows, [list(map(tuple, o)) for o in response["offset_mapping"]]


def infer(
    model,
    tokenizer,
    seekers: Sequence[str],
    responses: Sequence[str],
    *,
    max_length: int,
    batch_size: int,
    on_progress: Progress | None = None,
    stage: str = "predicting",
    scores: bool = False,
) -> tuple[list[list[float]], list[list], list[list[tuple[int, int]]]]:
    """Level probabilities, rationale tags per real response token (0 on special tokens) and offsets;
    ``scores``: each token's probability of being a rationale instead of its argmax tag."""
    import torch

    rows, offsets = encode_pairs(tokenizer, seekers, responses, max_length)
    collate = collator(tokenizer)
    device = next(model.parameters()).device
    probs: list[list[float]] = []
    tags: list[list[int]] = []
    count = Counter(on_progress, stage, total=len(rows))
    with torch.inference_mode():
        for start in range(0, len(rows), batch_size):
            batch = {k: v.to(device) for k, v in collate(rows[start : start + batch_size]).items()}
            out = model(**batch)
            probs += torch.softmax(out["logits"].float(), dim=-1).cpu().tolist()
            logits = out["rationale_logits"].float()
            per_token = torch.softmax(logits, dim=-1)[..., 1] if scores else logits.argmax(-1)
            for j, row_tags in enumerate(per_token.cpu().tolist()):
                spans = offsets[start + j]
                tags.append([t if e > s else 0 for t, (s, e) in zip(row_tags, spans)])
            count(len(rows[start : start + batch_size]))
    return probs, tags, offsets

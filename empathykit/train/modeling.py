"""A shared encoder with one linear head per task (the classifier has one, the kd student several).

Saved as ``encoder/`` (the encoder's ``save_pretrained``), ``heads.safetensors``
and the tokenizer in the folder root; :func:`load_encoder_with_heads` reads it
back. Pooling: ``first`` (the first token's hidden state, as the BERT
baseline) or ``mean`` (mean over non-padding tokens).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from empathykit.progress import Counter, Progress

POOLINGS = ("first", "mean")


def _module():
    import torch
    from torch import nn

    class EncoderWithHeads(nn.Module):
        def __init__(self, encoder, heads: dict[str, int], pooling: str = "first", dropout: float = 0.1):
            super().__init__()
            self.encoder = encoder
            self.pooling = pooling
            self.dropout = nn.Dropout(dropout)
            hidden = encoder.config.hidden_size
            self.heads = nn.ModuleDict({name: nn.Linear(hidden, size) for name, size in heads.items()})

        def pool(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                kwargs["token_type_ids"] = token_type_ids
            hidden = self.encoder(**kwargs).last_hidden_state
            if self.pooling == "first":
                return hidden[:, 0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

        def forward(self, input_ids, attention_mask, token_type_ids=None, task: str | None = None, **_: Any):
            pooled = self.dropout(self.pool(input_ids, attention_mask, token_type_ids))
            if task is not None:
                return self.heads[task](pooled)
            return {name: head(pooled) for name, head in self.heads.items()}

    return torch, EncoderWithHeads


def build_model(base: str | Path, heads: dict[str, int], pooling: str, dropout: float):
    from transformers import AutoModel

    _, cls = _module()
    encoder = AutoModel.from_pretrained(str(base), local_files_only=True)
    return cls(encoder, heads, pooling, dropout)


def save_model(model, tokenizer, folder: Path) -> None:
    from safetensors.torch import save_file

    model = getattr(model, "module", model)
    model.encoder.save_pretrained(str(folder / "encoder"), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    save_file(
        {k: v.detach().contiguous().cpu() for k, v in model.heads.state_dict().items()},
        str(folder / "heads.safetensors"),
    )


def load_model(folder: Path, heads: dict[str, int], pooling: str):
    """Model (eval mode) and tokenizer from a folder :func:`save_model` wrote."""
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    _, cls = _module()
    encoder = AutoModel.from_pretrained(str(folder / "encoder"), local_files_only=True)
    model = cls(encoder, heads, pooling, 0.0)
    model.heads.load_state_dict(load_file(str(folder / "heads.safetensors")))
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    return model, tokenizer


def batched_logits(
    model,
    tokenizer,
    texts: list[list[str]],
    *,
    max_length: int,
    batch_size: int,
    task: str,
    on_progress: Progress | None = None,
):
    """Logits of ``task``'s head for rows of one text or a pair (``texts``: one list per input)."""
    import torch

    rows = len(texts[0]) if texts else 0
    out = []
    device = next(model.parameters()).device
    count = Counter(on_progress, "predicting", total=rows)
    with torch.inference_mode():
        for start in range(0, rows, batch_size):
            chunk = [column[start : start + batch_size] for column in texts]
            encoded = tokenizer(*chunk[:2], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            encoded = {k: v.to(device) for k, v in encoded.items()}
            out.append(model(**encoded, task=task).float().cpu())
            count(len(chunk[0]))
    return torch.cat(out) if out else torch.zeros((0, model.heads[task].out_features))

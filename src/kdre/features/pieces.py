"""Entity-marked word pieces for a transformer: the established relation-classification input.

Each example becomes ``[CLS] … <e1> type : subject words </e1> … <e2> type : object words </e2>
… [SEP]`` (the two spans in sentence order, the type words only with typed markers and a type
other than ``O``), tokenised word by word from the parsed tokens, so the pieces stay aligned
with the example id and its soft labels. The marker tokens are added to the tokenizer as special
tokens; the encoder pools [CLS] and the two opening markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kdre.data.encode import Encoded, Pieces
from kdre.errors import InputError

if TYPE_CHECKING:
    from torch import nn

MARKERS = ("<e1>", "</e1>", "<e2>", "</e2>")
NO_TYPE = "O"


def add_markers(tokenizer) -> None:
    """Give the tokenizer the four marker tokens (no-op when it has them)."""
    missing = [m for m in MARKERS if m not in tokenizer.get_vocab()]
    if missing:
        tokenizer.add_special_tokens({"additional_special_tokens": list(MARKERS)})


def marked_words(
    tokens: Sequence[str],
    subj: tuple[int, int],
    obj: tuple[int, int],
    subj_type: str | None = None,
    obj_type: str | None = None,
) -> list[str]:
    """The words with markers (and type words) around the inclusive spans."""

    def typed(kind: str | None) -> list[str]:
        if not kind or kind == NO_TYPE:
            return []
        return [*kind.replace("_", " ").split(), ":"]

    opening = {subj[0]: ["<e1>", *typed(subj_type)], obj[0]: ["<e2>", *typed(obj_type)]}
    closing = {subj[1]: ["</e1>"], obj[1]: ["</e2>"]}
    out: list[str] = []
    for i, token in enumerate(tokens):
        out += opening.get(i, [])
        out.append(str(token))
        out += closing.get(i, [])
    return out


def encode_pieces(
    tokenizer,
    rows: Sequence[dict],
    max_length: int,
    typed_markers: bool,
) -> Pieces:
    """Word pieces of parsed-schema rows (tokens, spans, types) with entity markers."""
    words = [
        marked_words(
            row["tokens"],
            (int(row["subj_start"]), int(row["subj_end"])),
            (int(row["obj_start"]), int(row["obj_end"])),
            str(row["subj_type"]) if typed_markers else None,
            str(row["obj_type"]) if typed_markers else None,
        )
        for row in rows
    ]
    enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    e1, e2 = tokenizer.convert_tokens_to_ids(["<e1>", "<e2>"])
    ids, anchors, truncated = [], [], 0
    for piece_ids in enc["input_ids"]:
        array = np.asarray(piece_ids, dtype=np.int64)
        found = []
        for marker in (e1, e2):
            where = np.flatnonzero(array == marker)
            found.append(int(where[0]) if len(where) else len(array) - 1)
        truncated += any(int((array == m).sum()) == 0 for m in (e1, e2))
        ids.append(array)
        anchors.append([0, *found])
    anchor_array = np.asarray(anchors, dtype=np.int64).reshape(-1, 3)
    return Pieces(ids, anchor_array, truncated, int(tokenizer.pad_token_id or 0))


def attach_model_pieces(model: nn.Module, payload: dict, data: Encoded, rows) -> None:
    """A loaded transformer teacher's inputs for ``rows`` (evaluate, predict): its own
    tokenizer and marker settings; nothing for the C-GCN models."""
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None:
        return
    cfg = payload["teacher"]["config"]["transformer"]
    attach_pieces(data, rows, tokenizer, int(cfg["max_length"]), bool(cfg["typed_markers"]))


def attach_pieces(
    data: Encoded, frame: pd.DataFrame | list[dict], tokenizer, max_length: int, typed: bool
) -> None:
    """Give each encoded example its marked word pieces, from the same rows in the same order."""
    rows = frame.to_dict("records") if isinstance(frame, pd.DataFrame) else frame
    if [str(r["id"]) for r in rows] != data.ids:
        raise InputError("the typed split and the encoded split hold different examples")
    data.pieces = encode_pieces(tokenizer, rows, max_length, typed)

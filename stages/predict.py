"""``kdre predict``: a trained model on new text (not a pipeline stage)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from kdre.errors import InputError
from kdre.predict import load_model


def _items(text: str, source: str):
    """(line id, input) pairs: a TACRED JSON array, or one input per line."""
    if text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"invalid JSON: {err.msg}", source, err.lineno) from None
        for i, rec in enumerate(records, start=1):
            yield str(i), rec
        return
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r")
        if line.lstrip().startswith("{"):
            try:
                yield str(number), json.loads(line)
            except json.JSONDecodeError as err:
                yield str(number), ValueError(f"invalid JSON: {err.msg}")
        else:
            yield str(number), line


def predict(
    model: Annotated[Path, typer.Argument(help="A kdre model file (models/student.pt).")],
    input: Annotated[
        Path | None, typer.Argument(help="Input file; stdin when omitted or '-'.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Output file; stdout when omitted.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl or tsv (`<id><TAB><label>`).")
    ] = "jsonl",
    top_k: Annotated[int, typer.Option(help="Relations listed per example (jsonl).")] = 3,
    batch_size: Annotated[int, typer.Option(help="Examples per model batch.")] = 64,
    skip_invalid: Annotated[
        bool, typer.Option(help="Write an error record for a bad line instead of stopping.")
    ] = False,
    spacy_model: Annotated[
        str | None,
        typer.Option(help="spaCy pipeline; default: the one the model was trained on."),
    ] = None,
) -> None:
    """Predict relations for new sentences.

    Input, one example per line: a sentence with `<e1>…</e1>` and `<e2>…</e2>` markers
    (optionally `ID<TAB>` first and in double quotes, as in the SemEval files); a JSON object
    `{"id", "text", "subj": [start, end], "obj": [start, end]}` (character offsets, end
    exclusive); or `{"id", "tokens", "subj_start", "subj_end", "obj_start", "obj_end"}` (TACRED
    fields, inclusive). A file that is a JSON array is read as TACRED JSON (its Stanford
    annotations and types are used when present). Sentences are parsed with spaCy as in the parse
    stage. Output: JSONL (`id`, `relation`, `probability`, `top_k`) or, with `--format tsv`, the
    official `<id><TAB><label>` lines that `kdre score` reads. A bad line stops the run with its
    line number; with `--skip-invalid` it yields an error record and the run goes on (one output
    line per input line).
    """
    if fmt not in ("jsonl", "tsv"):
        raise InputError(f"--format must be jsonl or tsv, got {fmt!r}")
    source = "<stdin>" if input is None or str(input) == "-" else str(input)
    if source == "<stdin>":
        text = sys.stdin.read()
    else:
        try:
            text = input.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError("file not found", input) from None
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", input) from None
    extractor = load_model(model, spacy_model)
    items = list(_items(text, source))

    out = sys.stdout if output is None else output.open("w", encoding="utf-8")
    try:
        stream = extractor.predict_stream(items, top_k, batch_size, skip_invalid, source)
        bar = tqdm(stream, total=len(items), unit="sent", disable=len(items) < 200 or None)
        for pred in bar:
            if fmt == "tsv":
                label = pred.relation if pred.error is None else extractor.vocab.na_label
                if pred.error is not None:
                    print(
                        f"kdre: line {pred.id}: {pred.error} (written as {label})", file=sys.stderr
                    )
                out.write(f"{pred.id}\t{label}\n")
            else:
                out.write(pred.to_json() + "\n")
    finally:
        if output is not None:
            out.close()

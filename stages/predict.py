"""``kdre predict``: a trained model on new text (not a pipeline stage)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from kdre.errors import InputError, read_bytes
from kdre.serving.extractor import load_model
from kdre.serving.formats import read_inputs
from stages.common import writable_target


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
    if top_k < 1:
        raise InputError(f"--top-k must be >= 1, got {top_k}")
    if batch_size < 1:
        raise InputError(f"--batch-size must be >= 1, got {batch_size}")
    source = "<stdin>" if input is None or str(input) == "-" else str(input)
    if source == "<stdin>":
        text = sys.stdin.read()
    else:
        try:
            text = read_bytes(input).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", input) from None
    mode = writable_target(output) if output is not None else None
    extractor = load_model(model, spacy_model)
    items = list(read_inputs(text, source))

    # Everything goes to a temp file first: a bad line stops the run before anything reaches
    # stdout or OUTPUT, and an existing OUTPUT is replaced only by a complete one.
    folder = output.resolve().parent if output is not None else None
    handle, name = tempfile.mkstemp(dir=folder, prefix=".kdre-predict-", suffix=".tmp")
    os.close(handle)
    tmp = Path(name)
    try:
        with tmp.open("w", encoding="utf-8") as out:
            stream = extractor.predict_stream(items, top_k, batch_size, skip_invalid, source)
            bar = tqdm(stream, total=len(items), unit="sent", disable=len(items) < 200 or None)
            for pred in bar:
                if fmt == "tsv":
                    label = pred.relation if pred.error is None else extractor.vocab.na_label
                    if pred.error is not None:
                        print(
                            f"kdre: line {pred.id}: {pred.error} (written as {label})",
                            file=sys.stderr,
                        )
                    out.write(f"{pred.id}\t{label}\n")
                else:
                    out.write(pred.to_json() + "\n")
        if output is None:
            with tmp.open(encoding="utf-8") as done:
                try:
                    shutil.copyfileobj(done, sys.stdout)
                    sys.stdout.flush()
                except OSError as err:
                    raise InputError(f"cannot write to stdout ({err.strerror})") from None
        else:
            os.chmod(tmp, mode)
            os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)

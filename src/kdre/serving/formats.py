"""The input formats of `kdre predict` and the Python API: what one input item may be.

Parsing an input text into (id, item) pairs lives here, not in the command, so a program reads
a file exactly as `kdre predict` does (``RelationExtractor.predict_stream(read_inputs(...))``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from kdre.errors import InputError


def read_inputs(text: str, source: str) -> Iterator[tuple[str, object]]:
    """(line id, input) pairs: a TACRED JSON array, or one input per line (blank lines skipped).

    A text that starts with `[` is a JSON array only if it parses as one, or does not look like
    a marked sentence: a plain sentence may start with a bracket."""
    if text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as err:
            first = text.lstrip().splitlines()[0]
            if "<e1>" not in first and "<e2>" not in first:
                raise InputError(f"invalid JSON: {err.msg}", source, err.lineno) from None
        else:
            if not isinstance(records, list):
                raise InputError("a JSON input must be an array of objects", source)
            for i, rec in enumerate(records, start=1):
                yield str(i), rec
            return
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if "\x00" in line:
            yield str(number), ValueError("a NUL byte in the line")
        elif line.lstrip().startswith("{"):
            try:
                yield str(number), json.loads(line)
            except json.JSONDecodeError as err:
                # `{Note} The <e1>…` is a sentence that starts with a brace, not broken JSON
                marked = "<e1>" in line and "<e2>" in line
                yield str(number), line if marked else ValueError(f"invalid JSON: {err.msg}")
        else:
            yield str(number), line

"""``kdre params-reference``: write docs/params.md from the configuration code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kdre.errors import InputError
from kdre.params_reference import markdown
from stages.common import write_text


def params_reference(
    out: Annotated[Path, typer.Option(help="Where to write the reference.")] = Path(
        "docs/params.md"
    ),
    check: Annotated[
        bool, typer.Option(help="Write nothing; exit 1 if OUT differs from what would be written.")
    ] = False,
) -> None:
    """Write the params.yaml reference (every key: default, allowed values or range, meaning),
    generated from the configuration code so that it cannot drift from what the stages read."""
    text = markdown()
    if check:
        current = out.read_text(encoding="utf-8") if out.is_file() else None
        if current != text:
            raise InputError("out of date: run `kdre params-reference`", out)
        return
    write_text(out, text)
    typer.echo(f"wrote {out}", err=True)

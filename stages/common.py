"""Small helpers shared by the stage commands: metric and history files."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Annotated

import typer

# What every training stage reads from the embed stage: one folder.
EmbeddingsOption = Annotated[
    Path,
    typer.Option(
        help="Output folder of the embed stage: word-vector table (unused when random) and "
        "cached contextual vectors (when embeddings.contextual is set)."
    ),
]
EMBEDDINGS = Path("data/embeddings")


def write_text(path: Path, text: str) -> None:
    """Write through a temp file and rename, so an interrupted run leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_history(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["epoch"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()})
    os.replace(tmp, path)

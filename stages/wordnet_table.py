"""``kdre wordnet-table``: rebuild the shipped WordNet noun-supersense table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kdre.knowledge import wordnet

SHIPPED = Path(__file__).resolve().parent.parent / "src" / "kdre" / "resources"


def wordnet_table(
    wordnet_dir: Annotated[
        Path,
        typer.Option(
            help="A WordNet 3.0 folder with index.noun, data.noun and noun.exc: Debian's "
            "wordnet-base installs one at /usr/share/wordnet; NLTK's `wordnet` corpus is another."
        ),
    ] = Path("/usr/share/wordnet"),
    out: Annotated[Path, typer.Option(help="Table to write (gzip'd TSV).")] = SHIPPED
    / wordnet.TABLE_RESOURCE,
) -> None:
    """Derive the lemma → noun-supersense table that `types.source: wordnet` reads.

    The table ships with kdre (with WordNet's licence notice), so a run never needs WordNet
    installed; this command rebuilds it byte for byte from any WordNet 3.0 copy. Each lemma maps
    to the lexicographer file of its first (most frequent) noun sense; irregular plurals of
    noun.exc map through their base form.
    """
    table = wordnet.build_table(wordnet_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    wordnet.write_table(table, out)
    senses = len(set(table.values()))
    typer.echo(f"{len(table)} lemmas, {senses} supersenses -> {out}", err=True)

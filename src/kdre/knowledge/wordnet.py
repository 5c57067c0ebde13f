"""WordNet 3.0 noun supersenses, offline: the lemma → lexicographer-file table kdre ships.

A nominal's *supersense* is the lexicographer file of its first (most frequent) noun sense:
``dog`` → ``animal``, ``audit`` → ``act``. The table is derived once from any WordNet 3.0 folder
(Debian's ``wordnet-base`` puts one at /usr/share/wordnet, NLTK's ``wordnet`` corpus folder is
another) by ``kdre wordnet-table``, and shipped in the package with WordNet's licence notice, so
neither root, apt nor NLTK is needed at run time.

What the table holds: every lemma of ``index.noun`` (lower case, ``_`` joining the words of a
compound) mapped to the file of its first synset in ``data.noun``; then each irregular plural of
``noun.exc`` that is not a lemma itself, mapped through its base form. Regular plurals are
reduced at lookup by WordNet's own noun rules (morphy: ``-s``, ``-ses``, ``-xes``, ``-zes``,
``-ches``, ``-shes``, ``-men``, ``-ies``).
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from kdre.atomic import atomic_path
from kdre.errors import InputError

# The 45 lexicographer files, numbered as WordNet's lexnames(5WN) documents them. WordNet
# ships a `lexnames` file with this list; Debian's wordnet-base does not, so it is fixed here.
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
    "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
    "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
    "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
NOUN_SUPERSENSES = tuple(name.removeprefix("noun.") for name in LEXNAMES if name[:5] == "noun.")

TABLE_RESOURCE = "wordnet_noun_supersenses.tsv.gz"
_HEADER = "# WordNet 3.0 noun supersenses (first sense), derived by `kdre wordnet-table`."
GET_WORDNET = (
    "get WordNet 3.0 with `apt-get install wordnet-base` (files in /usr/share/wordnet) or "
    "NLTK's `wordnet` corpus folder, then run `kdre wordnet-table --wordnet-dir DIR`"
)
# WordNet's noun detachment rules (morphy): suffix → replacement, tried in this order.
_NOUN_RULES = (
    ("ses", "s"),
    ("xes", "x"),
    ("zes", "z"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("men", "man"),
    ("ies", "y"),
    ("s", ""),
)


def build_table(wordnet_dir: Path | str) -> dict[str, str]:
    """lemma → noun supersense from a WordNet 3.0 folder's index.noun, data.noun, noun.exc."""
    root = Path(wordnet_dir)
    files = {name: root / name for name in ("index.noun", "data.noun", "noun.exc")}
    for name in ("index.noun", "data.noun"):
        if not files[name].is_file():
            raise InputError(f"not a WordNet 3.0 folder (no {name}); {GET_WORDNET}", root)
    lexfile: dict[str, str] = {}
    with files["data.noun"].open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(" "):  # the licence header
                continue
            offset, number = line.split(" ", 2)[:2]
            lexfile[offset] = LEXNAMES[int(number)].removeprefix("noun.")
    table: dict[str, str] = {}
    with files["index.noun"].open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.startswith(" "):
                continue
            fields = line.split()
            # lemma pos synset_cnt p_cnt [ptr_symbol × p_cnt] sense_cnt tagsense_cnt offsets…
            first_offset = fields[4 + int(fields[3]) + 2]
            if first_offset not in lexfile:
                raise InputError(
                    f"synset {first_offset} is not in data.noun", files["index.noun"], n
                )
            table[fields[0].lower()] = lexfile[first_offset]
    if files["noun.exc"].is_file():
        with files["noun.exc"].open(encoding="utf-8") as fh:
            for line in fh:
                inflected, *bases = line.split()
                base = next((b for b in bases if b in table), None)
                if base is not None and inflected not in table:
                    table[inflected] = table[base]
    return table


def write_table(table: dict[str, str], path: Path | str) -> None:
    """The shipped form: gzip'd TSV, sorted (byte-identical for the same WordNet), atomic."""
    path = Path(path)
    # mtime=0: the same WordNet gives the same bytes, so a rebuild shows no diff
    with atomic_path(path) as tmp:
        with (
            open(tmp, "wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz,
        ):
            gz.write((_HEADER + "\n").encode())
            gz.write(_notice().encode())
            for lemma in sorted(table):
                gz.write(f"{lemma}\t{table[lemma]}\n".encode())


def _notice() -> str:
    text = resources.files("kdre.resources").joinpath("WORDNET_LICENSE").read_text("utf-8")
    return "".join(f"# {line}\n" for line in text.splitlines())


@cache
def shipped_table() -> dict[str, str]:
    """The table in the package (read once per process)."""
    ref = resources.files("kdre.resources").joinpath(TABLE_RESOURCE)
    if not ref.is_file():
        raise InputError(f"the WordNet supersense table {TABLE_RESOURCE} is missing; {GET_WORDNET}")
    table: dict[str, str] = {}
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                lemma, sense = line.rstrip("\n").split("\t")
                table[lemma] = sense
    return table


def base_forms(word: str) -> list[str]:
    """``word`` then its candidate singulars by WordNet's noun rules (morphy)."""
    forms = [word]
    for suffix, replacement in _NOUN_RULES:
        if word.endswith(suffix) and len(word) > len(suffix):
            forms.append(word[: -len(suffix)] + replacement)
    return forms


def supersense(words: Sequence[str], table: dict[str, str] | None = None) -> str | None:
    """The supersense of a nominal given as words, or None when WordNet lacks it.

    Compounds first: the longest run of words ending at the last one that WordNet knows
    (``fishing boat`` → ``fishing_boat``, then ``boat``), its last word reduced by morphy."""
    table = shipped_table() if table is None else table
    words = [w.lower() for w in words if w.strip()]
    for start in range(len(words)):
        head = words[start:]
        for last in base_forms(head[-1]):
            found = table.get("_".join([*head[:-1], last]))
            if found is not None:
                return found
    return None

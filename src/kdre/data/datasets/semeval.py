"""Reader for the SemEval-2010 Task 8 release format.

A record is four lines: ``id<TAB>"sentence with <e1>..</e1> and <e2>..</e2>"``, the relation
label, ``Comment: ...`` and an empty line. The release is CRLF; we read bytes so that an
undecodable byte is reported with its line number instead of a codec traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kdre.data.datasets.base import DatasetSpec
from kdre.errors import InputError, read_bytes

RELATIONS = (
    "Cause-Effect",
    "Component-Whole",
    "Content-Container",
    "Entity-Destination",
    "Entity-Origin",
    "Instrument-Agency",
    "Member-Collection",
    "Message-Topic",
    "Product-Producer",
)
NA_LABEL = "Other"
# Other first, so that index 0 is NA as in TACRED's no_relation convention.
LABELS: tuple[str, ...] = (NA_LABEL,) + tuple(
    f"{rel}({a},{b})" for rel in RELATIONS for a, b in (("e1", "e2"), ("e2", "e1"))
)
SPEC = DatasetSpec(name="semeval", labels=LABELS, na_label=NA_LABEL, scorer="semeval")
# The C-GCN/AGGCN line's protocol (dataset.semeval_directions: false): 10 labels, directions
# merged, scored with that line's metric (kdre.evaluation.scoring.lineage_score).
UNDIRECTED_LABELS: tuple[str, ...] = (NA_LABEL, *RELATIONS)
SPEC_UNDIRECTED = DatasetSpec(
    name="semeval", labels=UNDIRECTED_LABELS, na_label=NA_LABEL, scorer="semeval_lineage"
)


def undirected(label: str) -> str:
    """``Cause-Effect(e1,e2)`` → ``Cause-Effect``; ``Other`` stays."""
    return label.split("(", 1)[0]


# Relative to the release folder SemEval2010_task8_all_data/.
TRAIN_FILE = "SemEval2010_task8_training/TRAIN_FILE.TXT"
TEST_FILE = "SemEval2010_task8_testing_keys/TEST_FILE_FULL.TXT"
SCORER_FILE = "SemEval2010_task8_scorer-v1.2/semeval2010_task8_scorer-v1.2.pl"

_MARKER = re.compile(r"</?e\d*>")
_ENTITIES = ("e1", "e2")


@dataclass(frozen=True)
class MarkedExample:
    """One SemEval record with the markers removed; spans are character offsets [start, end)."""

    id: str
    text: str
    subj: tuple[int, int]
    obj: tuple[int, int]
    relation: str
    line: int


# Characters that print as nothing (zero-width spaces and joiners, word joiner, BOM): an entity
# made only of them names nothing.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def read_lines(path: Path) -> list[str]:
    """Decode a file line by line, so a bad byte is reported with the line it is on."""
    raw = read_bytes(path)
    if raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark (editors on Windows add one)
        raw = raw[3:]
    if b"\n" not in raw and b"\r" in raw:
        raw = raw.replace(b"\r", b"\n")  # classic Mac OS line endings (CR only)
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = []
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(
                f"undecodable byte 0x{line[err.start]:02x} at column {err.start + 1} (not UTF-8)",
                path,
                number,
            ) from None
        if "\x00" in text:
            raise InputError(f"a NUL byte at column {text.index(chr(0)) + 1}", path, number)
        out.append(text.removesuffix("\r"))
    return out


def strip_markers(
    sentence: str, path: Path | str, line: int
) -> tuple[str, dict[str, tuple[int, int]]]:
    """Remove the four entity markers and return the plain text with each entity's char span.

    Whitespace just inside a marker is moved outside the span, so spans never start or end
    with a space.
    """
    found: dict[str, list[int]] = {}
    for match in _MARKER.finditer(sentence):
        tag = match.group()
        name = tag.strip("</>")
        if name not in _ENTITIES:
            raise InputError(f"unknown entity marker {tag}", path, line)
        found.setdefault(tag, []).append(match.start())
    for name in _ENTITIES:
        opening, closing = f"<{name}>", f"</{name}>"
        n_open, n_close = len(found.get(opening, [])), len(found.get(closing, []))
        if n_open == 0 and n_close == 0:
            raise InputError(f"missing {opening}...{closing} entity markers", path, line)
        if n_open > 1 or n_close > 1:
            tag = opening if n_open > 1 else closing
            raise InputError(f"duplicated {tag} marker", path, line)
        if n_close == 0:
            raise InputError(f"unclosed {opening} marker (no {closing})", path, line)
        if n_open == 0:
            raise InputError(f"{closing} without a matching {opening}", path, line)
        if found[closing][0] < found[opening][0]:
            raise InputError(f"{closing} comes before {opening}", path, line)
    (s1,), (e1,) = found["<e1>"], found["</e1>"]
    (s2,), (e2,) = found["<e2>"], found["</e2>"]
    if s1 < s2 < e1 or s2 < s1 < e2:
        raise InputError("nested or overlapping entity markers", path, line)

    pieces: list[str] = []
    spans: dict[str, list[int]] = {name: [0, 0] for name in _ENTITIES}
    cursor = 0
    length = 0
    for match in _MARKER.finditer(sentence):
        chunk = sentence[cursor : match.start()]
        pieces.append(chunk)
        length += len(chunk)
        tag = match.group()
        name = tag.strip("</>")
        spans[name][1 if tag.startswith("</") else 0] = length
        cursor = match.end()
    pieces.append(sentence[cursor:])
    text = "".join(pieces)

    result: dict[str, tuple[int, int]] = {}
    for name in _ENTITIES:
        start, end = spans[name]
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            raise InputError(f"empty entity {name}", path, line)
        if all(c in _INVISIBLE for c in text[start:end]):
            raise InputError(f"entity {name} holds only invisible characters", path, line)
        result[name] = (start, end)
    return text, result


def _parse_sentence_line(
    line_text: str, path: Path, line: int, numeric_ids: bool = True
) -> tuple[str, str]:
    if "\t" not in line_text:
        raise InputError("expected '<id><TAB>\"sentence\"'", path, line)
    record_id, quoted = line_text.split("\t", 1)
    if numeric_ids and not record_id.isdigit():
        raise InputError(f"non-numeric id {record_id!r}", path, line)
    if not record_id.strip() or record_id != record_id.strip():
        raise InputError(f"empty or space-padded id {record_id!r}", path, line)
    quoted = quoted.strip() if not numeric_ids else quoted
    if len(quoted) < 2 or not (quoted.startswith('"') and quoted.endswith('"')):
        raise InputError("sentence is not enclosed in double quotes", path, line)
    return record_id, quoted[1:-1]


def read_semeval(
    path: Path | str,
    labels: Iterable[str] | None = LABELS,
    strict: bool = True,
    skipped: list[InputError] | None = None,
) -> list[MarkedExample]:
    """Read and validate a SemEval-format file (TRAIN_FILE.TXT, TEST_FILE_FULL.TXT).

    ``strict`` (the release): numeric ids, a `Comment:` line in every record, labels exactly as
    written. Otherwise (``dataset.name: semeval-format``, e.g. KBP37): any id without spaces,
    the `Comment:` line optional, a label's stray whitespace stripped (KBP37 has one
    `org:alternate_names(e2,e1) `), blank lines between records in any number. ``labels``
    None accepts any label. With ``skipped`` a list, a record whose entity is empty (KBP37 has
    `<e1> </e1>` in 146 records) is left out and its error appended there, not raised: there is
    no nominal to classify a relation of."""
    path = Path(path)
    allowed = None if labels is None else set(labels)
    lines = read_lines(path)
    examples: list[MarkedExample] = []
    seen: dict[str, int] = {}
    i = 0
    while i < len(lines):
        if lines[i].strip() == "":
            i += 1
            continue
        first = i + 1  # 1-based line number of the sentence
        record_id, sentence = _parse_sentence_line(lines[i], path, first, numeric_ids=strict)
        if record_id in seen:
            raise InputError(
                f"duplicate id {record_id} (first seen on line {seen[record_id]})", path, first
            )
        seen[record_id] = first
        if i + 1 >= len(lines) or lines[i + 1].strip() == "":
            raise InputError(
                f"truncated record {record_id}: no relation label after the sentence", path, first
            )
        label = lines[i + 1] if strict else lines[i + 1].strip()
        if allowed is not None and label not in allowed:
            raise InputError(f"unknown relation label {label!r}", path, first + 1)
        has_comment = i + 2 < len(lines) and lines[i + 2].startswith("Comment")
        if strict and not has_comment:
            raise InputError(
                f"truncated record {record_id}: expected a 'Comment:' line", path, first + 2
            )
        i += 3 if has_comment else 2
        try:
            text, spans = strip_markers(sentence, path, first)
        except InputError as err:
            if skipped is None or not err.problem.startswith("empty entity"):
                raise
            skipped.append(err)
        else:
            examples.append(MarkedExample(record_id, text, spans["e1"], spans["e2"], label, first))
        if i < len(lines) and lines[i].strip() != "":
            raise InputError("expected an empty line between records", path, i + 1)
    if not examples:
        raise InputError("no records found", path)
    return examples


def check_disjoint_ids(*files: tuple[Path | str, list[MarkedExample]]) -> None:
    """Ids key predictions and soft labels, so they must be unique across all splits."""
    owner: dict[str, str] = {}
    for path, examples in files:
        for ex in examples:
            if ex.id in owner:
                raise InputError(f"id {ex.id} is also used in {owner[ex.id]}", path, ex.line)
            owner[ex.id] = str(path)


def iter_answer_key(examples: Iterable[MarkedExample]) -> Iterator[str]:
    """Lines of an official answer key (``id<TAB>label``), directions included."""
    for ex in examples:
        yield f"{ex.id}\t{ex.relation}\n"

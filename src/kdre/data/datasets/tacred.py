"""Reader for TACRED's LDC JSON files (train.json, dev.json, test.json).

TACRED already carries Stanford CoreNLP annotations in exactly the fields kdre's schema mirrors,
so by default they are kept; ``parse.reparse`` swaps them for spaCy's.
"""

from __future__ import annotations

import json
from pathlib import Path

from kdre.data.datasets.base import DatasetSpec
from kdre.data.tree import adopt_extra_roots, check_heads
from kdre.errors import InputError, read_bytes

NA_LABEL = "no_relation"
_ORG = (
    "alternate_names",
    "city_of_headquarters",
    "country_of_headquarters",
    "dissolved",
    "founded",
    "founded_by",
    "member_of",
    "members",
    "number_of_employees/members",
    "parents",
    "political/religious_affiliation",
    "shareholders",
    "stateorprovince_of_headquarters",
    "subsidiaries",
    "top_members/employees",
    "website",
)
_PER = (
    "age",
    "alternate_names",
    "cause_of_death",
    "charges",
    "children",
    "cities_of_residence",
    "city_of_birth",
    "city_of_death",
    "countries_of_residence",
    "country_of_birth",
    "country_of_death",
    "date_of_birth",
    "date_of_death",
    "employee_of",
    "origin",
    "other_family",
    "parents",
    "religion",
    "schools_attended",
    "siblings",
    "spouse",
    "stateorprovince_of_birth",
    "stateorprovince_of_death",
    "stateorprovinces_of_residence",
    "title",
)
LABELS: tuple[str, ...] = (
    (NA_LABEL,) + tuple(f"org:{r}" for r in _ORG) + tuple(f"per:{r}" for r in _PER)
)
SPEC = DatasetSpec(name="tacred", labels=LABELS, na_label=NA_LABEL, scorer="tacred")

REQUIRED = (
    "id",
    "token",
    "relation",
    "subj_start",
    "subj_end",
    "obj_start",
    "obj_end",
    "subj_type",
    "obj_type",
    "stanford_pos",
    "stanford_ner",
    "stanford_head",
    "stanford_deprel",
)
_PER_TOKEN = ("stanford_pos", "stanford_ner", "stanford_head", "stanford_deprel")


def load_json_records(path: Path | str) -> list[dict]:
    """Load a JSON array of objects, reporting syntax errors with their line."""
    path = Path(path)
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError(
            f"undecodable byte 0x{raw[err.start]:02x} (not UTF-8)", path, line
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg}", path, err.lineno) from None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise InputError("expected a JSON array of objects", path)
    return data


def _int(value, field: str, path: Path, rid: str) -> int:
    """An index given as a JSON integer; ``9.7``, ``"9"`` or ``true`` are refused, not coerced."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"field {field!r} is not an integer: {value!r}", path, record=rid)
    return value


def is_head_index(value: object) -> bool:
    """A valid stanford_head entry: an integer, or a string of digits as in the LDC release;
    never a float or a bool. Shared by the parse stage and `kdre predict`."""
    if isinstance(value, str):
        return value.isdigit()
    return isinstance(value, int) and not isinstance(value, bool)


def span_problem(name: str, start: int, end: int, n: int) -> str | None:
    """What is wrong with an inclusive token span of a sentence of ``n`` tokens, if anything
    (the parse stage's reader and `kdre predict`'s TACRED-field input say it alike)."""
    if start > end:
        return f"{name} span [{start}, {end}] is reversed (start after end)"
    if not 0 <= start <= end < n:
        return f"{name} span [{start}, {end}] is outside the sentence (0..{n - 1})"
    return None


def _check_strings(rec: dict, path: Path, rid: str) -> None:
    """Labels and types are strings, tag lists hold strings: a list or a number there is a
    malformed record, not something to stringify."""
    for field in ("relation", "subj_type", "obj_type"):
        if not isinstance(rec[field], str):
            raise InputError(
                f"field {field!r} must be a string, got {type(rec[field]).__name__}",
                path,
                record=rid,
            )
        if not rec[field].strip():
            raise InputError(f"field {field!r} is empty", path, record=rid)
        if any(c in rec[field] for c in "\t\n\r\x00"):
            # the label set travels tab-joined in the parsed splits' metadata
            raise InputError(f"field {field!r} holds a tab, newline or NUL", path, record=rid)
    for field in ("stanford_pos", "stanford_ner", "stanford_deprel"):
        bad = next((v for v in rec[field] if not isinstance(v, str)), None)
        if bad is not None:
            raise InputError(f"field {field!r} must hold strings, got {bad!r}", path, record=rid)


# Row key (not a schema column) counting the roots a record had beyond the first; the parse
# stage sums it into its metrics and drops it.
EXTRA_ROOTS = "extra_roots"


def convert_record(rec: dict, path: Path, index: int, labels: set[str] | None) -> dict:
    """One TACRED object → one schema row (validated); ``labels`` None accepts any label.

    Several dependency roots are accepted: the first root adopts the others (one tree, as
    pruning needs), counted under EXTRA_ROOTS."""
    if "id" in rec and (not isinstance(rec["id"], (str, int)) or isinstance(rec["id"], bool)):
        raise InputError(
            f"'id' must be a string or an integer, got {rec['id']!r}", path, record=f"#{index}"
        )
    rid = str(rec.get("id", f"#{index}"))
    missing = [f for f in REQUIRED if f not in rec]
    if missing:
        raise InputError(f"missing fields {missing}", path, record=rid)
    tokens = rec["token"]
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
        raise InputError("'token' must be a non-empty list of strings", path, record=rid)
    blank = next((i for i, t in enumerate(tokens) if t == ""), None)
    if blank is not None:
        raise InputError(f"token {blank} is an empty string", path, record=rid)
    n = len(tokens)
    for field in _PER_TOKEN:
        if not isinstance(rec[field], list) or len(rec[field]) != n:
            raise InputError(
                f"{field!r} must be a list of {n} entries, one per token", path, record=rid
            )
    spans = {
        f: _int(rec[f], f, path, rid) for f in ("subj_start", "subj_end", "obj_start", "obj_end")
    }
    for name in ("subj", "obj"):
        problem = span_problem(name, spans[f"{name}_start"], spans[f"{name}_end"], n)
        if problem:
            raise InputError(problem, path, record=rid)
    if (spans["subj_start"], spans["subj_end"]) == (spans["obj_start"], spans["obj_end"]):
        raise InputError("the subject and object spans are the same tokens", path, record=rid)
    _check_strings(rec, path, rid)
    if labels is not None and rec["relation"] not in labels:
        raise InputError(f"unknown relation label {rec['relation']!r}", path, record=rid)
    bad = next((h for h in rec["stanford_head"] if not is_head_index(h)), None)
    if bad is not None:
        raise InputError(f"field 'stanford_head' is not an integer: {bad!r}", path, record=rid)
    heads = [int(h) for h in rec["stanford_head"]]
    try:
        check_heads(heads)
    except ValueError as err:
        raise InputError(f"stanford_head: {err}", path, record=rid) from None
    heads, adopted = adopt_extra_roots(heads)
    return {
        "id": rid,
        "tokens": list(tokens),
        "whitespace": [True] * (n - 1) + [False],
        "pos": [str(x) for x in rec["stanford_pos"]],
        "ner": [str(x) for x in rec["stanford_ner"]],
        "head": heads,
        "deprel": [str(x) for x in rec["stanford_deprel"]],
        **spans,
        "subj_type": str(rec["subj_type"]),
        "obj_type": str(rec["obj_type"]),
        "relation": rec["relation"],
        EXTRA_ROOTS: adopted,
    }


def read_tacred(path: Path | str, labels: tuple[str, ...] | None = LABELS) -> list[dict]:
    """Records of a TACRED-format JSON file as schema rows; ``labels`` None accepts any."""
    path = Path(path)
    allowed = None if labels is None else set(labels)
    rows = [convert_record(rec, path, i, allowed) for i, rec in enumerate(load_json_records(path))]
    seen: set[str] = set()
    for row in rows:
        if row["id"] in seen:
            raise InputError("duplicate id", path, record=row["id"])
        seen.add(row["id"])
    if not rows:
        raise InputError("no records found", path)
    return rows

"""Official scores: SemEval-2010 Task 8 macro-F1 and TACRED micro-F1.

The SemEval score mirrors ``semeval2010_task8_scorer-v1.2.pl`` operation by operation (percent
values, per-relation F1 summed in the scorer's sorted order, divided by the number of non-Other
relations present in the key), so the rounded figure equals the Perl scorer's last line.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kdre.data.datasets import semeval, tacred
from kdre.data.datasets.base import DatasetSpec
from kdre.data.datasets.semeval import read_lines
from kdre.errors import InputError, read_bytes

_LINE = re.compile(r"^([0-9]+)\t(.+)$")
_ANY_ID_LINE = re.compile(r"^([^\t\s]+)\t(.+)$")  # a corpus with ids such as `test-0`


@dataclass(frozen=True)
class RelationScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Score:
    """Percentages. ``f1`` is the official figure of the dataset's scorer."""

    precision: float
    recall: float
    f1: float
    per_relation: dict[str, RelationScore] = field(default_factory=dict)
    coverage: int = 0
    total: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def read_answer_file(
    path: Path | str, labels: Iterable[str] | None, numeric_ids: bool = True
) -> dict[str, str]:
    """Read ``<id><TAB><label>`` lines, with the Perl scorer's strictness (and clearer errors);
    ``labels`` None accepts any label and ``numeric_ids`` false any id without spaces (a corpus
    that brings its own label set and ids)."""
    path = Path(path)
    allowed = None if labels is None else set(labels)
    raw = read_bytes(path)
    if raw.lstrip()[:1] in (b"[", b"{"):
        raise InputError(
            "looks like JSON, but a SemEval answer file is `<id><TAB><label>` lines "
            "(TACRED JSON: kdre score tacred)",
            path,
        )
    lines = read_lines(path)
    if raw and not raw.endswith(b"\n"):
        raise InputError(
            "last line does not end with a newline (the official scorer rejects it)",
            path,
            len(lines),
        )
    answers: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        match = (_LINE if numeric_ids else _ANY_ID_LINE).match(line)
        if not match:
            raise InputError(f"expected '<id><TAB><label>', got {line!r}", path, number)
        rid, label = match.groups()
        if allowed is not None and label not in allowed:
            raise InputError(f"unknown label {label!r}", path, number)
        if rid in answers:
            raise InputError(f"id {rid} is already defined", path, number)
        answers[rid] = label
    return answers


def read_semeval_key(path: Path | str) -> dict[str, str]:
    """A key is either an answer file or the release file itself (TEST_FILE_FULL.TXT)."""
    lines = read_lines(Path(path))
    if lines and re.match(r'^[0-9]+\t"', lines[0]):
        return {ex.id: ex.relation for ex in semeval.read_semeval(path)}
    return read_answer_file(path, (*semeval.LABELS, *semeval.RELATIONS))  # 19- or 10-way


def read_format_key(path: Path | str) -> dict[str, str]:
    """The key of a corpus in SemEval's record format (``dataset.name: semeval-format``): an
    answer file, or the corpus's own split file (e.g. KBP37's test.txt), whose ids get the
    split's name as the parse stage gives them (``test-0``: such corpora restart ids in every
    file). Every record of the file is in the key, those the parse stage left out (an empty
    entity) too: a model that never saw them has them unanswered, as published figures count
    them."""
    path = Path(path)
    lines = read_lines(path)
    if not (lines and re.match(r'^[^\t"]+\t\s*"', lines[0])):
        return read_answer_file(path, None, numeric_ids=False)
    key: dict[str, str] = {}
    i = 0
    while i < len(lines):
        match = re.match(r'^([^\t"\s]+)\t\s*"', lines[i])
        if not match:
            i += 1
            continue
        if i + 1 >= len(lines) or not lines[i + 1].strip():
            raise InputError("a record without its relation label", path, i + 1)
        rid = f"{path.stem}-{match.group(1)}"
        if rid in key:
            raise InputError(f"id {match.group(1)} is already defined", path, i + 1)
        key[rid] = lines[i + 1].strip()
        i += 2
    return key


_undirected = semeval.undirected


def check_one_protocol(answers: Mapping[str, str], path: Path | str) -> None:
    """A SemEval answer file is 19-way (directed labels) or 10-way (undirected), never both: a
    mix would be scored as 10-way without a word."""
    labels = set(answers.values()) - {semeval.NA_LABEL}
    directed = sorted(x for x in labels if _is_directed(x))
    undirected = sorted(labels - set(directed))
    if directed and undirected:
        raise InputError(
            f"mixes directed labels ({directed[0]}, …) and undirected ones ({undirected[0]}, …); "
            "use one protocol",
            path,
        )


def check_ids(pred: Mapping[str, str], key: Mapping[str, str], pred_name: str) -> None:
    """Every predicted id must be in the key (ids the key has and ``pred`` lacks are fine)."""
    unexpected = [rid for rid in pred if rid not in key]
    if unexpected:
        raise InputError(f"contains id {unexpected[0]} which is not in the answer key", pred_name)


def semeval_score(
    pred: Mapping[str, str],
    key: Mapping[str, str],
    pred_name: str = "predictions",
    na_label: str = semeval.NA_LABEL,
) -> Score:
    """Official SemEval-2010 Task 8 score: (9+1)-way, direction counted, macro-F1 without Other
    — the Perl scorer's official evaluation (:func:`perl_evaluation`) as a :class:`Score`.

    Ids missing from ``pred`` count as unanswered (like Other); ids not in the key are an error.
    The same definition scores any directed label set (``Relation(e1,e2)``, a corpus in
    SemEval's format such as KBP37) with its own NA label: per relation of the key, direction
    required, NA left out, macro-averaged.
    """
    ev = perl_evaluation(pred, key, "official", pred_name, na_label)
    return Score(
        ev.macro.precision, ev.macro.recall, ev.macro.f1, ev.per_relation, len(pred), len(key)
    )


# ---------------------------------------------------------------------------------------------
# Every figure of the Perl scorer, and the C-GCN/AGGCN lineage's figure (Comparable issue)

# The Perl scorer's three evaluations, by the names kdre gives them.
EVALUATIONS = {
    "directed_19way": "(2*9+1)-way evaluation using directionality",
    "undirected": "(9+1)-way evaluation ignoring directionality",
    "official": "(9+1)-way evaluation taking directionality into account (official)",
}


@dataclass(frozen=True)
class Averages:
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Evaluation:
    """One of the Perl scorer's three evaluations, every figure it prints but the confusion
    matrix: per relation of the key (Other apart), micro and macro P/R/F1 without Other,
    coverage and its three accuracies. Percentages."""

    name: str
    per_relation: dict[str, RelationScore]
    micro: Averages
    macro: Averages
    coverage: float
    accuracy: float  # over the answered examples
    accuracy_skipped_wrong: float
    accuracy_skipped_other: float


# The 9 relations without direction: the labels of a 10-way (lineage) classifier, with Other.
UNDIRECTED = semeval.RELATIONS


def _is_directed(label: str) -> bool:
    return label.endswith(("(e1,e2)", "(e2,e1)"))


def perl_evaluation(
    pred: Mapping[str, str],
    key: Mapping[str, str],
    name: str,
    pred_name: str = "predictions",
    na_label: str = semeval.NA_LABEL,
) -> Evaluation:
    """The Perl scorer's evaluation ``name`` (one of EVALUATIONS), operation by operation.

    Relations are those of the key, in the scorer's order; a label proposed but absent from the
    key enters no average (the scorer only warns). In the official evaluation a proposal with
    the right relation and the wrong direction counts against that relation's precision (the
    scorer's xDIRx column) and is never correct."""
    if name not in EVALUATIONS:
        raise ValueError(f"unknown evaluation {name!r}")
    check_ids(pred, key, pred_name)
    fold = (lambda x: x) if name == "directed_19way" else _undirected
    answers = Counter(fold(label) for label in key.values())
    proposed: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    wrong_dir: Counter[str] = Counter()
    answered_other = 0
    for rid, label in pred.items():
        guess, gold = fold(label), fold(key[rid])
        answered_other += gold == na_label
        if name == "official" and guess == gold and label != key[rid]:
            wrong_dir[gold] += 1
            continue
        proposed[guess] += 1
        correct[gold] += guess == gold
    per: dict[str, RelationScore] = {}
    sums = [0.0, 0.0, 0.0]
    micro_correct = micro_proposed = micro_answer = 0
    relations = sorted(r for r in answers if r != na_label)
    for rel in relations:
        denominator = proposed[rel] + wrong_dir[rel]
        p = 0.0 if proposed[rel] == 0 else 100.0 * correct[rel] / denominator
        r = 100.0 * correct[rel] / answers[rel]
        f1 = 0.0 if p + r == 0 else 2 * p * r / (p + r)
        per[rel] = RelationScore(p, r, f1, answers[rel])
        sums = [sums[0] + p, sums[1] + r, sums[2] + f1]
        micro_correct += correct[rel]
        micro_proposed += denominator
        micro_answer += answers[rel]
    if not relations:
        raise InputError(f"the answer key holds no relation other than {na_label}", "answer key")
    mp = 100.0 * micro_correct / micro_proposed if micro_proposed else 0.0
    mr = 100.0 * micro_correct / micro_answer if micro_answer else 0.0
    mf = 2 * mp * mr / (mp + mr) if mp + mr else 0.0
    n = len(relations)
    right = sum(correct[a] for a in answers)
    other_skipped = answers[na_label] - answered_other
    total = len(key)
    return Evaluation(
        name,
        per,
        Averages(mp, mr, mf),
        Averages(sums[0] / n, sums[1] / n, sums[2] / n),
        100.0 * len(pred) / total,
        100.0 * right / len(pred) if pred else 0.0,
        100.0 * right / total,
        100.0 * (right + other_skipped) / total,
    )


LINEAGE_EPSILON = 1e-4


def lineage_score(
    pred: Mapping[str, str], key: Mapping[str, str], na_label: str = semeval.NA_LABEL
) -> Averages:
    """The C-GCN → AGGCN line's SemEval figure, as AGGCN's released scorer computes it:
    directions merged, Other left out, precision averaged over the relations predicted at
    least once, recall over the relations present in the key, each count's denominator
    + 1e-4 (kept, to be exact; it moves the figure by < 0.01), F1 = 2PR/(P+R) of the two
    averages — not a mean of per-relation F1. Percentages; unanswered ids count as Other.
    (AGGCN's code would give NaN with no prediction or no key relation; here 0.)"""
    check_ids(pred, key, "predictions")
    na = na_label
    correct: Counter[str] = Counter()
    guessed: Counter[str] = Counter()
    gold: Counter[str] = Counter()
    for rid, label in key.items():
        truth, guess = _undirected(label), _undirected(pred.get(rid, na))
        if guess != na:
            guessed[guess] += 1
        if truth != na:
            gold[truth] += 1
            correct[truth] += guess == truth
    precisions = [correct[r] / (guessed[r] + LINEAGE_EPSILON) for r in guessed]
    recalls = [correct[r] / (gold[r] + LINEAGE_EPSILON) for r in gold]
    p = 100.0 * sum(precisions) / len(precisions) if precisions else 0.0
    r = 100.0 * sum(recalls) / len(recalls) if recalls else 0.0
    return Averages(p, r, 2 * p * r / (p + r) if p + r else 0.0)


def semeval_figures(
    pred: Mapping[str, str], key: Mapping[str, str], na_label: str = semeval.NA_LABEL
) -> dict[str, dict]:
    """Every figure, keyed as `kdre score semeval --json` adds them: ``official``,
    ``directed_19way``, ``undirected`` (the Perl scorer's three evaluations) and ``lineage``.
    Predictions or a key without directions (a 10-way classifier) have only ``undirected`` and
    ``lineage``: the other two need the direction, and say so."""
    out: dict[str, dict] = {}
    labels = {*pred.values(), *key.values()} - {na_label}
    directed = all(_is_directed(x) for x in labels)
    for name in EVALUATIONS:
        if name != "undirected" and not directed:
            out[name] = {
                "unavailable": "the predictions or the key carry no direction (10-way labels)"
            }
        else:
            out[name] = asdict(perl_evaluation(pred, key, name, na_label=na_label))
    out["lineage"] = asdict(lineage_score(pred, key, na_label))
    return out


def tacred_score(
    pred: Mapping[str, str],
    key: Mapping[str, str],
    pred_name: str = "predictions",
    na_label: str = tacred.NA_LABEL,
) -> Score:
    """TACRED micro P/R/F1 over all relations except the NA label (missing predictions = NA);
    a custom TACRED-format corpus names its own NA label."""
    check_ids(pred, key, pred_name)
    na = na_label
    if not na or (na not in key.values() and na not in pred.values()):
        labels = ", ".join(repr(r) for r in sorted(set(key.values()))[:12])
        raise InputError(
            f"the NA label {na!r} occurs in neither the key nor {pred_name}: with it every "
            f"relation would count as one; the key's labels: {labels}"
        )
    correct: Counter[str] = Counter()
    guessed: Counter[str] = Counter()
    gold: Counter[str] = Counter()
    for rid, label in key.items():
        guess = pred.get(rid, na)
        if label != na:
            gold[label] += 1
        if guess != na:
            guessed[guess] += 1
            if guess == label:
                correct[label] += 1
    per = {}
    for rel in sorted(set(gold) | set(guessed)):
        p = 100.0 * correct[rel] / guessed[rel] if guessed[rel] else 0.0
        r = 100.0 * correct[rel] / gold[rel] if gold[rel] else 0.0
        per[rel] = RelationScore(p, r, 2 * p * r / (p + r) if p + r else 0.0, gold[rel])
    n_guessed, n_gold, n_correct = sum(guessed.values()), sum(gold.values()), sum(correct.values())
    # The official TACRED scorer takes precision as 100% when nothing was guessed.
    p = 100.0 * n_correct / n_guessed if n_guessed else 100.0
    r = 100.0 * n_correct / n_gold if n_gold else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Score(p, r, f1, per, len(pred), len(key))


def read_tacred_answers(
    path: Path | str, labels: Iterable[str] | None = tacred.LABELS
) -> dict[str, str]:
    """TACRED predictions or key: ``<id><TAB><label>`` lines, or the LDC JSON (id, relation).
    Labels outside ``labels`` are an error (a typo); None accepts any (a custom corpus)."""
    path = Path(path)
    allowed = None if labels is None else set(labels)
    if path.suffix.lower() == ".json":
        records = tacred.load_json_records(path)
        out: dict[str, str] = {}
        for i, rec in enumerate(records):
            if "id" not in rec or "relation" not in rec:
                raise InputError(
                    "record lacks 'id' or 'relation'", path, record=str(rec.get("id", f"#{i}"))
                )
            if not isinstance(rec["relation"], str) or (
                allowed is not None and rec["relation"] not in allowed
            ):
                raise InputError(f"unknown label {rec['relation']!r}", path, record=str(rec["id"]))
            if str(rec["id"]) in out:
                raise InputError("id is already defined", path, record=str(rec["id"]))
            out[str(rec["id"])] = rec["relation"]
        return out
    answers: dict[str, str] = {}
    for number, line in enumerate(read_lines(path), start=1):
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0]:
            raise InputError(f"expected '<id><TAB><label>', got {line!r}", path, number)
        rid, label = parts
        if not label or (allowed is not None and label not in allowed):
            raise InputError(f"unknown label {label!r}", path, number)
        if rid in answers:
            raise InputError(f"id {rid} is already defined", path, number)
        answers[rid] = label
    return answers


def official_line(score: Score) -> str:
    """The Perl scorer's last line, for eyeball comparison."""
    return (
        "<<< The official score is (9+1)-way evaluation with directionality taken into account: "
        f"macro-averaged F1 = {score.f1:0.2f}% >>>"
    )


def write_answers(answers: Mapping[str, str], path: Path | str) -> None:
    """Write ``<id><TAB><label>`` lines (newline after the last one, as the scorer requires)."""
    Path(path).write_text(
        "".join(f"{rid}\t{label}\n" for rid, label in answers.items()), encoding="utf-8"
    )


def to_json(score: Score) -> str:
    return json.dumps(score.to_dict(), indent=2)


def score_with(
    spec: DatasetSpec,
    pred: Mapping[str, str],
    key: Mapping[str, str],
    pred_name: str = "predictions",
) -> Score:
    """The dataset's own metric: SemEval's official macro-F1, else TACRED's micro-F1 (custom
    corpora too, with their NA label)."""
    if spec.scorer == "semeval":
        return semeval_score(pred, key, pred_name, spec.na_label)
    if spec.scorer == "semeval_lineage":
        return lineage_as_score(pred, key)
    return tacred_score(pred, key, pred_name, spec.na_label)


def lineage_as_score(pred: Mapping[str, str], key: Mapping[str, str]) -> Score:
    """A 10-way (lineage-protocol) model's score: the lineage P/R/F1, with per-relation figures
    from the Perl scorer's (9+1)-way evaluation ignoring direction."""
    lin = lineage_score(pred, key)
    per = perl_evaluation(pred, key, "undirected").per_relation
    return Score(lin.precision, lin.recall, lin.f1, per, len(pred), len(key))

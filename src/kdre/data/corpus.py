"""Raw corpus → parsed splits in kdre's schema (the work behind the ``parse`` stage)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow as pa
from tqdm import tqdm

from kdre.config import DatasetConfig, ParseConfig
from kdre.data import parsing, schema
from kdre.data.datasets import semeval, tacred
from kdre.data.datasets.base import DatasetSpec, labels_from_data, spec_metadata
from kdre.data.splits import stratified_holdout
from kdre.errors import InputError


def parse_semeval(
    data: DatasetConfig, cfg: ParseConfig, seed: int, progress: bool = True
) -> dict[str, pa.Table]:
    """Read the SemEval release, hold out a stratified dev set, annotate with spaCy."""
    root = Path(data.semeval_dir)
    train_path, test_path = root / semeval.TRAIN_FILE, root / semeval.TEST_FILE
    train_all = semeval.read_semeval(train_path)
    test = semeval.read_semeval(test_path)
    semeval.check_disjoint_ids((train_path, train_all), (test_path, test))
    if data.dev_size >= len(train_all):
        raise InputError(
            f"dataset.dev_size={data.dev_size} leaves no training data ({len(train_all)} examples)",
            train_path,
        )
    dev_idx = set(stratified_holdout([ex.relation for ex in train_all], data.dev_size, seed))
    splits = {
        "train": [ex for i, ex in enumerate(train_all) if i not in dev_idx],
        "dev": [ex for i, ex in enumerate(train_all) if i in dev_idx],
        "test": test,
    }
    return _parse_marked(splits, cfg, progress)


def split_id(split: str, record_id: str) -> str:
    """A semeval-format record's id in kdre: such corpora restart their ids in every file."""
    return f"{split}-{record_id}"


def semeval_format_spec(data: DatasetConfig, train: list) -> DatasetSpec:
    """A semeval-format corpus's label set: its training examples' (``dataset.na_label``
    first), scored by the SemEval official definition."""
    path = str(Path(data.format_dir) / "train.txt")
    labels = labels_from_data({ex.relation for ex in train}, data.na_label, path)
    return DatasetSpec("semeval-format", labels, data.na_label, "semeval")


def custom_spec(data: DatasetConfig, train: list[dict]) -> DatasetSpec:
    """A custom (TACRED-format) corpus's label set: its training records' (``na_label``
    first), scored as TACRED is."""
    path = str(Path(data.custom_dir) / "train.json")
    labels = labels_from_data({r["relation"] for r in train}, data.na_label, path)
    return DatasetSpec("custom", labels, data.na_label, "tacred")


def parse_semeval_format(
    data: DatasetConfig, cfg: ParseConfig, seed: int, progress: bool = True
) -> dict[str, pa.Table]:
    """A corpus in SemEval's record format (``dataset.name: semeval-format``, e.g. KBP37):
    train.txt, test.txt and dev.txt when the corpus has one (else ``dev_size`` examples of
    train held out, stratified), read leniently (:func:`semeval.read_semeval`, ``strict``
    false); the label set is all of train.txt's (``dataset.na_label`` first), also when dev is
    held out of it; ids become ``<split>-<id>``, as such corpora restart their ids in every
    file."""
    root = Path(data.format_dir)
    paths = {name: root / f"{name}.txt" for name in schema.SPLITS}
    for name in ("train", "test"):
        if not paths[name].is_file():
            raise InputError(
                f"no {name}.txt in the semeval-format folder (dataset.format_dir)", root
            )
    skipped: dict[str, list[InputError]] = {name: [] for name in paths}
    read = {
        name: semeval.read_semeval(path, labels=None, strict=False, skipped=skipped[name])
        for name, path in paths.items()
        if path.is_file()
    }
    # The label set is all of train.txt's, before any dev is held out of it: the same for every
    # seed, and the one test_gold_labels reads without parsing.
    spec = semeval_format_spec(data, read["train"])
    if "dev" not in read:
        train_all = read["train"]
        if data.dev_size >= len(train_all):
            raise InputError(
                f"dataset.dev_size={data.dev_size} leaves no training data", paths["train"]
            )
        held = set(stratified_holdout([ex.relation for ex in train_all], data.dev_size, seed))
        read["train"] = [ex for i, ex in enumerate(train_all) if i not in held]
        read["dev"] = [ex for i, ex in enumerate(train_all) if i in held]
    labels = spec.labels
    for name in ("dev", "test"):
        for ex in read[name]:
            if ex.relation not in labels:
                raise InputError(
                    f"relation {ex.relation!r} does not occur in train.txt, so the model "
                    "cannot learn it",
                    paths[name],
                    ex.line,
                )
    splits = {
        name: [dataclasses.replace(ex, id=split_id(name, ex.id)) for ex in read[name]]
        for name in schema.SPLITS
    }
    tables = _parse_marked(splits, cfg, progress)
    meta = spec_metadata(spec)
    return {
        k: t.replace_schema_metadata(
            {**(t.schema.metadata or {}), **meta, schema.SKIPPED_KEY: str(len(skipped[k]))}
        )
        for k, t in tables.items()
    }


def _parse_marked(
    splits: dict[str, list[semeval.MarkedExample]], cfg: ParseConfig, progress: bool
) -> dict[str, pa.Table]:
    """Marked examples → parsed tables: tokenised so both nominals are whole tokens, then
    tagged, parsed and NER-tagged as one sentence each."""
    if cfg.limit:
        splits = {name: exs[: cfg.limit] for name, exs in splits.items()}

    nlp = parsing.load_pipeline(cfg.spacy_model)
    tokenized = {
        name: [parsing.tokenize_with_spans(nlp.tokenizer, ex.text, ex.subj, ex.obj) for ex in exs]
        for name, exs in splits.items()
    }
    order = [(name, i) for name in splits for i in range(len(splits[name]))]
    stream = parsing.annotate(
        nlp,
        ((tokenized[n][i].words, tokenized[n][i].spaces) for n, i in order),
        batch_size=cfg.batch_size,
        n_process=cfg.n_process,
    )
    rows: dict[str, list[dict]] = {name: [] for name in splits}
    bar = tqdm(stream, total=len(order), desc="parse", unit="sent", disable=not progress)
    for (name, i), ann in zip(order, bar, strict=True):
        ex, tok = splits[name][i], tokenized[name][i]
        rows[name].append(
            parsing.example_row(ex.id, ex.relation, tok.words, tok.spaces, tok.subj, tok.obj, ann)
        )
    return {name: _checked(rows[name], f"{name} split") for name in splits}


def parse_tacred(
    data: DatasetConfig, cfg: ParseConfig, progress: bool = True
) -> dict[str, pa.Table]:
    """Read train/dev/test JSON in TACRED's format; keep its annotations unless ``reparse``.

    ``dataset.name: tacred`` reads ``tacred_dir`` with TACRED's 42 labels; ``custom`` reads
    ``custom_dir`` and takes the label set from train (``dataset.na_label`` first): a label of
    dev or test that train lacks is an error naming it."""
    custom = data.name == "custom"
    root = Path(data.custom_dir if custom else data.tacred_dir)
    allowed = None if custom else tacred.LABELS
    splits = {name: tacred.read_tacred(root / f"{name}.json", allowed) for name in schema.SPLITS}
    if custom:
        spec = custom_spec(data, splits["train"])
        labels = spec.labels
        for name in ("dev", "test"):
            for row in splits[name]:
                if row["relation"] not in labels:
                    raise InputError(
                        f"relation {row['relation']!r} does not occur in train.json, so the "
                        "model cannot learn it",
                        root / f"{name}.json",
                        record=row["id"],
                    )
    else:
        spec = tacred.SPEC
    owner: dict[str, str] = {}
    for name, rows in splits.items():
        for row in rows:
            if row["id"] in owner:
                raise InputError(
                    f"id also used in the {owner[row['id']]} split",
                    root / f"{name}.json",
                    record=row["id"],
                )
            owner[row["id"]] = name
    if cfg.limit:
        splits = {name: rows[: cfg.limit] for name, rows in splits.items()}
    if cfg.reparse:
        nlp = parsing.load_pipeline(cfg.spacy_model)
        order = [row for name in schema.SPLITS for row in splits[name]]
        stream = parsing.annotate(
            nlp, ((r["tokens"], r["whitespace"]) for r in order), cfg.batch_size, cfg.n_process
        )
        for row, ann in tqdm(
            zip(order, stream, strict=True),
            total=len(order),
            desc="reparse",
            unit="sent",
            disable=not progress,
        ):
            row.update(pos=ann.pos, ner=ann.ner, head=ann.head, deprel=ann.deprel)
    tables = {}
    for name, rows in splits.items():
        adopted = sum(row.pop(tacred.EXTRA_ROOTS, 0) for row in rows)
        table = _checked(rows, f"{root / name}.json")
        meta = {schema.EXTRA_ROOTS_KEY: str(adopted), **spec_metadata(spec)}
        tables[name] = table.replace_schema_metadata(meta)
    return tables


def _undirected_table(table: pa.Table) -> pa.Table:
    """The lineage protocol's labels: directions merged (``Cause-Effect(e1,e2)`` →
    ``Cause-Effect``); subject and object stay as marked (e1, e2)."""
    labels = [semeval.undirected(x) for x in table.column("relation").to_pylist()]
    index = table.schema.get_field_index("relation")
    return table.set_column(index, "relation", pa.array(labels, pa.string()))


def _checked(rows: list[dict], source: str) -> pa.Table:
    table = schema.to_table(rows)
    schema.validate_table(table, source)
    return table


def parse_dataset(
    data: DatasetConfig, cfg: ParseConfig, seed: int, progress: bool = True
) -> dict[str, pa.Table]:
    if data.name == "semeval":
        tables = parse_semeval(data, cfg, seed, progress)
        spec = semeval.SPEC
        if not data.semeval_directions:
            # after the dev split, which is stratified on the 19 directed labels: both
            # protocols hold out the same 500 examples
            spec = semeval.SPEC_UNDIRECTED
            tables = {k: _undirected_table(t) for k, t in tables.items()}
        meta = spec_metadata(spec)
        return {
            k: t.replace_schema_metadata({**(t.schema.metadata or {}), **meta})
            for k, t in tables.items()
        }
    if data.name == "semeval-format":
        return parse_semeval_format(data, cfg, seed, progress)
    return parse_tacred(data, cfg, progress)


def test_gold_labels(data: DatasetConfig) -> tuple[DatasetSpec, dict[str, str]]:
    """The test split's gold relation per example id, as the parse stage names them, read from
    the raw corpus without parsing it (no spaCy): a report tests archived predictions of the
    corpus its params name, whatever corpus the workspace parsed last. InputError when the
    corpus is missing or malformed."""
    if data.name == "semeval":
        examples = semeval.read_semeval(Path(data.semeval_dir) / semeval.TEST_FILE)
        gold = {ex.id: ex.relation for ex in examples}
        if data.semeval_directions:
            return semeval.SPEC, gold
        return semeval.SPEC_UNDIRECTED, {k: semeval.undirected(v) for k, v in gold.items()}
    if data.name == "semeval-format":
        root = Path(data.format_dir)
        read = {
            name: semeval.read_semeval(root / f"{name}.txt", labels=None, strict=False, skipped=[])
            for name in ("train", "test")
        }
        spec = semeval_format_spec(data, read["train"])
        return spec, {split_id("test", ex.id): ex.relation for ex in read["test"]}
    custom = data.name == "custom"
    root = Path(data.custom_dir if custom else data.tacred_dir)
    test = tacred.read_tacred(root / "test.json", None if custom else tacred.LABELS)
    if custom:
        spec = custom_spec(data, tacred.read_tacred(root / "train.json", None))
    else:
        spec = tacred.SPEC
    return spec, {r["id"]: r["relation"] for r in test}

"""What a report compares its runs with, per corpus: its title, the protocol of its figure, the
paper's own figures on it and other published ones, and its no-knowledge control.

The report is one code path for every setup (``kdre report --params``); only these facts differ.
A figure appears here only when its source reports it on the same corpus and protocol:
KD4NRE has Tables 2 (TACRED) and 3 (SemEval); on KBP37 it reports nothing, so the KBP37 report
shows no "paper" column, only the figures published for KBP37 itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kdre.experiments.runs import flatten


@dataclass(frozen=True)
class Published:
    """A report's frame of reference for one corpus."""

    title: str
    protocol: str
    # KD4NRE's figure per model name of ours (C-GCN, Teacher-S, …, Student-R), same corpus
    paper: dict[str, float] = field(default_factory=dict)
    # other systems' published figures on the same corpus and protocol: (system, F1, source)
    others: tuple[tuple[str, float, str], ...] = ()
    # the types of the no-knowledge control: where they tell (nearly) nothing of the relation
    no_knowledge_types: str = "none"
    notes: str = ""
    scorer: str = "semeval"  # macro-F1 (SemEval's definition) or "tacred" (micro-F1)


# Table 3 of the paper (SemEval, macro-F1; C-GCN with GloVe 840B).
PAPER_SEMEVAL = {
    "C-GCN": 84.8,
    "Teacher-S": 85.4,
    "Teacher-V": 85.9,
    "Student-S": 85.5,
    "Student-V": 85.9,
    "Student-R": 86.8,
}
# Table 2 of the paper (TACRED, micro-F1 without no_relation).
PAPER_TACRED = {
    "C-GCN": 66.4,
    "Teacher-S": 67.9,
    "Teacher-V": 68.7,
    "Student-S": 68.1,
    "Student-V": 68.8,
    "Student-R": 69.6,
}

SEMEVAL_NOTES = """## Where this setup differs from the paper

- Word vectors: the paper uses GloVe 840B (300-d). Nothing can be downloaded at run time here,
  so the default is the offline source chosen on dev (`embeddings.source` in params.yaml, see
  docs/params.md); a user with GloVe 840B sets `embeddings.source: file` and `embeddings.path`.
- Parser: spaCy `en_core_web_sm` 3.8 instead of Stanford CoreNLP, for tokens, POS, NER and the
  dependency tree.
- Entity types (`types.source`): the paper takes them from an NER tagger, which types 98.7 %
  of SemEval's training nominals `O` (the pattern graph is then close to a constant prior).
  kdre's default types each nominal by its WordNet 3.0 noun supersense; rows marked
  "[ner types]" use spaCy's NER types instead (the no-knowledge control).
- Teacher-R trains Γ with Adam over cached dropout passes of its frozen C-GCN
  (`teacher.gamma_lr`, `teacher.base_dropout_passes`); see docs/model-notes.md.
- The paper reports one run per model; each row here is a mean over seeds (sample std).
- The matrix runs at 1 torch thread per job (two jobs on 2 cores); the default `dvc repro` at 2.
  The thread count can reorder float sums, so a seed's numbers may differ between the two
  (seed 1, setup v2: the C-GCN's test F1 is 79.93 at both, Student-R's 81.81 at 1 thread and
  81.64 at 2). Each model and seed is counted once, from the
  matrix when it ran it; the `threads` column of "Every run" says which.
- The paper's Table 4 ablations are on TACRED; their deltas are shown for direction only.
- Teacher-R reads the gold label, so its dev/test scores are never results and are left out.
"""

KBP37_NOTES = """## About this setup

- The paper reports nothing on KBP37; it stands in for TACRED (same TAC-KBP relation family,
  entity types that constrain the relation). The published figure beside ours is another
  system's, on the same split and scoring definition.
- Entity types (`types.source: ner`): spaCy's NER labels of each entity (PERSON, ORG, GPE, …).
  Rows marked "[none types]" give every entity one constant type, so G(p) is the relations'
  prior: the no-knowledge control. Rows marked "[wordnet types]" or "[clusters types]" use
  those sources instead.
- Word vectors, parser, Teacher-R's Γ and the thread count as in the SemEval report
  (reports/results.md); each row is a mean over seeds (sample std).
- The paper's Table 4 ablations are on TACRED; their deltas are shown for direction only.
- Teacher-R reads the gold label, so its dev/test scores are never results and are left out.
"""

SEMEVAL = Published(
    title="SemEval-2010 Task 8",
    protocol="Official protocol: 19 directed labels, official (9+1)-way macro-F1 (Other excluded)",
    paper=PAPER_SEMEVAL,
    # on SemEval, spaCy's NER types 98.7 % of the nominals O: nearly no knowledge
    no_knowledge_types="ner",
    notes=SEMEVAL_NOTES,
)
KBP37 = Published(
    title="KBP37",
    protocol=(
        "The SemEval official definition on KBP37's labels: per-relation F1 with the direction "
        "required, no_relation excluded, macro-averaged over the relations of the key"
    ),
    others=(("RNN with position indicators", 58.8, "Zhang & Wang 2015"),),
    notes=KBP37_NOTES,
)
TACRED = Published(
    title="TACRED",
    protocol="Micro-F1 over all relations but no_relation",
    paper=PAPER_TACRED,
    scorer="tacred",
)


def published_for(reference: dict) -> Published:
    """The frame of the reference params' corpus: SemEval, TACRED, KBP37 (a semeval-format
    folder named kbp37), or any other corpus, which is compared with nothing published."""
    flat = flatten(reference)
    name = str(flat.get("dataset.name", "semeval"))
    if name == "semeval":
        return SEMEVAL
    if name == "tacred":
        return TACRED
    if name == "semeval-format":
        folder = str(flat.get("dataset.format_dir", ""))
        if Path(folder).name.lower() == "kbp37":
            return KBP37
        return Published(
            title=f"the SemEval-format corpus in {folder}",
            protocol=(
                "The SemEval official definition on the corpus's labels: per-relation F1 with "
                "the direction required, the NA label excluded, macro-averaged"
            ),
        )
    return Published(
        title=f"the custom corpus in {flat.get('dataset.custom_dir', '?')}",
        protocol="Micro-F1 over all relations but the NA label",
        scorer="tacred",
    )

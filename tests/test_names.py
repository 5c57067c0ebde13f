"""Strings that tie modules together without an import, checked against their one source.

A dotted param key in the matrix's cells or the report's swept keys, a γ name, a teacher
encoder or a model kind that the config does not know would silently match nothing."""

from __future__ import annotations

import yaml

from kdre.config import GAMMAS, TEACHER_ENCODERS, Params, build
from kdre.experiments import cells, claim, rows, runs
from kdre.experiments.runs import unflatten
from kdre.models import files
from kdre.models.baseline import Baseline
from kdre.models.student import Student
from kdre.models.teacher import Teacher
from kdre.models.transformer_teacher import TransformerTeacher
from kdre.params_reference import KEYS
from kdre.training.teachers import ENCODERS


def test_every_key_the_matrix_and_the_report_name_is_a_config_key():
    named = {*runs.SWEPT, *runs.EXECUTION, *runs.VECTORS, *claim.STUDENT_SWITCHES}
    named |= {key for overrides in cells.ALL_CELLS.values() for key in overrides}
    named |= {key for wanted in claim.knowledge_controls("none").values() for key in wanted}
    named |= {key for _, key in runs.ABLATIONS}
    unknown = sorted(named - set(KEYS))
    assert not unknown, f"not keys of kdre.config: {unknown}"


def test_every_cell_is_a_valid_configuration():
    for name, overrides in cells.ALL_CELLS.items():
        values = {key: yaml.safe_load(value) for key, value in overrides.items()}
        build(Params, unflatten(values), "", f"cell {name}")  # raises naming the key


def test_the_names_of_gammas_teachers_and_model_kinds_match_the_code():
    assert set(rows.GAMMA_LETTER) == set(GAMMAS)
    assert set(ENCODERS) == set(TEACHER_ENCODERS)
    kinds = {cls.kind for cls in (Baseline, Teacher, TransformerTeacher, Student)}
    assert set(files.KINDS) == kinds and len(kinds) == 4


def test_todays_defaults_are_the_current_setup_versions():
    """A default changed without a new setup version would silently re-mean every older run
    that lacks the key (kdre.experiments.setups)."""
    from dataclasses import asdict

    from kdre import SETUP_VERSION
    from kdre.experiments.runs import flatten
    from kdre.experiments.setups import SETUP_DEFAULTS

    assert SETUP_DEFAULTS[SETUP_VERSION] == flatten(asdict(Params()))

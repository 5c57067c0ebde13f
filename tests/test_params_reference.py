"""docs/params.md is generated, current, and says what kdre.config accepts."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import REPO

from kdre.config import Params, build
from kdre.errors import InputError
from kdre.params_reference import KEYS, leaf_defaults, markdown


def _params_with(key: str, value) -> Params:
    *sections, name = key.split(".")
    raw: dict = {name: value}
    for section in reversed(sections):
        raw = {section: raw}
    return build(Params, raw, "", "test")


def test_the_committed_reference_is_current():
    committed = (REPO / "docs/params.md").read_text(encoding="utf-8")
    assert committed == markdown(), "docs/params.md is stale: run `kdre params-reference`"


def test_every_config_key_has_exactly_one_line():
    assert set(KEYS) == set(leaf_defaults())


def test_the_reference_shows_the_defaults_of_the_code():
    text = markdown()
    assert "| `gamma` | `relation` |" in text
    assert "| `types.source` | `wordnet` |" in text
    assert "| `train.cpu_isa` | `avx2` |" in text
    assert "\n\n|" not in text.split("| key |", 1)[1], "a blank line would break the table"


@pytest.mark.parametrize("key", sorted(k for k, spec in KEYS.items() if spec.choices))
def test_documented_choices_are_exactly_those_accepted(key):
    for choice in KEYS[key].choices:
        try:
            _params_with(key, choice)
        except InputError as err:
            # a documented choice may fail a rule across keys (source: file needs a path),
            # never the list of allowed values
            assert "must be one of" not in str(err), err
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        _params_with(key, "no-such-choice")


@pytest.mark.parametrize("key", sorted(k for k, spec in KEYS.items() if spec.range))
def test_documented_ranges_are_exactly_those_accepted(key):
    rng = KEYS[key].range
    default = leaf_defaults()[key]
    kind = type(default)
    step = 1 if kind is int else 1e-6

    def accepted(value) -> bool:
        try:
            _params_with(key, kind(value))
        except InputError:
            return False
        return True

    assert accepted(rng.low) == rng.low_inclusive
    assert not accepted(rng.low - step)
    if rng.high is not None:
        assert accepted(rng.high) == rng.high_inclusive
        assert not accepted(rng.high + step)
    else:
        assert accepted(rng.low + 10 * step)


def test_params_yaml_names_every_key_it_sets():
    """params.yaml holds every key of the reference, so `dvc exp run -S key=...` works for each
    (DVC refuses a key params.yaml lacks), except model.ctx_dim, which is derived."""
    import yaml

    raw = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))

    def leaves(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from leaves(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}"

    assert set(leaves(raw)) == set(KEYS) - {"model.ctx_dim"}


def test_params_reference_cli_check(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "params.md"
    run = [sys.executable, "-m", "stages.cli", "params-reference", "--out", str(out)]
    assert subprocess.run(run, cwd=REPO, capture_output=True).returncode == 0
    assert subprocess.run([*run, "--check"], cwd=REPO, capture_output=True).returncode == 0
    out.write_text("old\n")
    stale = subprocess.run([*run, "--check"], cwd=REPO, capture_output=True, text=True)
    assert stale.returncode == 1 and "out of date" in stale.stderr


def test_leaf_defaults_walks_nested_sections():
    assert leaf_defaults()["teacher.transformer.model"] == "minilm"
    assert dataclasses.is_dataclass(Params().teacher.transformer)

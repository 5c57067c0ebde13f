"""dvc.yaml's ``deps`` cover the code every stage runs.

A stage whose deps miss a module it imports is not rerun when that module changes: ``dvc
repro`` (and the run cache ``kdre matrix`` relies on) hands back a stale output. The closure is
computed statically, over every import in the tree (those inside functions too), from the
stage command's own module (``stages.cli`` imports a subcommand's module only when it runs).
"""

from __future__ import annotations

import ast
import json
import shlex
import subprocess
import sys
from pathlib import Path

import codemap
import pytest
import yaml
from codemap import ROOTS, module_files
from conftest import REPO

# Imports inside a function that no stage command can reach, each with the reason. Everything
# else counts, lazy or not.
NOT_RUN_BY_STAGES = {
    # ``kdre.load_model``, the Python API for users; stages import ``kdre`` only as the parent
    # package of the modules they use, and ``tests/test_dvc_deps.py`` checks none calls it.
    ("src/kdre/__init__.py", "kdre.serving.extractor"),
}


def closure(start: list[Path]) -> set[Path]:
    return codemap.closure(start, NOT_RUN_BY_STAGES)


def stage_command_files(cmd: str) -> list[Path]:
    """The entry files of ``python -m stages.cli <subcommand> ...``, or of ``python
    scripts/<tool>.py`` (with the kdre modules it imports)."""
    from stages.cli import COMMANDS

    argv = shlex.split(cmd)
    if argv[:2] == ["python", argv[1]] and argv[1].startswith("scripts/"):
        return script_files(REPO / argv[1])
    assert argv[:3] == ["python", "-m", "stages.cli"], f"unexpected stage command {cmd!r}"
    module = COMMANDS[argv[3]][0]
    return [*module_files("stages.cli"), *module_files(module)]


def script_files(path: Path) -> list[Path]:
    """The kdre modules a script (not a module of the package) imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kdre"):
            found += module_files(node.module)
    return found


def covered(path: Path, deps: list[str]) -> bool:
    rel = path.relative_to(REPO)
    return any(rel == Path(d) or Path(d) in rel.parents for d in deps)


def _stages() -> dict[str, dict]:
    """The root pipeline's stages, and the optional pipelines' (each run from the root: wdir)."""
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    for path in sorted((REPO / "pipelines").glob("*/dvc.yaml")):
        for name, spec in yaml.safe_load(path.read_text(encoding="utf-8"))["stages"].items():
            assert (path.parent / spec.get("wdir", ".")).resolve() == REPO, f"{path}: {name}"
            stages[f"{path.relative_to(REPO)}:{name}"] = spec
    return stages


STAGES = _stages()


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_deps_cover_the_stage_commands_import_closure(stage):
    spec = STAGES[stage]
    deps = [d if isinstance(d, str) else next(iter(d)) for d in spec["deps"]]
    files = closure(stage_command_files(spec["cmd"]))
    argv = shlex.split(spec["cmd"])
    if argv[1].startswith("scripts/"):
        files.add(REPO / argv[1])
    missing = sorted(str(p.relative_to(REPO)) for p in files if not covered(p, deps))
    assert not missing, f"dvc.yaml stage {stage!r}: deps miss {missing}"


def test_the_closure_follows_lazy_and_relative_imports(tmp_path, monkeypatch):
    """The closure sees an import inside a function and a relative one, and not a name."""
    pkg = tmp_path / "kdre"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub/__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from kdre.sub import b\n")
    (pkg / "sub/b.py").write_text("from . import c\nfrom kdre.sub.c import NAME\n")
    (pkg / "sub/c.py").write_text("NAME = 1\n")
    (pkg / "unused.py").write_text("")
    monkeypatch.setitem(ROOTS, "kdre", pkg)
    found = {p.relative_to(pkg).as_posix() for p in closure([pkg / "a.py"])}
    assert found == {"a.py", "__init__.py", "sub/__init__.py", "sub/b.py", "sub/c.py"}


def test_no_stage_calls_the_user_api_the_closure_leaves_out():
    """What NOT_RUN_BY_STAGES assumes: no project module uses ``kdre.load_model``."""
    for path in [*(REPO / "stages").glob("*.py"), *(REPO / "src/kdre").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            uses = (
                isinstance(node, ast.ImportFrom)
                and node.module == "kdre"
                and any(a.name == "load_model" for a in node.names)
            ) or (
                isinstance(node, ast.Attribute)
                and node.attr == "load_model"
                and isinstance(node.value, ast.Name)
                and node.value.id == "kdre"
            )
            assert not uses, f"{path} uses kdre.load_model"


def test_the_c_gcn_does_not_depend_on_teacher_or_student_code():
    """Precise deps: a change to the teacher's or the student's recipe leaves the baseline."""
    deps = STAGES["baseline"]["deps"]
    for path in (
        "src/kdre/training/teacher.py",
        "src/kdre/training/student.py",
        "stages/teacher.py",
    ):
        assert not covered(REPO / path, deps)


def _tracked(path: str) -> bool:
    """Whether git tracks the path (a file, or a folder holding tracked files)."""
    done = subprocess.run(
        ["git", "ls-files", "--error-unmatch", "--", path],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    return done.returncode == 0


def test_dvc_lock_records_the_code_and_params_the_repo_holds():
    """A code or params change to a stage that was neither rerun nor ``dvc commit``ted leaves
    dvc.lock describing outputs of other code: ``dvc status`` then calls the stage changed, a
    user's ``dvc repro`` reruns it for nothing, and the lock no longer says what made the
    committed results. Data deps and outputs absent from this checkout are not judged here."""
    done = subprocess.run(
        [sys.executable, "-m", "dvc", "status", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    locked = set(yaml.safe_load((REPO / "dvc.lock").read_text(encoding="utf-8"))["stages"])
    stale = []
    for stage, changes in json.loads(done.stdout or "{}").items():
        if stage not in locked:  # an optional pipeline that was never run has no lock to judge
            continue
        for change in changes:
            if not isinstance(change, dict):
                continue
            for path, state in change.get("changed deps", {}).items():
                if state != "deleted" and _tracked(path):
                    stale.append(f"{stage}: {path} {state}")
    assert not stale, f"dvc.lock is stale (rerun or `dvc commit` the stages): {stale}"


def test_a_model_file_records_exactly_the_params_its_stage_declares():
    """A model file is hashed by DVC for the stages after it: a param it records but its stage
    does not declare would change its bytes without DVC knowing why (the C-GCN of two cells
    that differ only in the student's params would differ, and retrain their teachers)."""
    from kdre.training.recipe import BaselineRecipe
    from kdre.training.student import StudentRecipe
    from kdre.training.teacher import TeacherRecipe
    from kdre.training.transformer_teacher import TransformerTeacherRecipe

    for stage, recipe in (
        ("baseline", BaselineRecipe),
        ("teacher", TeacherRecipe),
        ("teacher", TransformerTeacherRecipe),
        ("student", StudentRecipe),
    ):
        assert sorted(recipe.reads) == sorted(STAGES[stage]["params"]), recipe.__name__

"""The package's layers, read from its imports: no cycles, every import one-directional.

`src/kdre/` is one folder per layer (docs/architecture.md; the order is codemap.LAYERS). A
module may import its own layer and the layers before it, never a later one; the base modules
(errors, atomic writes, CPU/device, the typed config) import nothing of the layers. Experiment
tooling (`kdre.experiments`) may use any layer, and no layer uses it. Imports inside functions
count as much as those at the top. The one exception is :data:`USER_API`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from codemap import (
    APART,
    LAYERS,
    REPO,
    SRC,
    closure,
    imported_modules,
    layer_of,
    module_graph,
)

# ``kdre.load_model``: the Python API re-exports the serving layer's loader, imported inside the
# function so that ``import kdre`` stays cheap. The package's root is the one module allowed to
# reach up a layer.
USER_API = {("kdre", "kdre.serving.extractor")}
GRAPH = module_graph()
# All of kdre's use of DVC's internals: the one library module that imports dvc.
DVC_GLUE = SRC / "experiments/dvc_queue.py"


def rank(layer: str) -> int:
    return -1 if layer == "base" else LAYERS.index(layer)


def test_every_module_is_in_a_layer():
    for module in GRAPH:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_down_the_layers(module):
    layer = layer_of(module)
    for target in sorted(GRAPH[module]):
        if (module, target) in USER_API:
            continue
        other = layer_of(target)
        if layer in APART:
            continue  # experiment tooling uses the library
        assert other not in APART, f"{module} (layer {layer}) imports experiment tooling {target}"
        assert rank(other) <= rank(layer), (
            f"{module} (layer {layer}) imports {target} of the later layer {other}"
        )


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles():
    graph = {m: {t for t in ts if (m, t) not in USER_API} for m, ts in GRAPH.items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function(tmp_path, monkeypatch):
    """What test_no_import_cycles relies on: an import inside a function is an edge too."""
    import codemap

    pkg = tmp_path / "kdre"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from kdre.b import X\n")
    (pkg / "b.py").write_text("X = 1\n\ndef f():\n    from kdre import a\n")
    monkeypatch.setitem(codemap.ROOTS, "kdre", pkg)
    graph = module_graph(pkg)
    assert find_cycle(graph) in (["kdre.a", "kdre.b", "kdre.a"], ["kdre.b", "kdre.a", "kdre.b"])


@pytest.mark.parametrize("layer", ["serving", "evaluation", "integrations"])
def test_inference_never_imports_training_code(layer):
    """`kdre predict`, `kdre evaluate` and the spaCy component run a model: they load the model
    layer, never a training recipe, the loop or the soft-label schema."""
    start = [p for p in (SRC / layer).rglob("*.py")]
    reached = {Path(p).relative_to(SRC).parts[0] for p in closure(start)}
    assert "training" not in reached and "experiments" not in reached


def test_the_stage_commands_are_thin():
    """`stages/` holds commands: options, one library call, outputs. No git, DVC or subprocess
    work there (that is kdre.experiments'), and no library module imports a stage or Typer."""
    for path in (REPO / "stages").glob("*.py"):
        names = imported_modules(path)
        assert not names & {"subprocess", "dvc"}, f"{path.name} does library work"
    for path in SRC.rglob("*.py"):
        names = imported_modules(path)
        banned = ("stages", "typer") if path == DVC_GLUE else ("stages", "typer", "dvc")
        assert not any(n.split(".")[0] in banned for n in names), path

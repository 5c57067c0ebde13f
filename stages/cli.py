"""The ``kdre`` console script: one subcommand per pipeline stage, plus tools.

Each subcommand's module is imported only when that subcommand runs (:data:`COMMANDS`), so a
stage's command imports its own code and nothing else's: what it runs is exactly the import
closure that dvc.yaml's ``deps`` must cover (``tests/test_dvc_deps.py``), and a change to
another stage's module cannot touch it. ``kdre --help`` still loads every module, to list each
command's help.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click
import typer
from typer.core import TyperGroup

# subcommand → (module, attribute): a function becomes one command; a Typer app, a group.
COMMANDS: dict[str, tuple[str, str]] = {
    "parse": ("stages.parse", "parse"),
    "types": ("stages.entity_types", "types"),
    "graph": ("stages.graph", "graph"),
    "augment": ("stages.augment", "augment"),
    "embed": ("stages.embed", "embed"),
    "baseline": ("stages.baseline", "baseline"),
    "teacher": ("stages.teacher", "teacher"),
    "student": ("stages.student", "student"),
    "evaluate": ("stages.evaluate", "evaluate"),
    "predict": ("stages.predict", "predict"),
    "extract": ("stages.extract", "extract"),
    "report": ("stages.report", "report"),
    "matrix": ("stages.matrix", "matrix"),
    "wordnet-table": ("stages.wordnet_table", "wordnet_table"),
    "params-reference": ("stages.params_reference", "params_reference"),
    "score": ("stages.score", "app"),
    "rule-errors": ("stages.rule_errors", "rule_errors_cmd"),
}
MARKUP = "markdown"


def load_command(name: str) -> click.Command:
    """Import the module of subcommand ``name`` and build its click command."""
    module, attr = COMMANDS[name]
    target = getattr(importlib.import_module(module), attr)
    # Built under a parent with kdre's settings, as `add_typer` / `command` on the app would.
    parent = typer.Typer(add_completion=False, rich_markup_mode=MARKUP)
    if isinstance(target, typer.Typer):
        parent.add_typer(target, name=name)
    else:
        parent.command(name)(target)
    return typer.main.get_group(parent).commands[name]


class LazyGroup(TyperGroup):
    """A Typer group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None


app = typer.Typer(
    name="kdre",
    cls=LazyGroup,
    help=(
        "kdre — relation extraction with knowledge distilled from well-informed soft labels "
        "(KD4NRE, AAAI 2020). Each subcommand is one DVC stage; run them with `dvc repro`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=MARKUP,
)


@app.callback()
def _group() -> None:
    # A group with no eagerly registered command needs a callback to stay a group.
    pass


def _prepare_process(argv: list[str]) -> None:
    """What must happen before kdre is imported.

    - This checkout's ``src`` goes first on the import path, so a stage run by DVC in a copy of
      the repo (``dvc exp run --temp``/``--queue``) executes that copy's code, not an editable
      install pointing elsewhere.
    - Torch's CPU kernels are capped at ``train.cpu_isa`` of the ``--params`` file (default
      params.yaml): the caps only work if set before torch's first kernel (see kdre.cpu); the
      training stages check that they took effect.
    """
    src = Path(__file__).resolve().parent.parent / "src"
    if (src / "kdre").is_dir() and str(src) not in sys.path:
        sys.path.insert(0, str(src))
    from kdre.cpu import isa_from_params_file, set_isa_environment

    path = "params.yaml"
    for i, arg in enumerate(argv):
        if arg == "--params" and i + 1 < len(argv):
            path = argv[i + 1]
        elif arg.startswith("--params="):
            path = arg.split("=", 1)[1]
    set_isa_environment(isa_from_params_file(path))


def main() -> None:
    """Entry point: bad input is one line on stderr and exit status 1, never a traceback."""
    _prepare_process(sys.argv[1:])
    from kdre.errors import InputError

    try:
        app()
    except InputError as err:
        print(f"kdre: error: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

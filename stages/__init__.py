"""Thin Typer commands, one per DVC stage; the work lives in ``src/kdre``.

Importing this package does nothing else: what a stage run needs before kdre loads (this
checkout's ``src`` first on the path, the CPU caps of ``train.cpu_isa``) is done by
``stages.cli.main``, the one entry point of ``kdre`` and ``python -m stages.cli``.
"""

"""The README's promises that a test can hold: its set-up commands are the ones the Makefile
and CI run, it stays short, and every relative link in it and in docs/ resolves."""

from __future__ import annotations

import re

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _setup_block() -> list[str]:
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readmes_two_setup_commands_are_the_makefiles_and_cis():
    assert _setup_block() == ["make repro", "make test"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for target in ("repro", "test"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no {target} target"
    ci = (REPO / ".ci/run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M), ".ci/run must run the README's test command"


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 250


def test_every_relative_link_resolves():
    files = [
        REPO / "README.md",
        *(REPO / "docs").glob("*.md"),
        *(REPO / "reports/studies").glob("*.md"),
    ]
    broken = []
    for path in files:
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (path.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{path.relative_to(REPO)} → {target}")
    assert not broken, broken


def test_the_architecture_page_is_generated_from_the_current_code():
    """docs/architecture.md's module tables and layer picture are what the code says now."""
    import codemap

    text = codemap.ARCHITECTURE.read_text(encoding="utf-8")
    assert codemap.updated(text) == text, "stale: run python scripts/codemap.py"

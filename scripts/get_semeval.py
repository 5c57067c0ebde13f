"""Put the SemEval-2010 Task 8 release where the pipeline reads it: ``data/raw/semeval2010_task8``.

The release is not part of this repository (it is the organisers', CC BY 3.0). This script takes
a folder that holds it (the organisers' ``SemEval2010_task8_all_data/`` or a folder above it) or
the official zip, checks every file the pipeline uses against the committed manifest
``data/manifests/semeval2010_task8/SHA256SUMS``, and copies exactly those files, with the
manifest and its provenance note, into the destination. The destination's bytes are therefore
the same on every machine, and so is the hash ``dvc.lock`` records for ``data/raw``.

Standard library only: ``make`` runs it before the virtual environment exists.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "data/manifests/semeval2010_task8"
RELEASE = "SemEval2010_task8_all_data"
HOW_TO_GET = (
    "get the official SemEval-2010 Task 8 release (SemEval2010_task8_all_data, CC BY 3.0; "
    "see docs/data.md) and run: make data SEMEVAL=/path/to/SemEval2010_task8_all_data[.zip]"
)


def manifest() -> dict[str, str]:
    """relative path → sha256, as committed."""
    sums = {}
    for line in (MANIFEST / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, rel = line.split(maxsplit=1)
        sums[rel] = digest
    return sums


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def release_root(source: Path) -> Path:
    """The folder that contains ``SemEval2010_task8_all_data/``."""
    for candidate in (source, source.parent):
        if (candidate / RELEASE).is_dir():
            return candidate
    raise SystemExit(f"get_semeval: {source}: no {RELEASE}/ folder in it; {HOW_TO_GET}")


def verify(root: Path, sums: dict[str, str]) -> None:
    for rel, digest in sums.items():
        path = root / rel
        if not path.is_file():
            raise SystemExit(f"get_semeval: {path}: missing from the release; {HOW_TO_GET}")
        if sha256(path) != digest:
            raise SystemExit(
                f"get_semeval: {path}: sha256 differs from the manifest "
                f"(data/manifests/semeval2010_task8/SHA256SUMS): not the original release bytes"
            )


def install(root: Path, dest: Path, sums: dict[str, str]) -> None:
    """Copy into a temporary sibling, then swap it in: an interrupted copy leaves no half."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        for rel in sums:
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / rel, tmp / rel)
        for name in ("SHA256SUMS", "PROVENANCE.md"):
            shutil.copyfile(MANIFEST / name, tmp / name)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def is_current(dest: Path, sums: dict[str, str]) -> bool:
    """True when ``dest`` already holds exactly the manifest's files and our two notes."""
    try:
        verify(dest, sums)
    except SystemExit:
        return False
    files = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    notes = all(sha256(dest / n) == sha256(MANIFEST / n) for n in ("SHA256SUMS", "PROVENANCE.md"))
    return notes and files == set(sums) | {"SHA256SUMS", "PROVENANCE.md"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", default="", help="release folder or official zip")
    parser.add_argument("--dest", type=Path, default=ROOT / "data/raw/semeval2010_task8")
    parser.add_argument(
        "--optional",
        action="store_true",
        help="without a source, say how to get it and exit 0 (tests that need it then skip)",
    )
    args = parser.parse_args(argv)
    sums = manifest()
    if is_current(args.dest, sums):
        return 0
    if not args.source:
        print(f"get_semeval: the SemEval-2010 Task 8 release is not here; {HOW_TO_GET}")
        return 0 if args.optional else 1
    source = Path(args.source)
    if not source.exists():
        print(f"get_semeval: {source}: no such file or folder; {HOW_TO_GET}", file=sys.stderr)
        return 1
    if source.is_file():
        if not zipfile.is_zipfile(source):
            print(f"get_semeval: {source}: not a zip file; {HOW_TO_GET}", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory() as unpacked, zipfile.ZipFile(source) as archive:
            archive.extractall(unpacked)
            root = release_root(Path(unpacked))
            verify(root, sums)
            install(root, args.dest, sums)
    else:
        root = release_root(source)
        verify(root, sums)
        install(root, args.dest, sums)
    print(f"get_semeval: {len(sums)} files checked and copied to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

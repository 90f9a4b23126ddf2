"""What every export writes beside its data: the manifest (files, rows, SHA-256, data cut-off,
the datasets' fingerprint and the code version of `nakip.provenance`), and the staging that
makes an export appear whole or not at all."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from nakip.provenance import code_version

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ExportedFile:
    """One written file: its name in the export folder, data rows and SHA-256."""

    name: str
    rows: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "sha256": self.sha256}


def write_text(folder: Path, name: str, text: str, rows: int) -> ExportedFile:
    """Write UTF-8 text and describe the file."""
    data = text.encode("utf-8")
    (folder / name).write_bytes(data)
    return ExportedFile(name, rows, hashlib.sha256(data).hexdigest())


def described(folder: Path, name: str, rows: int) -> ExportedFile:
    """Describe a file another library wrote into `folder`."""
    return ExportedFile(name, rows, hashlib.sha256((folder / name).read_bytes()).hexdigest())


@dataclass(frozen=True)
class Manifest:
    """The record of one export."""

    format: str
    files: tuple[ExportedFile, ...]
    data_cutoff: date | None
    fingerprint: str
    code_version: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "files": [f.to_dict() for f in self.files],
            "data_cutoff": self.data_cutoff.isoformat() if self.data_cutoff else None,
            "fingerprint": self.fingerprint,
            "code_version": self.code_version,
            "created_at": self.created_at.isoformat(),
        }


def manifest_for(
    fmt: str, files: list[ExportedFile], cutoff: date | None, fingerprint: str
) -> Manifest:
    return Manifest(fmt, tuple(files), cutoff, fingerprint, code_version(), datetime.now(UTC))


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A private folder beside the output to write into; on success its files move into `out`
    (existing files of the same name are replaced), on error nothing in `out` changes."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".nakip-export-", dir=out))
    try:
        yield tmp
        for path in sorted(tmp.iterdir(), key=lambda p: p.name == MANIFEST):
            path.replace(out / path.name)  # the manifest last: it vouches for the others
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2) + "\n")

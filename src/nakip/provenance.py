"""Which code produced an output (report, export, generated file): the one owner of the text.

Outputs must be traceable to their code as to their data (ICH E6(R3) 4.2, computerised
systems). The text names the package version, a SHA-256 prefix of NAKIP's Python sources (the
same code gives the same text with or without a git checkout, e.g. an installed wheel) and, in a
git checkout, the commit (with '+modified' when tracked files differ from it).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from functools import cache
from pathlib import Path

from nakip import __version__

__all__ = ["code_version", "git_commit", "sources_digest"]

PACKAGE_DIR = Path(__file__).resolve().parent


def git_commit(folder: Path | None = None) -> str | None:
    """The short commit of the checkout holding `folder` (default: this package), with
    '+modified' when tracked files differ from it; None when git or the checkout is missing."""
    where = folder or PACKAGE_DIR
    git = shutil.which("git")
    if git is None:
        return None
    try:
        head = subprocess.run(
            [git, "rev-parse", "--short=12", "HEAD"], cwd=where, capture_output=True,
            text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=no", "--", "."], cwd=where,
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+modified" if dirty else head or None


@cache
def sources_digest(root: Path = PACKAGE_DIR) -> str:
    """The first 12 hex digits of the SHA-256 over every Python source under `root` (relative
    path and bytes, in path order): the same code gives the same digest anywhere."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def code_version() -> str:
    """'nakip 0.1.0+1a2b3c4d5e6f (git 0123456789ab)': version + sources digest, then the git
    commit or '(git commit not available)' outside a checkout."""
    commit = git_commit()
    where = f"git {commit}" if commit else "git commit not available"
    return f"nakip {__version__}+{sources_digest()} ({where})"

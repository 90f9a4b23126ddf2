"""Which code produced a report: the package version and, in a git checkout, the commit.

A report must be traceable to its code as to its data (ICH E6(R3) 4.2, computerised systems);
the commit is read with `git rev-parse` in the package's folder and is simply absent outside a
checkout (an installed wheel).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from nakip import __version__

__all__ = ["code_version", "git_commit"]


def git_commit(folder: Path | None = None) -> str | None:
    """The short commit of the checkout holding `folder` (default: this package), with
    '+modified' when tracked files differ from it; None when git or the checkout is missing."""
    where = folder or Path(__file__).resolve().parent
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


def code_version() -> str:
    """'nakip 0.1.0 (git 1a2b3c4d5e6f)', or '(git commit not available)' outside a checkout."""
    commit = git_commit()
    return (
        f"nakip {__version__} (git {commit})"
        if commit
        else f"nakip {__version__} (git commit not available)"
    )

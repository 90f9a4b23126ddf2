"""The one code-version text (`nakip.provenance`): reproducible without git, changed by any
source edit, naming the commit in a checkout; reports and exports both carry it."""

from __future__ import annotations

import re
from pathlib import Path

from nakip import __version__, provenance
from nakip.edc.exports import files as export_files
from nakip.report.trial_report import build as report_build


def _tree(root: Path, text: str) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text(text)
    return root / "pkg"


def test_sources_digest_is_reproducible_and_changes_with_the_code(tmp_path: Path) -> None:
    one = provenance.sources_digest(_tree(tmp_path / "one", "x = 1\n"))
    same = provenance.sources_digest(_tree(tmp_path / "same", "x = 1\n"))
    other = provenance.sources_digest(_tree(tmp_path / "other", "x = 2\n"))
    assert one == same != other and re.fullmatch(r"[0-9a-f]{12}", one)


def test_no_commit_outside_a_checkout(tmp_path: Path) -> None:
    assert provenance.git_commit(tmp_path) is None


def test_code_version_names_version_digest_and_commit_state() -> None:
    text = provenance.code_version()
    digest = provenance.sources_digest()
    assert text.startswith(f"nakip {__version__}+{digest} (git ")
    assert len(text) <= 80  # GeneratedReport.code_version holds 80 characters


def test_reports_and_exports_use_the_one_owner() -> None:
    assert export_files.code_version is provenance.code_version
    assert report_build.code_version is provenance.code_version

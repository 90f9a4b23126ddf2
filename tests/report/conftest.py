"""Shared fixtures: the NAKIP-AML design report, built and rendered once per test session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nakip.protocol import Protocol, load_protocol
from nakip.report.design_report import DesignReport, build_design_report
from nakip.report.render import RenderedReport, write_design_report


def protocol_with(**design_changes: Any) -> Protocol:
    """The packaged protocol with the first cohort's design fields replaced."""
    data = load_protocol().model_dump(mode="python")
    data["cohorts"][0]["design"].update(design_changes)
    return Protocol.model_validate(data)


@pytest.fixture(scope="session")
def report() -> DesignReport:
    return build_design_report(load_protocol())


@pytest.fixture(scope="session")
def rendered(report: DesignReport, tmp_path_factory: pytest.TempPathFactory) -> RenderedReport:
    out: Path = tmp_path_factory.mktemp("design-report")
    return write_design_report(report, out)

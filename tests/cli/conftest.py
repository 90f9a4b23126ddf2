"""Fixtures of the CLI tests that read the EDC database (export and report commands)."""

from __future__ import annotations

from datetime import date

import pytest


def one_line_error(res: object, message: str) -> None:
    """The command failed with exit 2 and one line `error: ...` containing `message`."""
    out = res.output  # type: ignore[attr-defined]
    assert res.exit_code == 2, out  # type: ignore[attr-defined]
    assert out.strip().count("\n") == 0 and out.startswith("error:")
    assert message in out and "Traceback" not in out


@pytest.fixture
def enrolled(db: None) -> None:
    """One site, one investigator and one overt subject enrolled on 2026-01-12."""
    from nakip.edc import services
    from tests.edc.conftest import screening_values

    site = services.create_site(None, "S01", "Heidelberg")
    user = services.create_user(
        None, "inv", "Cli-test-Pa55word!", "investigator", site, validate_password=False
    )
    scr = services.create_screening(user, site, date(2026, 1, 5), screening_values("overt"))
    services.enrol_subject(user, scr, date(2026, 1, 12))

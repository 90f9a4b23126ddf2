"""Counts in the results reports read right at 0, 1 and 2: the enrolment paragraph."""

from __future__ import annotations

import pytest

from nakip.analysis.consort import ConsortCounts
from nakip.protocol import load_protocol
from nakip.report.trial_report.enrolment import enrolment_section
from tests.analysis.factories import screened, trial_data


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "0 patients were screened"),
        (1, "1 patient was screened"),
        (2, "2 patients were screened"),
    ],
)
def test_enrolment_paragraph_counts_patients(n: int, words: str) -> None:
    data = trial_data([], screening=[screened(i, eligible=None) for i in range(1, n + 1)])
    section = enrolment_section(ConsortCounts(load_protocol()).fit(data))
    assert section.paragraphs[0].startswith(words + ":")

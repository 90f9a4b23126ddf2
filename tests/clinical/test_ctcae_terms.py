"""The compact CTCAE v5.0 term list: every term has its SOC; OTHER needs free text."""

import pytest

from nakip.clinical.ctcae import ULN_TERMS
from nakip.clinical.ctcae_terms import OTHER, TERM_SOC, reported_term, soc_of


def test_terms_the_rules_grade_are_listed_with_their_soc() -> None:
    for spec in ULN_TERMS.values():
        assert soc_of(spec.label) == "Investigations"
    assert soc_of("Febrile neutropenia") == "Blood and lymphatic system disorders"
    assert soc_of("Cytokine release syndrome") == "Immune system disorders"
    assert soc_of(OTHER) is None and len(TERM_SOC) >= 40


def test_reported_term() -> None:
    assert reported_term("Nausea", None) == "Nausea"
    assert reported_term(OTHER, "  Hiccups ") == "Hiccups"
    with pytest.raises(ValueError, match="term_other"):
        reported_term(OTHER, " ")

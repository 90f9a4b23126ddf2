"""Seeded virtual patients of the NAKIP-AML trial: screening data, disease course, safety.

The generator plans a whole virtual trial as data (no Django): who is screened, who fails which
eligibility criterion, and for every enrolled patient the form values of each scheduled visit —
read off the mechanistic model (`nakip.sim.model`) — adverse events, NK-cell products,
follow-up and end of study. Each patient carries its *truth* (best response, responder, DLT,
feasibility failure), decided by the clinical rules on the model's readouts, so the EDC's
derivations can be checked against it.

Determinism: one `random.Random(seed)` stream and one numpy stream, consumed in a fixed order;
the calendar is placed so the data cut falls on `data_cut`, which moves dates but never changes
a number. Modules: `plan` (scenario and plan objects), `screening`, `course` (the casebook),
`safety`, `follow_up`, `trial` (the whole trial), `draws` (the seeded stream).
"""

from nakip.sim.patients.plan import (
    CONSENT_WITHDRAWN_REASON,
    CR_FAMILY,
    CUT_MARGIN_DAYS,
    ELN_ORDER,
    MRD_FAILURES,
    OVERT_FAILURES,
    FormEntry,
    PatientTruth,
    Scenario,
    ScreeningCase,
    VirtualPatient,
    VirtualTrial,
)
from nakip.sim.patients.trial import TYPO_REASON, generate_trial, iter_entries

__all__ = [
    "CONSENT_WITHDRAWN_REASON",
    "CR_FAMILY",
    "CUT_MARGIN_DAYS",
    "ELN_ORDER",
    "MRD_FAILURES",
    "OVERT_FAILURES",
    "TYPO_REASON",
    "FormEntry",
    "PatientTruth",
    "Scenario",
    "ScreeningCase",
    "VirtualPatient",
    "VirtualTrial",
    "generate_trial",
    "iter_entries",
]

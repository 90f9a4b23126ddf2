"""The whole trial at one data cut-off: every fitter of the analysis layer over one TrialData.

What reports, the demo and the web pages read: design choice, CONSORT, efficacy, monitoring,
safety, feasibility and survival (EFS, OS, RFS, CIR), with the data's
fingerprint so that a result can be traced to its snapshot.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Self

from nakip.analysis.consort import ConsortCounts
from nakip.analysis.data import TrialData
from nakip.analysis.design_choice import ChosenDesign, chosen_designs
from nakip.analysis.efficacy import EfficacyAnalysis
from nakip.analysis.feasibility import FeasibilityAnalysis
from nakip.analysis.fitter import Fitter
from nakip.analysis.monitoring import MonitoringAnalysis
from nakip.analysis.safety import SafetyAnalysis
from nakip.analysis.survival import SurvivalAnalysis
from nakip.protocol.model import Protocol


class TrialAnalysis(Fitter):
    """Every analysis of the trial, lifelines-style: `TrialAnalysis(protocol).fit(data)`; then
    `designs`, `consort`, `efficacy`, `monitoring`, `safety`, `feasibility`, `survival`,
    `cutoff`, `fingerprint` and `to_dict()`."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.designs: dict[str, ChosenDesign] = {}
        self.consort = ConsortCounts(protocol)
        self.efficacy = EfficacyAnalysis(protocol)
        self.monitoring = MonitoringAnalysis(protocol)
        self.safety = SafetyAnalysis()
        self.feasibility = FeasibilityAnalysis(protocol)
        self.survival = SurvivalAnalysis()
        self.cutoff: date | None = None
        self.fingerprint = ""

    def fit(self, data: TrialData) -> Self:
        """Fit every analysis on `data`."""
        self.designs = chosen_designs(self.protocol)
        self.consort.fit(data)
        self.efficacy.fit(data)
        self.monitoring.fit(data)
        self.safety.fit(data)
        self.feasibility.fit(data)
        self.survival.fit(data)
        self.cutoff = data.cutoff
        self.fingerprint = data.fingerprint
        self._fitted = True
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view of every analysis."""
        self._check_fitted()
        return {
            "cutoff": None if self.cutoff is None else self.cutoff.isoformat(),
            "fingerprint": self.fingerprint,
            "designs": {k: v.to_dict() for k, v in self.designs.items()},
            "consort": self.consort.to_dict(),
            "efficacy": self.efficacy.to_dict(),
            "monitoring": self.monitoring.to_dict(),
            "safety": self.safety.to_dict(),
            "feasibility": self.feasibility.to_dict(),
            "survival": self.survival.to_dict(),
        }

"""Analysis datasets built from the EDC (modelled on CDISC ADaM), one module per dataset.

`build_trial_data` gives ADSL, ADRS, ADTTE, ADAE, ADLB and the screening log as a `TrialData`
(columns: `nakip.analysis.dictionary`) at a data cut-off. Values come from
`nakip.edc.derivations.derive_subject` (which applies `nakip.clinical`); these modules only lay
them out. `build_dataset` serves one dataset by name to the REST API.
"""

from nakip.edc.datasets.api_datasets import DATASETS, Dataset, build_dataset, dataset_of
from nakip.edc.datasets.build import build_trial_data, trial_data_from
from nakip.edc.datasets.snapshot import CutoffError, EDCSnapshot, load_snapshot

__all__ = [
    "DATASETS",
    "CutoffError",
    "Dataset",
    "EDCSnapshot",
    "build_dataset",
    "build_trial_data",
    "dataset_of",
    "load_snapshot",
    "trial_data_from",
]

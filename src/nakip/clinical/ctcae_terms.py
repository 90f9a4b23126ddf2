"""The compact CTCAE v5.0 term list an AML cell-therapy trial picks adverse events from.

Terms and their system organ class (SOC) are typed from the CTCAE v5.0 term list (NCI,
27 Nov 2017; MedDRA-based SOCs), chosen for allogeneic NK cells with talazoparib in AML:
cytopenias, infections, CRS, infusion reactions, hepatic/renal laboratory terms, electrolytes,
GI and general disorders ([recalled]: check spelling against the CTCAE v5.0 spreadsheet before
release). A term not in the list is entered as OTHER with free text (docs/clinical-rules.md).
"""

from __future__ import annotations

OTHER = "Other, specify"

_BY_SOC: dict[str, tuple[str, ...]] = {
    "Blood and lymphatic system disorders": (
        "Anemia",
        "Febrile neutropenia",
        "Disseminated intravascular coagulation",
        "Hemolysis",
        "Leukocytosis",
    ),
    "Investigations": (
        "Neutrophil count decreased",
        "Platelet count decreased",
        "White blood cell decreased",
        "Lymphocyte count decreased",
        "Alanine aminotransferase increased",
        "Aspartate aminotransferase increased",
        "Blood bilirubin increased",
        "Creatinine increased",
        "Alkaline phosphatase increased",
        "GGT increased",
        "Fibrinogen decreased",
        "INR increased",
        "Electrocardiogram QT corrected interval prolonged",
        "Weight loss",
    ),
    "Immune system disorders": ("Cytokine release syndrome", "Allergic reaction", "Anaphylaxis"),
    "Injury, poisoning and procedural complications": ("Infusion related reaction",),
    "Infections and infestations": (
        "Sepsis",
        "Lung infection",
        "Upper respiratory infection",
        "Urinary tract infection",
        "Catheter related infection",
        "Skin infection",
        "Enterocolitis infectious",
    ),
    "Gastrointestinal disorders": (
        "Nausea",
        "Vomiting",
        "Diarrhea",
        "Mucositis oral",
        "Constipation",
        "Abdominal pain",
        "Colitis",
    ),
    "General disorders and administration site conditions": (
        "Fatigue",
        "Fever",
        "Chills",
        "Edema limbs",
        "Multi-organ failure",
        "Death NOS",
    ),
    "Metabolism and nutrition disorders": (
        "Anorexia",
        "Hypokalemia",
        "Hyperkalemia",
        "Hyponatremia",
        "Hypocalcemia",
        "Hypomagnesemia",
        "Hypophosphatemia",
        "Hyperglycemia",
        "Hyperuricemia",
        "Hypoalbuminemia",
        "Tumor lysis syndrome",
    ),
    "Nervous system disorders": (
        "Headache",
        "Dizziness",
        "Encephalopathy",
        "Seizure",
        "Somnolence",
        "Syncope",
        "Peripheral sensory neuropathy",
        "Intracranial hemorrhage",
    ),
    "Psychiatric disorders": ("Confusion", "Insomnia"),
    "Respiratory, thoracic and mediastinal disorders": (
        "Dyspnea",
        "Hypoxia",
        "Pneumonitis",
        "Pleural effusion",
        "Cough",
        "Epistaxis",
    ),
    "Vascular disorders": (
        "Hypotension",
        "Hypertension",
        "Thromboembolic event",
        "Capillary leak syndrome",
    ),
    "Cardiac disorders": ("Sinus tachycardia", "Atrial fibrillation", "Heart failure"),
    "Hepatobiliary disorders": ("Hepatic failure",),
    "Renal and urinary disorders": ("Acute kidney injury",),
    "Skin and subcutaneous tissue disorders": ("Rash maculo-papular", "Pruritus"),
    "Musculoskeletal and connective tissue disorders": ("Arthralgia", "Myalgia", "Back pain"),
}

#: CTCAE v5.0 term -> its system organ class, in list order.
TERM_SOC: dict[str, str] = {term: soc for soc, terms in _BY_SOC.items() for term in terms}


def soc_of(term: str) -> str | None:
    """The SOC of a listed CTCAE v5.0 term; None for OTHER or a term not in the list."""
    return TERM_SOC.get(term)


def reported_term(term: str, other_term: str | None) -> str:
    """The term an analysis uses: the listed term, or the free text entered under OTHER."""
    if term == OTHER:
        if not other_term or not other_term.strip():
            raise ValueError("term_other: the free-text term is required when the term is OTHER")
        return other_term.strip()
    return term

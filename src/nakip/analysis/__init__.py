"""NAKIP's analysis layer: analysis datasets (`data.TrialData`) in, result objects out.

One module per question, each a lifelines-shaped fitter (docs/analysis.md): `design_choice`
(the protocol's chosen design and planned n), `efficacy`, `monitoring`, `safety`,
`feasibility`, `consort`, `survival`, and `trial.TrialAnalysis` running them all. No Django.
"""

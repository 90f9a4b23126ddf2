"""The DSMB and final reports' shared parts: the report model, one module per section, and
the builder (`build_results_report`); `nakip.report.dsmb` and `.final` choose what to show."""

"""Report figures: each renders to PNG and SVG, draws what its data say, and survives no data."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from nakip.analysis.consort import ConsortCounts
from nakip.analysis.data import TrialData, empty_frame
from nakip.analysis.safety import SafetyAnalysis
from nakip.protocol import load_protocol
from nakip.report.figures import to_png, to_svg
from nakip.report.figures.consort import consort_figure
from nakip.report.figures.monitoring import monitoring_status_figure, simon_status_figure
from nakip.report.figures.patients import (
    mrd_spider_figure,
    mrd_waterfall_figure,
    swimmer_figure,
)
from nakip.report.figures.safety import ae_heatmap_figure
from nakip.report.figures.survival import at_risk_counts, cif_figure, km_figure
from tests.report.trial_data import small_trial_data

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA = small_trial_data()
PROTOCOL = load_protocol()
CONSORT = ConsortCounts(PROTOCOL).fit(DATA)
SAFETY = SafetyAnalysis().fit(DATA)

# A Kaplan-Meier table in the KaplanMeier.table shape: 10 patients, distinct times in days.
KM = pd.DataFrame(
    {
        "time": [30.0, 60.0, 90.0, 200.0, 400.0],
        "n_risk": [10, 8, 6, 4, 2],
        "n_event": [1, 1, 1, 1, 0],
        "n_censor": [1, 1, 1, 1, 2],
        "survival": [0.9, 0.7875, 0.65625, 0.4921875, 0.4921875],
        "lower": [0.47, 0.39, 0.28, 0.16, 0.16],
        "upper": [0.99, 0.94, 0.87, 0.77, 0.77],
    }
)
CIF = pd.DataFrame(
    {"time": [30.0, 90.0], "cif": [0.1, 0.25], "lower": [0.01, 0.05], "upper": [0.4, 0.55]}
)


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def _renders(fig: Figure) -> str:
    """PNG and SVG both render; the SVG text (text kept as text) is returned for checks."""
    assert to_png(fig)[:8] == PNG_MAGIC
    svg = to_svg(fig)
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    return svg


def _all_figures() -> list[Figure]:
    return [
        km_figure({"overt": KM}),
        cif_figure({"overt": CIF}),
        swimmer_figure(DATA.adsl, DATA.adrs, DATA.adtte),
        mrd_waterfall_figure(DATA.adsl),
        mrd_spider_figure(DATA.adrs, DATA.adsl),
        ae_heatmap_figure(SAFETY.by_term),
        consort_figure(CONSORT),
        monitoring_status_figure([0, 1, 1, 2], [None, None, 3, 3, 4]),
        simon_status_figure([0, 1, 1], 3, 9, 13, 27),
    ]


def test_figures_do_not_leak_into_pyplot() -> None:
    before = plt.get_fignums()
    figures = _all_figures()
    assert all(isinstance(f, Figure) for f in figures)
    assert plt.get_fignums() == before


# ------------------------------------------------------------------------- Kaplan-Meier
def test_at_risk_counts_between_and_after_rows() -> None:
    # Just before t: n_risk of the first row at or after t; 0 after the last row.
    assert at_risk_counts(KM, [0, 30, 31, 90, 91, 400, 401]) == [10, 10, 8, 6, 4, 2, 0]


def test_km_figure_draws_curves_bands_and_risk_table() -> None:
    fig = km_figure({"overt": KM, "mrd": KM.assign(time=KM["time"] * 2)}, title="OS")
    svg = _renders(fig)
    main = fig.axes[0]
    curves = [line for line in main.get_lines() if line.get_label() in ("overt", "mrd")]
    assert len(curves) == 2
    # step starts at (0, 1) and ends at the last survival value
    x, y = curves[0].get_data()
    assert (x[0], y[0]) == (0.0, 1.0) and y[-1] == pytest.approx(0.4921875)
    assert len(main.collections) == 2  # one confidence band per group
    texts = _texts(fig)
    assert "Number at risk" in texts and "10" in texts
    assert "Number at risk" in svg and "OS" in svg


def test_km_risk_table_numbers_follow_ticks() -> None:
    fig = km_figure({"g": KM}, time_scale=1.0, xlabel="Days")
    main, risk = fig.axes
    ticks = [t for t in main.get_xticks() if 0 <= t <= main.get_xlim()[1]]
    numbers = [t.get_text() for t in risk.texts if t.get_text().isdigit()]
    assert numbers == [str(n) for n in at_risk_counts(KM, ticks)]


class _FittedKM:
    """Stand-in with the fitted-estimator interface (table, last_time, at_risk)."""

    table = KM.drop(columns="n_risk")
    last_time = 500.0

    @staticmethod
    def at_risk(times: list[float]) -> list[int]:
        return [99 if t <= 250 else 7 for t in times]


def test_km_from_a_fitted_estimator_uses_its_at_risk_and_follow_up() -> None:
    fig = km_figure({"g": _FittedKM()}, time_scale=1.0, xlabel="Days")
    main, risk = fig.axes
    (curve,) = [line for line in main.get_lines() if line.get_label() == "g"]
    assert curve.get_xdata()[-1] == 500.0  # extended to the last follow-up time
    assert main.get_xlim()[1] >= 500.0
    numbers = {t.get_text() for t in risk.texts if t.get_text().isdigit()}
    assert numbers == {"99", "7"}


def test_km_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="survival"):
        km_figure({"g": KM.drop(columns="survival")})


def test_cif_figure_starts_at_zero() -> None:
    fig = cif_figure({"relapse": CIF, "death": CIF.assign(cif=[0.05, 0.1])})
    _renders(fig)
    lines = [line for line in fig.axes[0].get_lines() if line.get_label() == "relapse"]
    x, y = lines[0].get_data()
    assert (x[0], y[0]) == (0.0, 0.0) and y[-1] == pytest.approx(0.25)


# ------------------------------------------------------------------------- patients
def test_swimmer_has_one_lane_per_enrolled_patient_and_markers() -> None:
    fig = swimmer_figure(DATA.adsl, DATA.adrs, DATA.adtte)
    _renders(fig)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 8
    labels = {t.get_text() for t in ax.get_yticklabels()}
    assert "NAKIP-AML-A003" in labels
    marks = {line.get_label(): len(line.get_xdata()) for line in ax.get_lines()}
    # responses A001 and B001; relapses A002 and B003; one death (A003); the 7 others ongoing
    assert marks["first response"] == 2
    assert marks["relapse"] == 2
    assert marks["death"] == 1
    assert marks["on study"] == 7


def test_swimmer_caps_lanes_and_says_so() -> None:
    fig = swimmer_figure(DATA.adsl, DATA.adrs, DATA.adtte, max_subjects=3)
    ax = fig.axes[0]
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == 3
    assert "first 3 of 8 enrolled" in ax.get_title(loc="left")


def test_waterfall_bars_sorted_with_minus_one_line() -> None:
    fig = mrd_waterfall_figure(DATA.adsl)
    svg = _renders(fig)
    ax = fig.axes[0]
    (bars,) = [c for c in ax.collections if c.get_gid() == "bars"]
    heights = [float(path.vertices[1, 1]) for path in bars.get_paths()]
    assert heights == [0.4, -1.0, -2.1]  # three MRD patients with a change, worst first
    threshold = [line for line in ax.get_lines() if line.get_gid() == "threshold"]
    assert len(threshold) == 1 and set(threshold[0].get_ydata()) == {-1.0}
    assert "-1 log10" in svg
    # colour from ADSL's responder flag: only -2.1 is a responder (-1.0 exactly is not)
    colours = [tuple(c) for c in bars.get_facecolors()]
    assert colours[0] == colours[1] != colours[2]


def test_spider_one_line_per_patient_from_zero() -> None:
    fig = mrd_spider_figure(DATA.adrs, DATA.adsl)
    _renders(fig)
    ax = fig.axes[0]
    (collection,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    paths = collection.get_segments()
    assert len(paths) == 3
    assert all(tuple(p[0]) == (0.0, 0.0) for p in paths)
    assert sorted(float(p[-1][1]) for p in paths) == [-2.1, -1.0, 0.4]
    assert any(line.get_gid() == "threshold" for line in ax.get_lines())


# ------------------------------------------------------------------------- safety
def test_ae_heatmap_cells_are_the_worst_grade_counts() -> None:
    # Worst grade per patient and term among treated patients, adverse-event forms only (CRS and
    # ICANS episodes are tabulated apart by the analysis layer): neutrophils A001 g4, A002 g3,
    # B001 g3 (g2 then g3); nausea A001 g1, B002 g2.
    fig = ae_heatmap_figure(SAFETY.by_term)
    svg = _renders(fig)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == ["Neutrophil count decreased", "Nausea"]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in ax.texts}  # fmt: skip
    assert cells == {(0, 2): "2", (0, 3): "1", (1, 0): "1", (1, 1): "1"}
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"Grade {g}" for g in range(1, 6)]
    assert "Neutrophil count decreased" in svg


def test_ae_heatmap_per_cohort_and_top_terms() -> None:
    fig = ae_heatmap_figure(SAFETY.by_term, scope="mrd", max_terms=1)
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    # mrd: two terms with one patient each (B001 neutrophils, B002 nausea); ties go by name
    assert rows == ["Nausea"]


# ------------------------------------------------------------------------- CONSORT
def test_consort_figure_shows_every_step() -> None:
    svg = _renders(consort_figure(CONSORT))
    for text in ("Screened", "n = 11", "Not eligible  n = 2", "IN6: 2", "EX3: 1",
                 "in screening  n = 1", "cohort overt", "cohort mrd", "Treated",
                 "Response-evaluable", "Analysed (all treated)"):  # fmt: skip
        assert text in svg, text


def test_consort_figure_numbers_per_cohort() -> None:
    fig = consort_figure(CONSORT)
    boxes = [t.get_text() for t in fig.axes[0].texts]
    # overt: 4 enrolled, 3 treated, 3 evaluable, 3 analysed; mrd: 4, 4, 3, 4
    assert "Enrolled: cohort overt\nn = 4" in boxes and "Enrolled: cohort mrd\nn = 4" in boxes
    assert boxes.count("Treated\nn = 3") == 1 and boxes.count("Treated\nn = 4") == 1
    assert boxes.count("Response-evaluable\nn = 3") == 2


# ------------------------------------------------------------------------- monitoring
def test_monitoring_figure_boundary_and_crossing() -> None:
    fig = monitoring_status_figure(
        [0, 1, 3], [None, None, 3, 3, 4], crossed_at=3, event_label="DLTs"
    )
    svg = _renders(fig)
    ax = fig.axes[0]
    gids = {line.get_gid() for line in ax.get_lines()}
    assert {"boundary", "observed", "crossing"} <= gids
    assert "boundary crossed at n = 3" in svg
    (boundary,) = [line for line in ax.get_lines() if line.get_gid() == "boundary"]
    assert list(boundary.get_xdata()) == [3, 4, 5]


def test_simon_status_figure_marks_both_decisions() -> None:
    fig = simon_status_figure([1, 1, 2, 3], 3, 9, 13, 27)
    svg = _renders(fig)
    assert "stop if \u2264 3 of 9" in svg and "promising if &gt; 13 of 27" in svg


# ------------------------------------------------------------------------- no data
@pytest.mark.parametrize(
    "draw",
    [
        lambda: km_figure({}),
        lambda: km_figure({"overt": KM.iloc[0:0]}),
        lambda: cif_figure({"overt": CIF.iloc[0:0]}),
        lambda: swimmer_figure(empty_frame("adsl"), empty_frame("adrs"), empty_frame("adtte")),
        lambda: mrd_waterfall_figure(empty_frame("adsl")),
        lambda: mrd_spider_figure(empty_frame("adrs")),
        lambda: ae_heatmap_figure(SafetyAnalysis().fit(TrialData()).by_term),
        lambda: consort_figure(ConsortCounts(PROTOCOL).fit(TrialData())),
        lambda: monitoring_status_figure([], []),
    ],
)
def test_empty_input_says_no_data(draw) -> None:  # type: ignore[no-untyped-def]
    fig = draw()
    svg = _renders(fig)
    assert "no " in svg  # "no data" or the figure's own "no ..." message


def test_monitoring_without_patients_still_shows_boundary() -> None:
    fig = monitoring_status_figure([], [None, 2, 2])
    svg = _renders(fig)
    assert "no patient evaluated yet" in svg
    assert np.array_equal(
        [line for line in fig.axes[0].get_lines() if line.get_gid() == "boundary"][0].get_ydata(),
        [2.0, 2.0],
    )

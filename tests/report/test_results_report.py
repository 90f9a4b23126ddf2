"""Golden report: the fixed synthetic trial of `trial_data.py` gives the DSMB and final reports
these exact numbers (each derived by hand in the comments), and the PDF renders with figures."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from nakip.protocol import load_protocol
from nakip.report.dsmb import build_dsmb_report
from nakip.report.final import build_final_report
from nakip.report.render import RenderedReport, render_results_html, write_results_report
from nakip.report.trial_report.model import ResultsReport, Table
from tests.report.test_render import PNG_MAGIC, _pdf_chunks, _pdf_page_count
from tests.report.trial_data import CUTOFF, small_trial_data

DATA = small_trial_data()
PROTOCOL = load_protocol()
TODAY = date(2026, 7, 1)


@pytest.fixture(scope="module")
def dsmb() -> ResultsReport:
    return build_dsmb_report(DATA, PROTOCOL, today=TODAY, version="nakip test")


@pytest.fixture(scope="module")
def final() -> ResultsReport:
    return build_final_report(DATA, PROTOCOL, today=TODAY, version="nakip test")


@pytest.fixture(scope="module")
def rendered(dsmb: ResultsReport, tmp_path_factory: pytest.TempPathFactory) -> RenderedReport:
    return write_results_report(dsmb, tmp_path_factory.mktemp("dsmb"))


def _row(table: Table, first: str, second: str | None = None) -> tuple[str, ...]:
    rows = [r for r in table.rows if r[0] == first and (second is None or r[1] == second)]
    assert len(rows) == 1, (first, second, table.rows)
    return rows[0]


# ----------------------------------------------------------------------------- provenance
def test_title_page_traces_data_and_code(dsmb: ResultsReport) -> None:
    assert dsmb.title == "Closed DSMB report" and dsmb.kind == "dsmb"
    assert dsmb.cutoff == CUTOFF.isoformat() == "2026-06-30"
    assert dsmb.fingerprint == DATA.fingerprint and len(dsmb.fingerprint) == 64
    assert dsmb.code_version == "nakip test" and dsmb.generated == "2026-07-01"
    html = render_results_html(dsmb)
    assert DATA.fingerprint in html and "Data cut-off" in html and "nakip test" in html
    assert "for the members of the Data Safety Monitoring Board only" in html


def test_sections_in_order(dsmb: ResultsReport, final: ResultsReport) -> None:
    keys = ["enrolment", "deviations", "efficacy", "safety", "monitoring", "survival", "listings"]
    assert [s.key for s in dsmb.sections] == keys == [s.key for s in final.sections]


# ----------------------------------------------------------------------------- enrolment
def test_enrolment_numbers(dsmb: ResultsReport) -> None:
    s = dsmb.section("enrolment")
    # overt: 5 screened (4 enrolled + 1 not eligible); A004 enrolled, never treated
    # mrd: 6 screened (4 enrolled, 1 not eligible, 1 still in screening); B004 not evaluable
    flow = s.table("flow")
    assert _row(flow, "overt") == ("overt", "5", "1", "4", "1", "3", "3", "3", "3")
    assert _row(flow, "mrd") == ("mrd", "6", "1", "4", "0", "4", "3", "4", "4")
    assert s.table("not_eligible").rows == (("IN6", "2"), ("EX3", "1"))
    assert s.paragraphs[0] == (
        "11 patients were screened: 2 not eligible, 1 still in screening and 8 enrolled."
    )
    assert _row(s.table("disposition"), "overt") == ("overt", "3", "2", "1")  # A003 died


def test_no_deviation_is_said_in_words(dsmb: ResultsReport) -> None:
    s = dsmb.section("deviations")
    assert s.tables == () and s.paragraphs[0].startswith("No protocol deviation is recorded.")


# ----------------------------------------------------------------------------- efficacy
def test_primary_endpoint_overt(dsmb: ResultsReport) -> None:
    rates = dsmb.section("efficacy").table("rates-overt")
    # 1 responder (A001) of 3 treated; Clopper-Pearson 1/3 = 0.0084-0.9057 (R binom.test(1, 3));
    # one-sided p = 1 - 0.65^3 = 0.7254
    assert _row(rates, "primary (protocol definition)", "all treated")[2:] == (
        "1/3", "33.3%", "0.8%\u201390.6%", "0.7254",
    )  # fmt: skip
    # CR, CRh or CRi: A001 and A002 (CRh) = 2/3; p = P(X >= 2) = 3*0.35^2*0.65 + 0.35^3
    composite = _row(rates, "CR, CRh or CRi (ELN 2022 composite)", "all treated")
    assert composite[2:5] == ("2/3", "66.7%", "9.4%\u201399.2%")
    assert float(composite[5]) == pytest.approx(0.28175, abs=5e-5)
    assert _row(rates, "CR only", "all treated")[2] == "1/3"
    two = dsmb.section("efficacy").table("two-stage-overt")
    assert (
        two.rows[0][-1] == "not estimable yet: 3 of the 9 outcomes of the deciding stage are known"
    )


def test_primary_endpoint_mrd(dsmb: ResultsReport) -> None:
    rates = dsmb.section("efficacy").table("rates-mrd")
    # B001 responds (-2.1 log10); B002 at exactly -1.0 does not; B004 not evaluable counts as a
    # non-responder: 1/4, CP 0.0063-0.8059, p = 1 - 0.65^4 = 0.8215; evaluable only 1/3
    assert _row(rates, "primary (protocol definition)", "all treated")[2:] == (
        "1/4", "25.0%", "0.6%\u201380.6%", "0.8215",
    )  # fmt: skip
    assert _row(rates, "primary (protocol definition)", "response-evaluable")[2] == "1/3"
    names = [f.name for f in dsmb.section("efficacy").subsections[1].figures]
    assert names == ["simon-mrd", "mrd-waterfall-mrd", "mrd-spider-mrd"]


# ----------------------------------------------------------------------------- safety
def test_safety_tables(dsmb: ResultsReport) -> None:
    s = dsmb.section("safety")
    overview = s.table("ae-overview")
    assert overview.columns == ("Category", "mrd", "overt", "all")
    assert _row(overview, "Treated patients") == ("Treated patients", "4", "3", "7")
    # AE forms only (CRS/ICANS episodes are tabulated apart): any AE A001, A002, B001, B002 =
    # 4 of 7; grade >= 3: A001, A002, B001; the one DLT (A002) was a CRS episode
    assert _row(overview, "Any adverse event")[3] == "4 (57.1%)"
    assert _row(overview, "Grade >= 3")[1:] == ("1 (25.0%)", "2 (66.7%)", "3 (42.9%)")
    assert _row(overview, "Dose-limiting toxicity")[3] == "0 (0.0%)"
    terms = s.table("ae-terms")
    assert set(terms.column("System organ class")) == {"\u2013"}  # no SOC coded: never "nan"
    assert terms.rows[0][:4] == (
        "all", "\u2013",
        "Neutrophil count decreased", "3",
    )  # fmt: skip
    crs = s.table("crs-icans")
    assert _row(crs, "all", "CRS")[2:] == ("0", "1", "1", "0", "0", "2 (28.6%)")
    assert [f.name for f in s.figures] == ["ae-heatmap-mrd", "ae-heatmap-overt"]


def test_monitoring_tables(dsmb: ResultsReport) -> None:
    s = dsmb.section("monitoring")
    status = s.table("monitoring")
    # DLT-evaluable overt patients A001-A003, one DLT (A002); boundary at n = 3 is 3 events
    assert _row(status, "overt", "toxicity")[2:5] == ("3", "1", "no")
    assert _row(status, "overt", "toxicity")[5] == "continue: 1 of 3 (stop if >= 3 of 3)"
    feas = s.table("feasibility")
    assert _row(feas, "overt")[1:3] == ("1/4", "25.0%")
    assert _row(feas, "all")[1:] == ("1/8", "12.5%", "0.3%\u201352.7%", "20%")
    assert s.alert == "" and s.paragraphs == ("No stopping boundary has been crossed.",)


# ----------------------------------------------------------------------------- survival
def test_survival_table(dsmb: ResultsReport) -> None:
    table = dsmb.section("survival").table("survival")
    os_overt = _row(table, "overt", "OS")
    # one death in four (S = 0.75): median not reached; follow-up < 6 months: not estimable
    assert os_overt[2:5] == ("4", "1", "not reached")
    assert os_overt[5] == "not estimable"
    efs = _row(table, "overt", "EFS")
    # S = 2/3 after day 1, 1/3 after day 90: median 90 days = 2.96 months
    assert efs[2:4] == ("3", "2") and efs[4].startswith("3.0 (")
    assert _row(table, "mrd", "RFS")[4] == "not estimable"
    assert _row(table, "mrd", "CIR")[2:4] == ("3", "1")  # B001-B003 in remission, B003 relapses
    assert all("nan" not in cell.lower() for row in table.rows for cell in row)
    names = [f.name for f in dsmb.section("survival").figures]
    assert names == ["km-os", "km-efs", "km-rfs", "cif", "swimmer"]


# ----------------------------------------------------------------------------- listings
def test_dsmb_lists_notable_events_final_lists_all(
    dsmb: ResultsReport, final: ResultsReport
) -> None:
    # grade >= 3, serious or DLT: A001 neutrophils g4, A002 neutrophils g3 and CRS g3 (DLT),
    # B001 neutrophils g3 (its g2 record is left out)
    ae = dsmb.section("listings").table("listing-ae")
    assert len(ae.rows) == 4 and ae.total == 4
    assert final.section("listings").table("listing-ae").total == 8
    subjects = final.section("listings").table("listing-subjects")
    assert len(subjects.rows) == 8 and subjects.column("Death").count("2026-03-26") == 1


def test_dsmb_listing_limit_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    from nakip.report.trial_report.build import build_results_report

    report = build_results_report(DATA, PROTOCOL, "dsmb", listing_limit=3, term_limit=2,
                                  today=TODAY, version="v")  # fmt: skip
    subjects = report.section("listings").table("listing-subjects")
    assert len(subjects.rows) == 3 and subjects.total == 8 and subjects.truncated
    assert "First 3 of 8 rows" in subjects.note
    terms = report.section("safety").table("ae-terms")
    assert len(terms.rows) == 2 and "all in the final report" in terms.note


# ----------------------------------------------------------------------------- PDF
def test_pdf_renders_with_its_figures(rendered: RenderedReport, dsmb: ResultsReport) -> None:
    assert rendered.pdf is not None and rendered.html.name == "dsmb-report.html"
    pdf = rendered.pdf.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert _pdf_page_count(pdf) > 10
    images = sum(len(re.findall(rb"/Subtype\s*/Image", c)) for c in _pdf_chunks(pdf))
    assert images >= len(dsmb.figures) == 15
    for path in rendered.figures:
        assert path.read_bytes()[:8] == PNG_MAGIC
    assert {p.name for p in rendered.figures} >= {"fig-consort.png", "fig-km-os.png"}


def test_html_has_every_table_without_nan(rendered: RenderedReport) -> None:
    html = Path(rendered.html).read_text(encoding="utf-8")
    for key in ("flow", "rates-overt", "ae-overview", "monitoring", "survival", "listing-ae"):
        assert f'id="table-{key}"' in html, key
    assert ">nan<" not in html.lower()


def test_table_rejects_unformatted_cells() -> None:
    with pytest.raises(ValueError, match="not formatted text"):
        Table("t", "T", ("a",), (("nan",),))
    with pytest.raises(ValueError, match="not formatted text"):
        Table("t", "T", ("a",), ((1.5,),))  # type: ignore[arg-type]


def test_an_empty_trial_reports_not_estimable_without_failing() -> None:
    from nakip.analysis.data import TrialData

    report = build_dsmb_report(TrialData(), PROTOCOL, today=TODAY, version="v")
    rates = report.section("efficacy").table("rates-overt")
    assert _row(rates, "primary (protocol definition)", "all treated")[2:] == (
        "0/0", "not estimable", "not estimable", "\u2013",
    )  # fmt: skip
    assert report.section("safety").paragraphs == (
        "No patient has been treated: no safety data to tabulate.",
    )
    assert all(len(f.png) > 0 for f in report.figures)
    html = re.sub(r'src="data:[^"]*"', "", render_results_html(report))
    assert "not estimable" in html and ">nan<" not in html.lower()

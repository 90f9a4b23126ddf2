"""The rendered design report: self-contained HTML, a multi-page A4 PDF and the figure PNGs."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from nakip import __version__
from nakip.report.design_report import DesignReport, build_design_report
from nakip.report.render import RenderedReport, render_design_html
from tests.report.conftest import protocol_with

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _pdf_chunks(data: bytes) -> list[bytes]:
    """The raw PDF plus every Flate stream inflated (object streams hide the page objects)."""
    chunks = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            chunks.append(zlib.decompressobj().decompress(data[match.end() :]))
        except zlib.error:
            continue
    return chunks


def _pdf_page_count(data: bytes) -> int:
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", c)) for c in _pdf_chunks(data))


def _pdf_page_size(data: bytes) -> tuple[float, float] | None:
    for chunk in _pdf_chunks(data):
        box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", chunk)
        if box:
            return float(box.group(1)), float(box.group(2))
    return None


def test_files_are_written(rendered: RenderedReport) -> None:
    assert rendered.html.name == "design-report.html" and rendered.html.stat().st_size > 0
    assert rendered.pdf is not None and rendered.pdf.name == "design-report.pdf"
    names = sorted(p.name for p in rendered.figures)
    assert names == sorted(
        [
            "fig-overt-power.png",
            "fig-overt-pet-en.png",
            "fig-mrd-power.png",
            "fig-mrd-pet-en.png",
            "fig-monitor-toxicity-n27.png",
            "fig-monitor-feasibility-n54.png",
        ]
    )
    for path in rendered.figures:
        assert path.parent == rendered.html.parent
        assert path.read_bytes()[:8] == PNG_MAGIC


def test_pdf_is_a4_with_several_pages(rendered: RenderedReport) -> None:
    assert rendered.pdf is not None
    data = rendered.pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert _pdf_page_count(data) >= 2
    size = _pdf_page_size(data)
    assert size is not None
    # A4 is 595.28 x 841.89 pt
    assert abs(size[0] - 595.28) < 1 and abs(size[1] - 841.89) < 1


def test_html_contains_cohorts_tables_and_rules(
    rendered: RenderedReport, report: DesignReport
) -> None:
    html = rendered.html.read_text(encoding="utf-8")
    for c in report.cohorts:
        assert f'id="cohort-{c.code}"' in html
        assert c.name in html
    assert html.count('class="data designs"') == 2
    assert html.count('class="data oc"') == 2  # one OC table per cohort
    assert html.count('class="data grid ocgrid"') == 2  # one OC table per monitoring rule
    assert 'class="data grid"' in html
    assert "Enrol 9 patients. If 3 or fewer respond, stop for futility." in html
    assert "13/27" in html and "3/9" in html and "6/18" in html
    assert "Control Clin Trials. 1989;10(1):1-10" in html
    assert f"nakip {__version__}" in html
    assert report.protocol_version in html and report.protocol_date in html


def test_html_is_self_contained(rendered: RenderedReport) -> None:
    html = rendered.html.read_text(encoding="utf-8")
    assert "<link" not in html
    assert not re.search(r"""(src|href)=["'](https?:|file:|/)""", html)
    assert html.count('src="data:image/png;base64,') == len(rendered.figures)
    assert "<style>" in html and "@page" in html


def test_mismatch_is_loud_in_html() -> None:
    rep = build_design_report(protocol_with(planned={"r1": 2, "n1": 9, "r": 13, "n": 27}))
    html = render_design_html(rep)
    assert 'class="alert alert-error"' in html
    assert "MISMATCH" in html and "Planned (protocol)" in html


def test_no_alert_when_plans_match(rendered: RenderedReport) -> None:
    assert "alert-error" not in Path(rendered.html).read_text(encoding="utf-8").split("</style>")[1]

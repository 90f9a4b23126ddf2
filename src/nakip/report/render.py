"""Render a report (the design report, or a DSMB/final results report) to a self-contained
HTML page and an A4 PDF, plus figure PNGs.

Jinja2 fills the template (CSS and PNG figures inlined, so the HTML is one file that works
offline); WeasyPrint typesets the same HTML as A4 pages with running headers and page numbers.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from nakip.report.design_report import CohortDesign, DesignReport, DesignRow
from nakip.report.figures.design import cohort_figures, monitoring_figure
from nakip.report.figures.style import FigureImage
from nakip.report.trial_report.model import ResultsReport

__all__ = [
    "HTML_NAME",
    "PDF_NAME",
    "RenderedReport",
    "html_to_pdf",
    "render_design_html",
    "render_figures",
    "render_results_html",
    "write_design_report",
    "write_results_report",
]

HTML_NAME = "design-report.html"
PDF_NAME = "design-report.pdf"
TEMPLATE = "design_report.html.j2"
STYLESHEET = "design_report.css"
RESULTS_TEMPLATE = "results_report.html.j2"
RESULTS_STYLESHEET = "results_report.css"

_EVENT_NAMES = {"dlt": "dose-limiting toxicity", "feasibility_failure": "feasibility failure"}
_BADGES = {
    "match": "\u2713 matches protocol",
    "mismatch": "\u2717 MISMATCH",
    "absent": "not stated",
}


@dataclass(frozen=True)
class RenderedReport:
    """Paths of the files written by `write_design_report`."""

    html: Path
    pdf: Path | None
    figures: tuple[Path, ...]

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view (paths as strings)."""
        return {
            "html": str(self.html),
            "pdf": None if self.pdf is None else str(self.pdf),
            "figures": [str(p) for p in self.figures],
        }


def _templates_dir() -> Path:
    return Path(str(resources.files("nakip.report").joinpath("templates")))


def _g(value: float) -> str:
    return f"{value:g}"


def _pct(value: float) -> str:
    return f"{100 * value:.4g}%"


def _stage1(d: DesignRow) -> str:
    return f"{d.r1}/{d.n1}" if d.two_stage else "\u2013"


def _stage2(d: DesignRow) -> str:
    return f"{d.r}/{d.n}"


def _candidates(c: CohortDesign) -> list[DesignRow]:
    rows = [c.optimal, c.minimax]
    if c.single_stage is not None:
        rows.append(c.single_stage)
    if c.planned_check.status == "mismatch" and c.planned_check.planned is not None:
        rows.append(c.planned_check.planned)
    return rows


def _badge(status: str) -> Markup:
    return Markup('<span class="badge badge-{0}">{1}</span>').format(
        status, _BADGES.get(status, status)
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(_templates_dir())),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        g=_g,
        pct=_pct,
        stage1=_stage1,
        stage2=_stage2,
        candidates=_candidates,
        badge=_badge,
        b64=_b64,
        capitalize_first=lambda t: t[:1].upper() + t[1:],
        event_name=lambda e: _EVENT_NAMES.get(e, e.replace("_", " ")),
    )
    return env


def render_figures(report: DesignReport) -> dict[str, tuple[FigureImage, ...]]:
    """All figures keyed by cohort code, and by 'monitor-<key>' for each monitoring section.

    Cohorts with the same design and hypotheses share their (identical) drawings.
    """
    out: dict[str, tuple[FigureImage, ...]] = {}
    drawn: dict[tuple[object, ...], tuple[FigureImage, ...]] = {}
    for c in report.cohorts:
        key = (
            c.design_type,
            c.p0,
            c.p1,
            c.alpha,
            c.power,
            c.chosen.boundaries,
            c.optimal.boundaries,
            c.minimax.boundaries,
        )
        if key not in drawn:
            drawn[key] = cohort_figures(c)
        out[c.code] = tuple(
            replace(f, name=f"{c.code}-{f.name.split('-', 1)[1]}") for f in drawn[key]
        )
    for m in report.monitoring:
        out[f"monitor-{m.key}"] = (monitoring_figure(m),)
    return out


def render_design_html(
    report: DesignReport,
    figures: dict[str, tuple[FigureImage, ...]] | None = None,
) -> str:
    """The report as one self-contained HTML document (inline CSS, PNG figures as data URIs)."""
    env = _environment()
    css = (_templates_dir() / STYLESHEET).read_text(encoding="utf-8")
    return env.get_template(TEMPLATE).render(
        r=report,
        css=Markup(css),
        figures=figures if figures is not None else render_figures(report),
    )


def html_to_pdf(html: str) -> bytes:
    """Typeset the HTML as A4 pages with WeasyPrint (print media rules apply)."""
    from weasyprint import HTML  # imported late: it is slow to import and only needed here

    # WeasyPrint warns about CSS it ignores (e.g. screen-only properties); keep the CLI quiet.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html, base_url=str(_templates_dir())).write_pdf()


def _write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _write_files(
    out_dir: str | Path, stem: str, html: str, figures: Iterable[FigureImage], pdf: bool
) -> RenderedReport:
    """Write <stem>.html, <stem>.pdf (unless pdf=False) and fig-<name>.png into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig_paths = [_write(out / f"fig-{fig.name}.png", fig.png) for fig in figures]
    html_path = _write(out / f"{stem}.html", html)
    pdf_path = _write(out / f"{stem}.pdf", html_to_pdf(html)) if pdf else None
    return RenderedReport(html_path, pdf_path, tuple(fig_paths))


def write_design_report(
    report: DesignReport,
    out_dir: str | Path,
    *,
    pdf: bool = True,
) -> RenderedReport:
    """Write design-report.html, design-report.pdf and fig-*.png into out_dir (created).

    Raises OSError when the directory cannot be created or written.
    """
    figures = render_figures(report)
    html = render_design_html(report, figures)
    all_figs = [f for group in figures.values() for f in group]
    return _write_files(out_dir, HTML_NAME.removesuffix(".html"), html, all_figs, pdf)


def render_results_html(report: ResultsReport) -> str:
    """A DSMB or final report as one self-contained HTML document."""
    folder = _templates_dir()
    css = "\n".join(
        (folder / name).read_text(encoding="utf-8") for name in (STYLESHEET, RESULTS_STYLESHEET)
    )
    return _environment().get_template(RESULTS_TEMPLATE).render(r=report, css=Markup(css))


def write_results_report(
    report: ResultsReport, out_dir: str | Path, *, pdf: bool = True
) -> RenderedReport:
    """Write <kind>-report.html, <kind>-report.pdf and fig-*.png into out_dir (created).

    Raises OSError when the directory cannot be created or written.
    """
    html = render_results_html(report)
    return _write_files(out_dir, f"{report.kind}-report", html, report.figures, pdf)

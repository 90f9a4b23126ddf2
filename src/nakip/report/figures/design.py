"""Figures of the design report: power curves, PET/expected N and monitoring stop curves.

Each is returned as a `FigureImage` (PNG at 200 dpi): written to the output folder and embedded
(base64) in the HTML and the PDF.
"""

from __future__ import annotations

from matplotlib.axes import Axes

from nakip.report.design_report import CohortDesign, MonitoringSection
from nakip.report.figures.style import (
    BLUE,
    GREY,
    ORANGE,
    RED,
    FigureImage,
    figure_image,
    house_style,
    new_figure,
)

__all__ = ["cohort_figures", "monitoring_figure"]


def _mark_rates(ax: Axes, marks: dict[str, float]) -> None:
    """Dashed verticals at the named rates, labelled on a secondary top axis."""
    for value in marks.values():
        ax.axvline(value, color=GREY, lw=0.8, ls="--", zorder=1)
    top = ax.secondary_xaxis("top")
    top.set_xticks(list(marks.values()), [f"{k} = {v:g}" for k, v in marks.items()])
    top.tick_params(length=0, labelsize=7.5, labelcolor=GREY, pad=2)
    top.spines["top"].set_visible(False)


def _power_curve(c: CohortDesign) -> FigureImage:
    with house_style():
        fig = new_figure(6.4, 3.3)
        ax = fig.add_subplot()
        p = c.curve["p"]
        chosen = c.chosen
        ax.plot(p, c.curve["chosen_reject"], color=BLUE, lw=2.0, label=_design_name(c, "chosen"))
        other = "minimax" if c.design_type == "simon_optimal" else "optimal"
        if getattr(c, other).boundaries != chosen.boundaries:
            ax.plot(
                p,
                c.curve[f"{other}_reject"],
                color=ORANGE,
                lw=1.3,
                ls=(0, (4, 2)),
                label=_design_name(c, other),
            )
        _mark_rates(ax, {"p0": c.p0, "p1": c.p1})
        ax.axhline(c.alpha, color=RED, lw=0.7, ls=":")
        ax.axhline(c.power, color=RED, lw=0.7, ls=":")
        ax.text(
            0.995,
            c.alpha,
            f" \u03b1 = {c.alpha:g}",
            va="bottom",
            ha="right",
            fontsize=7.5,
            color=RED,
            transform=ax.get_yaxis_transform(),
        )
        ax.text(
            0.005,
            c.power,
            f"power = {c.power:g}",
            va="bottom",
            ha="left",
            fontsize=7.5,
            color=RED,
            transform=ax.get_yaxis_transform(),
        )
        ax.plot([c.p0, c.p1], [chosen.alpha, chosen.power], "o", color=BLUE, ms=4, zorder=3)
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.01, 1.01)
        ax.set_xlabel("True response rate p")
        ax.set_ylabel("P(declare promising)")
        ax.set_title("Power curve", loc="left", pad=14)
        ax.legend(loc="center right")
        fig.tight_layout()
        return figure_image(
            fig,
            f"{c.code}-power",
            "Probability of rejecting H0 (declaring the treatment promising) against the true "
            f"response rate; dashed vertical lines mark p0 = {c.p0:g} and p1 = {c.p1:g}, dotted "
            "horizontal lines the nominal alpha and power.",
        )


def _design_name(c: CohortDesign, key: str) -> str:
    row = c.chosen if key == "chosen" else getattr(c, key)
    rule = f"{row.r1}/{row.n1}, {row.r}/{row.n}" if row.two_stage else f">{row.r}/{row.n}"
    name = c.design_label if key == "chosen" else f"Simon {key}"
    return f"{name} ({rule})"


def _pet_en(c: CohortDesign) -> FigureImage:
    with house_style():
        fig = new_figure(6.4, 2.9)
        ax1, ax2 = fig.subplots(1, 2)
        p = c.curve["p"]
        other = "minimax" if c.design_type == "simon_optimal" else "optimal"
        show_alt = getattr(c, other).boundaries != c.chosen.boundaries
        for ax, key, ylabel, title in (
            (ax1, "pet", "PET", "Probability of early termination"),
            (ax2, "en", "Expected N", "Expected sample size"),
        ):
            ax.plot(
                p, c.curve[f"chosen_{key}"], color=BLUE, lw=2.0, label=_design_name(c, "chosen")
            )
            if show_alt:
                ax.plot(
                    p,
                    c.curve[f"{other}_{key}"],
                    color=ORANGE,
                    lw=1.3,
                    ls=(0, (4, 2)),
                    label=_design_name(c, other),
                )
            _mark_rates(ax, {"p0": c.p0, "p1": c.p1})
            ax.set_xlim(0, 1)
            ax.set_xlabel("True response rate p")
            ax.set_ylabel(ylabel)
            ax.set_title(title, loc="left", pad=14)
        ax1.set_ylim(-0.01, 1.01)
        top = max(c.chosen.n, getattr(c, other).n) if show_alt else c.chosen.n
        ax2.set_ylim(0, top * 1.08)
        handles, labels = ax1.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.02))
        fig.tight_layout(rect=(0, 0.08, 1, 1))
        return figure_image(
            fig,
            f"{c.code}-pet-en",
            "Probability of stopping after stage 1 (PET) and expected number of patients "
            "against the true response rate; dashed lines mark p0 and p1.",
        )


def cohort_figures(c: CohortDesign) -> tuple[FigureImage, ...]:
    """The power curve and the PET / expected-N figure of one cohort."""
    return (_power_curve(c), _pet_en(c))


def monitoring_figure(m: MonitoringSection) -> FigureImage:
    """Probability of stopping and expected number treated against the true event rate."""
    with house_style():
        fig = new_figure(6.4, 2.3)
        ax1, ax2 = fig.subplots(1, 2)
        rate = m.curve["rate"]
        ax1.plot(rate, m.curve["prob_stop"], color=RED, lw=2.0)
        ax2.plot(rate, m.curve["expected_n"], color=BLUE, lw=2.0)
        for ax in (ax1, ax2):
            _mark_rates(ax, {"limit": m.limit})
            ax.set_xlim(0, max(rate))
            ax.set_xlabel("True event rate")
        ax1.set_ylim(-0.01, 1.01)
        ax1.set_ylabel("P(stop)")
        ax1.set_title("Probability of stopping", loc="left", pad=14)
        ax2.set_ylim(0, m.nmax * 1.05)
        ax2.set_ylabel(f"Patients (maximum {m.nmax})")
        ax2.set_title("Expected number treated", loc="left", pad=14)
        fig.tight_layout()
        return figure_image(
            fig,
            f"monitor-{m.key}",
            f"Rule '{m.code}', {m.scope}: exact probability of stopping and expected number of "
            f"patients treated against the true event rate; the dashed line marks the limit "
            f"{m.limit:g}.",
        )

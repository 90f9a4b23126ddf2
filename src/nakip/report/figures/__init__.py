"""Figures of NAKIP's reports, as pure functions returning matplotlib Figures (Agg, no pyplot).

Split by concern: `design` (design report), `survival` (Kaplan-Meier, cumulative incidence),
`patients` (swimmer, MRD waterfall and spider), `safety` (AE heat map), `consort` (flow
diagram), `monitoring` (events against a stopping boundary). `style` renders to PNG or SVG.
Every function draws a "no data" figure for an empty input instead of failing.
"""

from nakip.report.figures.style import FigureImage, figure_image, no_data, to_png, to_svg

__all__ = ["FigureImage", "figure_image", "no_data", "to_png", "to_svg"]

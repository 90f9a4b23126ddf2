"""The mechanistic model: baseline equilibrium, talazoparib PK against the label, the
vectorised RK45 solution against LSODA per patient, and the trial's hypothesis in the model's
behaviour (talazoparib turns ligand-negative stem cells positive; without NK cells or without
talazoparib the leukaemia is controlled worse)."""

from __future__ import annotations

import numpy as np
import pytest

from nakip.protocol import load_protocol
from nakip.sim.model import (
    NS,
    STATES,
    Baseline,
    NKProducts,
    Schedule,
    _rhs,
    draw_parameters,
    initial_state,
    parameter_spec,
    simulate,
)

PROTO = load_protocol()
SCHEDULE = Schedule.from_protocol(PROTO)


def _patients(n: int, seed: int = 1, nk: bool = True) -> tuple[dict, Baseline, NKProducts]:
    rng = np.random.default_rng(seed)
    params = draw_parameters("overt", n, rng, potency=0.1)
    base = Baseline(
        rng.uniform(0.07, 0.19, n),
        rng.uniform(0.2, 1.4, n),
        rng.uniform(12, 80, n),
        rng.uniform(7.5, 10.5, n),
    )
    products = NKProducts(np.full((n, 2), nk), np.full((n, 2), 15e6), np.full((n, 2), 90.0))
    return params, base, products


def test_every_parameter_has_a_distribution_and_a_source_or_rationale() -> None:
    for name, spec in parameter_spec()["parameters"].items():
        for s in [spec] if "dist" in spec else [spec["overt"], spec["mrd"]]:
            assert s["dist"] in ("lognormal", "uniform", "normal", "fixed"), name
            assert s.get("source") or s.get("rationale"), name
            assert isinstance(s.get("assumption", False), bool), name


def test_baseline_is_an_equilibrium_of_the_untreated_model() -> None:
    """At day 1 with no drug, no NK cells and no lymphodepletion, normal marrow does not move
    and stem cells grow at the drawn net rate (switching in balance)."""
    params, base, _ = _patients(50)
    y0, derived = initial_state(params, base)
    dy = _rhs(0.0, y0.ravel(), params, derived, np.zeros(50), 0.0, 0.0).reshape(NS, -1)
    assert np.allclose(dy[STATES.index("normal")], 0.0, atol=1e-9)
    stem = np.exp(y0[0]) + np.exp(y0[1])
    stem_growth = (np.exp(y0[0]) * dy[0] + np.exp(y0[1]) * dy[1]) / stem
    assert np.allclose(stem_growth, params["stem_net_growth"], rtol=1e-6)
    # blasts at quasi-equilibrium with the stem cells
    blasts = np.exp(y0[2]) + np.exp(y0[3])
    blast_change = (np.exp(y0[2]) * dy[2] + np.exp(y0[3]) * dy[3]) / blasts
    assert np.allclose(blast_change, 0.0, atol=1e-9)


def test_talazoparib_steady_state_matches_the_label_average() -> None:
    """Talzenna label 12.3: CL/F 6.45 L/h, so 1 mg daily averages 1 mg / (6.45 L/h x 24 h) =
    6.46 ng/mL at steady state; the model (median parameters) reaches it within 1 %."""
    params, base, products = _patients(1)
    params = {**params, "talazoparib_clearance_l_h": np.array([6.45])}
    params["talazoparib_volume_l"] = np.array([420.0])
    course = simulate(params, base, products, SCHEDULE, np.random.default_rng(0))
    conc = course.reads["C2D1"][STATES.index("talazoparib")][0]
    assert conc == pytest.approx(1000.0 / (6.45 * 24.0), rel=0.01)


def test_rk45_agrees_with_the_stiff_lsoda_solver() -> None:
    params, base, products = _patients(12, seed=3)
    fast = simulate(params, base, products, SCHEDULE, np.random.default_rng(9))
    ref = simulate(params, base, products, SCHEDULE, np.random.default_rng(9), method="LSODA")
    for code in ("C1D15", "C2D1", "C4D1", "EOT"):
        a = np.log10(fast.leukaemic_share(code))
        r = np.log10(ref.leukaemic_share(code))
        assert np.allclose(a, r, atol=0.02), code
        for state in ("anc", "platelets", "talazoparib", "nk"):
            j = STATES.index(state)
            assert np.allclose(fast.reads[code][j], ref.reads[code][j], rtol=2e-3, atol=1e-3)


def test_talazoparib_makes_stem_cells_ligand_positive_and_nk_cells_kill_them() -> None:
    params, base, products = _patients(300, seed=5)
    rng = np.random.default_rng
    both = simulate(params, base, products, SCHEDULE, rng(1))
    no_tal = simulate(params, base, products, SCHEDULE, rng(1), talazoparib=False)
    _, _, failed = _patients(300, seed=5, nk=False)
    no_nk = simulate(params, base, failed, SCHEDULE, rng(1))

    def positive_stem_share(course, code):  # noqa: ANN001, ANN202
        s = np.exp(course.reads[code][:2])
        return s[1] / s.sum(axis=0)

    # before the first NK infusion, talazoparib alone raises the ligand-positive stem share
    assert np.all(positive_stem_share(both, "C1D8") > positive_stem_share(no_tal, "C1D8"))
    eot = {k: np.median(c.leukaemic_share("EOT")) for k, c in
           (("both", both), ("no_tal", no_tal), ("no_nk", no_nk))}  # fmt: skip
    assert eot["both"] < eot["no_tal"] / 10
    assert eot["both"] < eot["no_nk"] / 10

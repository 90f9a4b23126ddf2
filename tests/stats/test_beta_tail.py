"""The pure-Python Beta upper tail against scipy.stats.beta.sf (the established reference)."""

from __future__ import annotations

import itertools

import pytest
from scipy import stats

from nakip.stats.beta_tail import beta_sf

_SHAPES = (0.05, 0.3, 0.7, 1.0, 1.5, 2.3, 5.0, 10.0, 27.3, 60.0, 150.0, 400.0)
_POINTS = (1e-6, 0.01, 0.05, 0.1, 0.2, 0.3, 0.33, 0.5, 0.6, 0.7, 0.9, 0.99, 1 - 1e-6)


@pytest.mark.parametrize(("a", "b"), list(itertools.product(_SHAPES, repeat=2)))
def test_beta_sf_agrees_with_scipy_to_1e_12(a: float, b: float) -> None:
    for x in _POINTS:
        assert beta_sf(x, a, b) == pytest.approx(stats.beta.sf(x, a, b), abs=1e-12, rel=0)


def test_posterior_tails_of_the_monitoring_rules_agree_with_scipy() -> None:
    # Every Beta(a + x, b + n - x) tail a monitor with nmax 60 can ask for, near the cut-offs.
    for a, b, limit in ((1.0, 1.0, 0.3), (0.3, 0.7, 0.3), (0.5, 4.5, 0.2), (2.0, 8.0, 0.35)):
        for n in range(1, 61):
            for x in range(n + 1):
                expected = stats.beta.sf(limit, a + x, b + n - x)
                assert beta_sf(limit, a + x, b + n - x) == pytest.approx(expected, abs=1e-12)


def test_beta_sf_ends_and_symmetry() -> None:
    assert beta_sf(0.0, 2.0, 3.0) == 1.0
    assert beta_sf(1.0, 2.0, 3.0) == 0.0
    assert beta_sf(0.5, 4.0, 4.0) == pytest.approx(0.5, abs=1e-15)
    # Beta(1, 1) is uniform: Pr(X > x) = 1 - x.
    assert beta_sf(0.3, 1.0, 1.0) == pytest.approx(0.7, abs=1e-15)


@pytest.mark.parametrize(("a", "b"), [(0.0, 1.0), (1.0, -2.0)])
def test_beta_sf_rejects_non_positive_shapes(a: float, b: float) -> None:
    with pytest.raises(ValueError, match="Beta parameters"):
        beta_sf(0.5, a, b)

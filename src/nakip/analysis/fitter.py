"""The common base of the analysis fitters (lifelines shape: construct, fit(data), attributes)."""

from __future__ import annotations


class Fitter:
    """Results exist only after `fit()`; reading them before is a clear error, not empty data."""

    _fitted: bool = False

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise RuntimeError(f"{type(self).__name__}: call fit() first")

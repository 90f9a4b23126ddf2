"""Test-suite wide settings: Hypothesis without wall-clock deadlines, derandomised in CI.

Property tests check correctness, not speed (speed lives in bench/); a shared 2-core CI machine
must not turn a slow example into a failure, and CI runs must be reproducible.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("nakip", deadline=None, print_blob=True)
settings.register_profile("ci", parent=settings.get_profile("nakip"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "nakip")

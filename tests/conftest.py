"""Hypothesis profiles: derandomised (and without a database) in CI, random on a developer's machine."""

import os

from hypothesis import HealthCheck, settings
from localserver import serve  # noqa: F401  (the fixture, for every test)

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A long hunt for counterexamples: HYPOTHESIS_PROFILE=thorough pytest tests/nn/test_gradients.py
settings.register_profile(
    "thorough", deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

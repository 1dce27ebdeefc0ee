import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from hypothesis import settings

# CI runs a fixed set of examples (no flaky surprises); locally hypothesis explores new ones each run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from hypothesis import settings

# CI runs a fixed set of examples (no flaky surprises); locally hypothesis explores new ones each run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _drop_stale_numba_caches():
    """Numba keys a kernel's disk cache to the timestamp of the kernel's own file only: after an
    edit of a helper that the kernels import from another file (``_numba_math.py``,
    ``_numba_product.py``), they would go on running their compiled copy of the old helper, and a
    test of the edit would test nothing. Cache files older than the newest helper are dropped (the
    kernels compile again, once)."""
    from pathlib import Path

    kernels = Path(__file__).resolve().parent.parent / "lstmx" / "_kernels"
    helpers = [kernels / "_numba_math.py", kernels / "_numba_product.py"]
    if not all(h.exists() for h in helpers):
        return
    newest = max(h.stat().st_mtime for h in helpers)
    for cache in (kernels / "__pycache__").glob("*.nb[ic]"):
        if cache.stat().st_mtime < newest:
            cache.unlink(missing_ok=True)


_drop_stale_numba_caches()

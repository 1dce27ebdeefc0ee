"""The compiled kernels' pool of work arrays: what it holds, its bound, and letting it go.

The Cython and Numba kernels take their large work arrays (``hs``, ``gates``, ``dgates``, the packed
matrices) from a pool that hands an array out again once nothing refers to it, which saves the page
faults of a fresh array at every call. The pool holds at most ``limit()`` bytes (256 MiB unless
``set_limit`` changed it), forgetting the least recently used shapes first.

>>> import lstmx
>>> previous = lstmx.workspace.set_limit(64 << 20)     # hold at most 64 MiB of work arrays
>>> lstmx.workspace.clear()                            # let them all go (e.g. between two phases)
>>> lstmx.workspace.nbytes()
0
>>> _ = lstmx.workspace.set_limit(previous)
"""
from ._kernels._workspace import DEFAULT_LIMIT, clear, limit, nbytes, set_limit

__all__ = ["clear", "nbytes", "limit", "set_limit", "DEFAULT_LIMIT"]

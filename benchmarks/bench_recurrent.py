"""The recurrent-layer benchmark: the same as ``lstmx bench`` (see ``lstmx bench --help``).

Run it with the OPENBLAS variables unset in that command alone, e.g.::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_recurrent.py --torch --plot bench.png
"""
import sys

from lstmx.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))

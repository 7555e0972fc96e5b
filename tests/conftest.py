import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

RTOL = 1e-12  # the one tolerance for compiled kernels against the naive references


def pytest_configure(config):
    config.addinivalue_line("markers", "nojit: also run with NUMBA_DISABLE_JIT=1 by .ci/run (the core engine tests, "
                                       "on small sizes: interpreter mode must give the compiled kernels' results)")

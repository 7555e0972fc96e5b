import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

RTOL = 1e-12  # the one tolerance for compiled kernels against the naive references


def pytest_configure(config):
    config.addinivalue_line("markers", "nojit: also run with NUMBA_DISABLE_JIT=1 by .ci/run (the core engine tests, "
                                       "on small sizes: interpreter mode must give the compiled kernels' results)")


@pytest.fixture
def sigint_default():
    """Ctrl-C as under an interactive shell: SIGINT raises KeyboardInterrupt in this process and child
    processes start with SIGINT's default action, also when the suite itself was started with SIGINT
    ignored (``pytest &`` in a non-interactive shell, which ignores SIGINT and SIGQUIT in the
    background job and its children: the tests that send SIGINT would wait for ever)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)

"""Session fixtures with cached scipy reference solutions (see ``reference.py``)."""

import signal

import pytest
from reference import _cached_reference


def pytest_configure(config):
    """A test process started in the background of a non-interactive shell inherits SIGINT *ignored* (POSIX), and
    Python then keeps it ignored: Ctrl-C could not reach the Ctrl-C tests (nor their subprocesses, which inherit
    the "ignore"). The suite runs as a terminal's foreground job would, with Python's own handler."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _ctrl_c_reaches_the_tests():
    """Every test starts and ends with Python's own SIGINT handler: a handler left behind (or an import that
    ignores SIGINT) would make the Ctrl-C tests that follow run their long jobs to the end and fail late."""
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, \
        "SIGINT's handler was changed before this test (by an import or an earlier test)"
    yield
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "this test left SIGINT's handler changed"


@pytest.fixture(scope="session")
def bursting_reference():
    """DOP853 (rtol 1e-10) spike times and final state of the bursting neuron, I_app = -2, t in [0, 10000]."""
    return _cached_reference("bursting", 10000.0, -2.0)


@pytest.fixture(scope="session")
def reference():
    """``reference(name, t_end, i_app)`` -> cached DOP853 spike times and final state."""
    return _cached_reference

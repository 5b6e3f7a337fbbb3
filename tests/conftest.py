"""Session fixtures with cached scipy reference solutions (see ``reference.py``)."""

import pytest
from reference import _cached_reference


@pytest.fixture(scope="session")
def bursting_reference():
    """DOP853 (rtol 1e-10) spike times and final state of the bursting neuron, I_app = -2, t in [0, 10000]."""
    return _cached_reference("bursting", 10000.0, -2.0)


@pytest.fixture(scope="session")
def reference():
    """``reference(name, t_end, i_app)`` -> cached DOP853 spike times and final state."""
    return _cached_reference

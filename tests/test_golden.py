"""Results, spike times and stored studies are bit-identical to those of the code before issue 19's redesign.

``tests/golden/before_issue19.npz`` was written by ``tests/golden/record.py`` running the code of commit 21fe705
(the last before the redesign) on this project's machine; each case below runs the same public calls with the
code of today. Bits are compared where numba compiles for the same CPU as the recording did (LLVM's code for
another instruction set may round differently, which no refactoring causes); elsewhere the thinned arrays are
compared to 1e-9 relative.
"""

from pathlib import Path

import numpy as np
import pytest

from golden.record import cases, digest, machine, thin

RECORDED = np.load(Path(__file__).parent / "golden" / "before_issue19.npz")
CASES = dict(cases())
SAME_CPU = str(RECORDED["#machine"]) == machine()


def test_every_recorded_case_is_still_run_and_every_case_was_recorded():
    recorded = {key.split("#")[0] for key in RECORDED.files if not key.startswith("#")}
    assert recorded == set(CASES)
    assert len(CASES) > 60


@pytest.mark.parametrize("name", sorted(CASES))
def test_results_are_those_of_the_code_before_the_redesign(name):
    from golden.record import _plain

    arrays = {key: _plain(a) for key, a in CASES[name]().items()}
    assert sorted(arrays) == sorted(key.split("#")[1] for key in RECORDED.files
                                    if key.startswith(name + "#") and not key.endswith("#sha256"))
    for key, a in arrays.items():  # where they part, if they do
        before, now = RECORDED[f"{name}#{key}"], thin(a)
        assert before.shape == now.shape, (key, before.shape, now.shape)
        if now.dtype.kind == "f" and not SAME_CPU:
            np.testing.assert_allclose(now, before, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=key)
        elif now.dtype.kind == "f":
            np.testing.assert_array_equal(now, before, err_msg=key)
        else:
            assert np.array_equal(now, before), key
    if SAME_CPU:
        assert digest(arrays) == str(RECORDED[f"{name}#sha256"])

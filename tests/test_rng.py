"""The kernels' counter-based generator (Philox4x64-10) against numpy's, and its normal deviates.

numpy's ``Philox`` bit generator is an independent implementation of the same algorithm: its
``random_raw`` output for key ``k`` and counter ``c`` is the block of counter ``c + 1`` (it
increments before encrypting, carrying into the next word).
"""

import numpy as np
import pytest
from numba import njit
from scipy import stats

from neuromorph._kernels import rng

U64 = np.uint64
MAX = 2 ** 64 - 1


@pytest.mark.parametrize("key, counter", [
    ((0, 0), (0, 0, 0, 0)),
    ((12345, 678), (5, 0, 0, 0)),
    ((MAX, 2 ** 63 + 17), (123456789, 42, 7, MAX)),
    ((3, 1), (MAX, 0, 0, 0)),  # the next counter carries: (0, 1, 0, 0)
])
def test_philox_blocks_are_numpys(key, counter):
    ref = np.random.Philox(key=np.array(key, dtype=U64), counter=np.array(counter, dtype=U64)).random_raw(12)
    c = np.array(counter, dtype=object)
    rows = []
    for _ in range(3):  # numpy's increment, with carries, written out in Python integers
        for w in range(4):
            c[w] = (c[w] + 1) % 2 ** 64
            if c[w] != 0:
                break
        rows.append([int(x) for x in c])
    mine = rng.raw(np.array(rows, dtype=U64), U64(key[0]), U64(key[1]))
    np.testing.assert_array_equal(mine.ravel(), ref)


@njit
def _uniforms(seed, stream, step, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = rng.uniform(seed, stream, step, i)
    return out


def test_uniforms_are_numpys_doubles():
    """Index i of a step is output i % 4 of block i // 4, as numpy's Generator.random reads it."""
    seed, stream, step = 2026, 9, 1000
    mine = _uniforms(seed, stream, step, 8)
    for block in range(2):
        gen = np.random.Generator(np.random.Philox(key=np.array([seed, stream], dtype=U64),
                                                   counter=np.array([step - 1, block, 0, 0], dtype=U64)))
        np.testing.assert_array_equal(mine[4 * block:4 * block + 4], gen.random(4))


def test_normals_are_standard_normal():
    z = rng.normal_table(7, 0, 0, 50_000, 4).ravel()
    n = z.size
    assert abs(z.mean()) < 5 / np.sqrt(n)
    assert abs(z.var() - 1.0) < 5 * np.sqrt(2.0 / n)
    assert abs(stats.kurtosis(z)) < 5 * np.sqrt(24.0 / n)
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_normals_are_uncorrelated_across_sources_steps_streams_and_seeds():
    n = 40_000
    a = rng.normal_table(1, 0, 0, n, 4)
    others = [a[:, 1], a[:, 2], a[:, 3], a[1:, 0], rng.normal_table(1, 1, 0, n, 1)[:, 0],
              rng.normal_table(2, 0, 0, n, 1)[:, 0]]
    for other in others:
        m = min(other.size, n)
        r = np.corrcoef(a[:m, 0], other[:m])[0, 1]
        assert abs(r) < 5 / np.sqrt(m), r


def test_a_number_depends_only_on_its_coordinates():
    """What makes results independent of threads and chunking: drawing in another order or
    range gives the same bits for the same (seed, stream, step, source)."""
    whole = rng.normal_table(11, 3, 100, 64, 6)
    part = rng.normal_table(11, 3, 132, 32, 6)
    np.testing.assert_array_equal(whole[32:], part)
    assert not np.array_equal(whole, rng.normal_table(12, 3, 100, 64, 6))
    assert not np.array_equal(whole, rng.normal_table(11, 4, 100, 64, 6))


@njit
def _one_by_one(seed, stream, step0, n_steps, n_sources):
    out = np.empty((n_steps, n_sources))
    for i in range(n_steps):
        for j in range(n_sources):
            out[i, j] = rng.normal(seed, stream, step0 + i, j)
    return out


def test_a_block_of_four_normals_is_the_four_single_normals():
    np.testing.assert_array_equal(rng.normal_table(5, 2, 10, 200, 7), _one_by_one(5, 2, 10, 200, 7))

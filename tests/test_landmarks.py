"""``pose.landmarks.stack_rows`` is ``np.stack`` for rows of one shape (issue 14: a
recording's poses are stacked per block, and ``np.stack``'s checks cost 4 times the copy)."""

from __future__ import annotations

import numpy as np
import pytest

from pose.landmarks import stack_rows


@pytest.mark.parametrize("shape", [(33, 2), (33, 3), (33,), (3,)])
def test_rows_stack_as_numpy_stacks_them(shape):
    rng = np.random.default_rng(len(shape))
    block = rng.normal(size=(40, *shape))
    block[3] = np.nan
    rows = [block[i] for i in range(0, 40, 2)]  # views into a larger array
    rows[5] = rows[5].astype(np.float32)  # a row at the store's precision among them
    got = stack_rows(rows)
    want = np.stack(rows)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.array_equal(got, want, equal_nan=True)
    assert not np.shares_memory(got, block)


def test_rows_of_different_shapes_or_none_are_refused():
    with pytest.raises(ValueError):
        stack_rows([np.zeros((33, 2)), np.zeros((34, 2))])
    with pytest.raises(ValueError):
        stack_rows([np.zeros((33, 2)), np.zeros((33, 3))])
    with pytest.raises(ValueError):
        stack_rows([])

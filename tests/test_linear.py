"""The one-vs-rest SVM solver: separates, is deterministic, and a start is a prior."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from feedclass.linear import fit_one_vs_rest


def _blobs(n: int = 300, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.random((n, 20)) * 0.3
    X[np.arange(n), y] += 1.0  # feature c marks class c
    return sp.csr_matrix(X), y


def test_separates_classes_and_is_deterministic() -> None:
    X, y = _blobs()
    coef, b, epochs = fit_one_vs_rest(X, y, 3, np.ones(len(y)), n_threads=2)
    assert (np.argmax(X @ coef.T + b, axis=1) == y).mean() > 0.98
    again = fit_one_vs_rest(X, y, 3, np.ones(len(y)), n_threads=1)
    np.testing.assert_array_equal(coef, again[0])
    assert np.all(epochs >= 1)


def test_start_is_a_prior_that_tiny_costs_keep() -> None:
    X, y = _blobs()
    start = np.random.default_rng(1).normal(size=(3, X.shape[1] + 1))
    coef, b, _ = fit_one_vs_rest(X, y, 3, np.full(len(y), 1e-9), start=start)
    # With (almost) no cost for errors the solution stays at the prior.
    np.testing.assert_allclose(coef, start[:, :-1], atol=1e-6)
    np.testing.assert_allclose(b, start[:, -1], atol=1e-6)


def test_sample_cost_moves_the_boundary() -> None:
    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]]))
    y = np.array([0, 1, 1])
    light = fit_one_vs_rest(X, y, 2, np.array([1.0, 1.0, 0.01]))
    heavy = fit_one_vs_rest(X, y, 2, np.array([1.0, 1.0, 100.0]))
    row = X[2] @ heavy[0].T + heavy[1]
    assert int(np.argmax(row)) == 1
    assert (X[2] @ light[0].T + light[1])[0, 1] < row[0, 1]

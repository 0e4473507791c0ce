"""The linear solver behind :class:`feedclass.model.TopicModel`: one-vs-rest L2-loss SVMs.

Dual coordinate descent (Hsieh et al. 2008, the algorithm of liblinear's default
``LinearSVC`` solver) for the squared-hinge SVM, compiled with numba, one binary problem per
thread. Why our own and not ``LinearSVC``:

- speed: liblinear solves the topics one after another on one core and, at scikit-learn's
  ``tol=1e-4``, runs hundreds of passes that no longer change a prediction; here the topics
  run on every core and stop at a looser, measured tolerance (see
  ``benchmarks/bench_learning.py``);
- learning from corrections: the problem solved is
  ``min_w 1/2 ||w - w0||^2 + sum_i C_i max(0, 1 - y_i w.x_i)^2``, so a start ``w0`` (the
  weights of a trained model) is a prior that keeps the new weights near the old ones, and
  ``C_i`` carries class and sample weights. With ``w0 = 0`` it is the plain SVM.

The intercept is the weight of a constant feature of value 1, regularised like the others
(liblinear's ``intercept_scaling=1``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from numba import njit

__all__ = ["fit_one_vs_rest"]


@njit(cache=True, nogil=True)
def _dual_cd(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    sqnorm: np.ndarray,
    sign: np.ndarray,
    cost: np.ndarray,
    w: np.ndarray,
    max_epochs: int,
    tol: float,
    seed: int,
) -> int:
    """Solve one binary problem in place in ``w`` (last entry: the intercept); return passes."""
    n = indptr.size - 1
    nf = w.size - 1
    alpha = np.zeros(n)
    diag = 0.5 / cost
    qii = sqnorm + 1.0 + diag
    order = np.arange(n)
    active = n
    # Shrinking as in liblinear: a sample at alpha=0 whose gradient exceeds the largest
    # projected gradient of the last pass is left out until the next full check.
    pg_max_old = np.inf
    state = np.uint64(seed * 2654435761 + 1)
    epochs = 0
    for _ in range(max_epochs):
        epochs += 1
        # Fisher-Yates shuffle of the active samples with a xorshift generator: deterministic
        # for a seed whatever the thread.
        for j in range(active - 1, 0, -1):
            state ^= state << np.uint64(13)
            state ^= state >> np.uint64(7)
            state ^= state << np.uint64(17)
            k = int(state % np.uint64(j + 1))
            order[j], order[k] = order[k], order[j]
        pg_max = -np.inf
        pg_min = np.inf
        s = 0
        while s < active:
            i = order[s]
            yi = sign[i]
            g = w[nf]
            for p in range(indptr[i], indptr[i + 1]):
                g += w[indices[p]] * data[p]
            g = g * yi - 1.0 + alpha[i] * diag[i]
            pg = 0.0
            if alpha[i] == 0.0:
                if g > pg_max_old:
                    active -= 1
                    order[s], order[active] = order[active], order[s]
                    continue
                if g < 0.0:
                    pg = g
            else:
                pg = g
            pg_max = max(pg_max, pg)
            pg_min = min(pg_min, pg)
            if pg != 0.0:
                old = alpha[i]
                alpha[i] = max(old - g / qii[i], 0.0)
                d = (alpha[i] - old) * yi
                for p in range(indptr[i], indptr[i + 1]):
                    w[indices[p]] += d * data[p]
                w[nf] += d
            s += 1
        if pg_max - pg_min <= tol:
            if active == n:
                break
            # Converged on the active set: check every sample once more before stopping.
            active = n
            pg_max_old = np.inf
            continue
        pg_max_old = pg_max if pg_max > 0.0 else np.inf
    return epochs


def fit_one_vs_rest(
    X: sp.csr_matrix,
    y_idx: np.ndarray,
    n_classes: int,
    cost: np.ndarray,
    *,
    class_cost: np.ndarray | None = None,
    start: np.ndarray | None = None,
    max_epochs: int = 100,
    tol: float = 0.1,
    seed: int = 0,
    n_threads: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One L2-loss SVM per class (that class against the rest), by dual coordinate descent.

    Parameters
    ----------
    X : scipy.sparse.csr_matrix of shape (n_samples, n_features)
        Rows of features.
    y_idx : ndarray of int, shape (n_samples,)
        Class index of each row, in ``[0, n_classes)``.
    n_classes : int
        Number of classes; one problem is solved per class.
    cost : ndarray of shape (n_samples,)
        ``C`` of each row (regularisation times its sample weight).
    class_cost : ndarray of shape (n_classes,), optional
        Extra factor on the cost of the rows of each class (class weights).
    start : ndarray of shape (n_classes, n_features + 1), optional
        Starting weights, intercept last: the prior the solution is pulled towards.
    max_epochs : int
        Passes over the data at most, per class.
    tol : float
        Stop when the projected gradients of a full pass span less than this (liblinear's
        ``eps``).
    seed : int
        Seed of the sample order.
    n_threads : int
        Classes solved at once.

    Returns
    -------
    coef : ndarray of shape (n_classes, n_features)
    intercept : ndarray of shape (n_classes,)
    epochs : ndarray of int, shape (n_classes,)
        Passes each problem took (``max_epochs`` when it stopped before converging).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> X = sp.csr_matrix(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]]))
    >>> coef, b, _ = fit_one_vs_rest(X, np.array([0, 0, 1, 1]), 2, np.ones(4))
    >>> np.argmax(X @ coef.T + b, axis=1).tolist()
    [0, 0, 1, 1]
    """
    X = sp.csr_matrix(X)
    nf = X.shape[1]
    indptr = X.indptr.astype(np.int64)
    indices = X.indices.astype(np.int64)
    data = X.data.astype(np.float64)
    sqnorm = np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
    y_idx = np.asarray(y_idx, dtype=np.int64)
    cost = np.asarray(cost, dtype=np.float64)
    if class_cost is not None:
        cost = cost * np.asarray(class_cost, dtype=np.float64)[y_idx]
    if start is None:
        weights = np.zeros((n_classes, nf + 1))
    else:
        weights = np.array(start, dtype=np.float64, order="C", copy=True)
        if weights.shape != (n_classes, nf + 1):
            raise ValueError(
                f"start must have shape ({n_classes}, {nf + 1}); got {weights.shape} instead"
            )
    epochs = np.zeros(n_classes, dtype=np.int64)

    def solve(c: int) -> None:
        sign = np.where(y_idx == c, 1.0, -1.0)
        epochs[c] = _dual_cd(
            indptr, indices, data, sqnorm, sign, cost, weights[c], max_epochs, tol, seed + c
        )

    if n_threads <= 1 or n_classes == 1:
        for c in range(n_classes):
            solve(c)
    else:
        with ThreadPoolExecutor(min(n_threads, n_classes)) as pool:
            list(pool.map(solve, range(n_classes)))
    return weights[:, :nf], weights[:, nf].copy(), epochs

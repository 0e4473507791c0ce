"""Calibration of SVM margins: a softmax temperature and per-topic offsets, fitted on
held-out scores.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CALIBRATION_METHODS",
    "calibrated_proba",
    "fit_smoothed_temperature",
    "fit_temperature",
    "fit_topic_offsets",
    "fit_vector_scaling",
    "softmax",
]

#: How held-out scores become probabilities: "temperature" = one softmax temperature;
#: "vector" = a temperature and a bias per topic, fitted together by log loss (the bias moves
#: the topic shares towards those of the held-out rows, e.g. today's news).
#: "smoothed" = a temperature and a share of the uniform distribution mixed in, fitted together
#: (it caps the confidence of the surest predictions, which one temperature cannot do without
#: flattening the rest).
CALIBRATION_METHODS = ("temperature", "vector", "smoothed")


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``scores`` (changes the array in place and returns it)."""
    scores = scores - scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def calibrated_proba(scores: np.ndarray, temperature: float, smoothing: float = 0.0) -> np.ndarray:
    """Probabilities from decision scores: ``(1 - smoothing) * softmax(scores / temperature)
    + smoothing / n_classes`` (float64; rows sum to 1). The one formula of the model and the
    scorer.

    Examples
    --------
    >>> calibrated_proba(np.array([[2.0, 0.0]]), 1.0, 0.1).round(3).tolist()
    [[0.843, 0.157]]
    """
    proba = softmax(np.asarray(scores, dtype=np.float64) / temperature)
    if smoothing:
        proba *= 1.0 - smoothing
        proba += smoothing / proba.shape[1]
    return proba


def _macro_f1(y_idx: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    tp = np.bincount(y_idx[pred == y_idx], minlength=n_classes)
    fp = np.bincount(pred, minlength=n_classes) - tp
    fn = np.bincount(y_idx, minlength=n_classes) - tp
    denom = np.maximum(2 * tp + fp + fn, 1)
    return float(np.mean(2 * tp / denom))


def fit_topic_offsets(scores: np.ndarray, y_idx: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Per-topic offsets to the SVM margins that maximise held-out macro-F1 plus accuracy.

    Why: one-vs-rest margins of rare or diffuse topics (ecology, society) are too low, so they
    lose recall to the big topics; class weights only partly fix that. Coordinate ascent over
    a small grid, on out-of-fold scores only, so the outer validation stays honest.
    """
    n_classes = scores.shape[1]
    bias = np.zeros(n_classes)
    grid = np.linspace(-0.3, 0.3, 25)

    def objective(b: np.ndarray) -> float:
        pred = np.argmax(scores + b, axis=1)
        return _macro_f1(y_idx, pred, n_classes) + float(np.mean(pred == y_idx))

    best = objective(bias)
    for _ in range(rounds):
        improved = False
        for c in range(n_classes):
            for delta in grid:
                trial = bias.copy()
                trial[c] = delta
                value = objective(trial)
                if value > best + 1e-9:
                    best, bias, improved = value, trial, True
        if not improved:
            break
    return bias


def fit_temperature(scores: np.ndarray, y_idx: np.ndarray) -> float:
    """The temperature that minimises log loss of held-out scores (golden-section search)."""

    def nll(t: float) -> float:
        p = softmax(scores / t)
        return float(-np.log(np.clip(p[np.arange(len(y_idx)), y_idx], 1e-12, None)).mean())

    lo, hi = np.log(0.005), np.log(20.0)
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(np.exp(a)), nll(np.exp(b))
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(np.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(np.exp(b))
    return float(np.exp((lo + hi) / 2))


def fit_vector_scaling(scores: np.ndarray, y_idx: np.ndarray) -> tuple[float, np.ndarray]:
    """A temperature ``t`` and per-topic biases ``b`` minimising the log loss of
    ``softmax(scores / t + b)`` on held-out scores.

    Why: one temperature fixes how sure the model is, not which topics it favours; held-out
    rows of today's news come in other topic shares than the 2013-15 headlines the weights
    learned from. The biases carry a unit Gaussian prior (an L2 penalty of ``|b|^2 / 2n``), so a
    topic with few held-out rows keeps a bias near 0, and a topic with none keeps exactly 0: the
    biases of the topics that have rows are held to mean 0 (else they would all rise together to
    push down the absent topics, by more the more rows there are). The model folds ``t * b``
    into its intercepts, so a file stores no more than a temperature.

    Parameters
    ----------
    scores : ndarray of shape (n, n_classes)
        Held-out decision scores.
    y_idx : ndarray of int, shape (n,)
        Their topics, as column indices.

    Returns
    -------
    (float, ndarray of shape (n_classes,))
        The temperature and the biases (in probability-logit units; mean 0 over the topics
        with held-out rows, exactly 0 for the others).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 600)
    >>> s = rng.normal(size=(600, 3)) + 2.0 * np.eye(3)[y] + np.array([0.0, 0.0, 1.0])
    >>> t, b = fit_vector_scaling(s, y)
    >>> bool(b[2] < b[0] and b[2] < b[1])  # the topic scored too high is pulled down
    True
    """
    from scipy.optimize import minimize  # fit-time only

    scores = np.asarray(scores, dtype=np.float64)
    n, k = scores.shape
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y_idx] = 1.0
    t0 = fit_temperature(scores.copy(), y_idx)

    present = np.flatnonzero(onehot.any(axis=0))

    def biases(v: np.ndarray) -> np.ndarray:
        b = np.zeros(k)
        b[present] = v - v.mean()
        return b

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = theta[0], biases(theta[1:])  # a = log(1 / t)
        z = scores * np.exp(a) + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -float((logp * onehot).sum()) / n + 0.5 * float(b @ b) / n
        d = (np.exp(logp) - onehot) / n
        g = (d.sum(axis=0) + b / n)[present]
        grad = np.concatenate([[float((d * scores).sum() * np.exp(a))], g - g.mean()])
        return value, grad

    start = np.concatenate([[-np.log(t0)], np.zeros(present.size)])
    res = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    theta = res.x if np.all(np.isfinite(res.x)) else start
    return float(np.exp(-theta[0])), biases(theta[1:])


def fit_smoothed_temperature(scores: np.ndarray, y_idx: np.ndarray) -> tuple[float, float]:
    """A temperature and a uniform share (``smoothing``, 0 to 0.5) minimising the held-out log
    loss of :func:`calibrated_proba`.

    Why: with one temperature the surest predictions (most rows of a feed) keep a confidence
    the held-out rows do not bear out, since fitting the temperature to them would flatten the
    uncertain ones; a uniform share lowers a confidence near 1 and barely moves one near 0.5.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 3000)
    >>> s = 6.0 * np.eye(3)[y] + rng.normal(size=(3000, 3))
    >>> flip = rng.random(3000) < 0.05  # sure but wrong: label noise the scores cannot see
    >>> y[flip] = (y[flip] + 1) % 3
    >>> t, share = fit_smoothed_temperature(s, y)
    >>> bool(0.03 < share < 0.12)
    True
    """
    from scipy.optimize import minimize  # fit-time only

    scores = np.asarray(scores, dtype=np.float64)
    rows = np.arange(len(y_idx))

    def nll(theta: np.ndarray) -> float:
        p = calibrated_proba(scores, float(np.exp(theta[0])), float(theta[1]))
        return float(-np.log(np.clip(p[rows, y_idx], 1e-12, None)).mean())

    t0 = fit_temperature(scores.copy(), y_idx)
    start = np.array([np.log(t0), 0.0])
    res = minimize(
        nll,
        start,
        method="L-BFGS-B",
        bounds=[(np.log(0.005), np.log(20.0)), (0.0, 0.5)],
        options={"maxiter": 200},
    )
    theta = res.x if np.all(np.isfinite(res.x)) and res.fun <= nll(start) else start
    return float(np.exp(theta[0])), float(theta[1])

"""Calibration fits: temperature, vector scaling (per-topic biases), smoothing."""

from __future__ import annotations

import numpy as np
import pytest

from feedclass.calibration import fit_temperature, fit_vector_scaling


def _held_out(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scores of 4 topics whose held-out rows hold topics 0-2 only (topic 3 has none)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    s = rng.normal(size=(n, 4)) + 2.0 * np.eye(4)[y]
    return s, y


@pytest.mark.parametrize("n", [100, 10_000])
def test_vector_scaling_leaves_a_topic_without_held_out_rows_at_zero(n: int) -> None:
    # Used to push such a topic's bias down further the more rows there were (-1.59 at 10k).
    s, y = _held_out(n)
    t, b = fit_vector_scaling(s, y)
    assert b[3] == 0.0
    assert abs(b[:3].mean()) < 1e-9
    assert np.all(np.abs(b[:3]) < 0.5)
    assert 0.1 < t < 10


def test_vector_scaling_still_corrects_a_topic_scored_too_high() -> None:
    s, y = _held_out(3000, seed=1)
    s[:, 2] += 1.0
    _, b = fit_vector_scaling(s, y)
    assert b[2] < b[0] - 0.3 and b[2] < b[1] - 0.3
    assert b[3] == 0.0


def test_vector_scaling_temperature_agrees_with_plain_temperature_on_balanced_scores() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 3000)
    s = rng.normal(size=(3000, 3)) + 2.0 * np.eye(3)[y]
    t, b = fit_vector_scaling(s, y)
    assert t == pytest.approx(fit_temperature(s.copy(), y), rel=0.1)
    assert np.all(np.abs(b) < 0.2)

"""Calibration of :class:`~feedclass.model.TopicModel`: the temperature (and per-topic offsets)
fitted on the held-out scores of internal fits.

Which rows are held out and their scores come from :mod:`feedclass.crossfit`; the fits of the
temperature itself from :mod:`feedclass.calibration`. This mixin wires them to the model's
parameters and learned attributes.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from feedclass.calibration import (
    fit_smoothed_temperature,
    fit_temperature,
    fit_topic_offsets,
    fit_vector_scaling,
)
from feedclass.crossfit import calibration_splits, held_out_scores, linked_rows
from feedclass.errors import CalibrationWarning
from feedclass.model.state import ModelState

#: Rows the internal calibration fit learns from at most (more only cost time).
CALIBRATION_MAX_ROWS = 25_000


class Calibration(ModelState):
    """Mixin of :class:`~feedclass.model.TopicModel`: held-out splits and calibration."""

    def _calibration_splits(
        self,
        y_idx: np.ndarray,
        n_classes: int,
        groups: np.ndarray | None = None,
        eligible: np.ndarray | None = None,
    ) -> list[np.ndarray]:
        """Held-out row sets for calibration (:func:`~feedclass.crossfit.calibration_splits`
        with this model's ``calibration_folds``, ``calibration_holdout`` and seed)."""
        return calibration_splits(
            y_idx,
            n_classes,
            self.calibration_folds,
            self.calibration_holdout,
            self.random_state,
            groups,
            eligible,
            bool(self.calibration_whole_groups),
        )

    def _calibrate(
        self,
        texts: list[str],
        M: sp.csr_matrix,
        y_idx: np.ndarray,
        n_classes: int,
        cost: np.ndarray,
        E: Any = None,
        *,
        groups: np.ndarray | None = None,
        eligible: np.ndarray | None = None,
        vector_rows: np.ndarray | None = None,
        links: np.ndarray | None = None,
    ) -> None:
        """Fit the temperature (and per-topic offsets) on held-out scores of internal fits.

        The internal fits reuse the training rows of ``M`` (featurising once saves a pass per
        fit). The held-out rows are featurised again without the buckets the internal fit
        never saw, as a new text would be: with them, their rows' norms would be spread over
        n-grams of weight 0, their scores too small, and the fitted temperature too low.
        With ``links``, the rows that share a group or a link with a held-out set leave its
        internal fit too (:func:`~feedclass.crossfit.linked_rows`).
        """
        tests = self._calibration_splits(y_idx, n_classes, groups, eligible)
        tests = [t for t in tests if len(t)]
        excluded = None if links is None else linked_rows(tests, groups, links)
        held = np.concatenate(tests) if tests else np.zeros(0, dtype=np.int64)
        if len(held) < 2 or len(np.unique(y_idx[held])) < 2:
            warnings.warn(
                f"calibration skipped: {len(y_idx)} training rows leave no held-out rows of "
                "2 topics; probabilities use temperature 1.0 and will be too flat. Add "
                "examples (2 or more per topic) or pass calibrate=False to silence this",
                CalibrationWarning,
                stacklevel=3,
            )
            return
        scores = held_out_scores(
            tests,
            texts,
            M,
            y_idx,
            n_classes,
            cost,
            self._fit_linear,
            self.features_,
            E,
            self.vector_weight,
            self.random_state,
            CALIBRATION_MAX_ROWS,  # read here: a test lowers it on this module
            vector_rows,
            excluded,
        )
        y_held = y_idx[held]
        bias = fit_topic_offsets(scores, y_held) if self.balance_topics else np.zeros(n_classes)
        if self.calibration_method == "vector":
            self.temperature_, topic_bias = fit_vector_scaling(scores + bias, y_held)
            bias = bias + self.temperature_ * topic_bias  # softmax((s + o)/t + b) as one intercept
        elif self.calibration_method == "smoothed":
            self.temperature_, self.smoothing_ = fit_smoothed_temperature(scores + bias, y_held)
        else:
            self.temperature_ = fit_temperature(scores + bias, y_held)
        self.intercept_ = (self.intercept_ + bias).astype(np.float32)
        self.calibrated_ = True

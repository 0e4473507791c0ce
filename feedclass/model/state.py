"""What :class:`~feedclass.model.TopicModel` holds, declared once for its mixins.

``TopicModel`` sets its parameters in ``__init__`` and its learned attributes in ``fit`` (or
``load``); the mixins (:mod:`~feedclass.model.prediction`, :mod:`~feedclass.model.calibrate`,
:mod:`~feedclass.model.warm_start`, :mod:`~feedclass.model.persistence`) read them and call each
other's methods. Declaring them here, as annotations only (no values: a learned attribute
stays absent until fitted), lets type checkers follow the mixins without each repeating the
list.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from feedclass.features import HashingFeatures

__all__ = ["ModelState"]


class ModelState:
    """Annotations of a topic model's parameters, learned attributes and shared methods.

    Examples
    --------
    >>> from feedclass.model import TopicModel
    >>> issubclass(TopicModel, ModelState), "temperature_" in ModelState.__annotations__
    (True, True)
    >>> hasattr(TopicModel(), "temperature_")  # declared, not set
    False
    """

    # parameters (TopicModel.__init__)
    char_ngram_range: tuple[int, int]
    word_ngram_range: tuple[int, int]
    n_features: int
    C: float
    class_weight: str | dict | None
    calibrate: bool
    calibration_folds: int
    calibration_holdout: float
    balance_topics: bool
    calibration_method: str
    calibration_whole_groups: bool
    max_iter: int
    tol: float
    vector_weight: float
    word_vectors: Any
    vector_scope: str
    random_state: int
    n_jobs: int | None

    # learned in fit, partial_fit or load
    classes_: np.ndarray
    features_: HashingFeatures
    _w: np.ndarray
    coef_: np.ndarray
    intercept_: np.ndarray
    temperature_: float
    smoothing_: float
    calibrated_: bool
    n_train_: int
    importance_: np.ndarray
    intercept_importance_: float
    ru_used_: np.ndarray | None
    ru_delta_: np.ndarray | None
    metadata_: dict[str, Any]
    source_path_: Path

    if TYPE_CHECKING:  # defined by TopicModel and its bases; declared for the mixins only

        def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any: ...

        def get_params(self, deep: bool = True) -> dict[str, Any]: ...

        def __getstate__(self) -> dict[str, Any]: ...

        def __setstate__(self, state: dict[str, Any]) -> None: ...

        def _check_fitted(self) -> None: ...

        def _new_features(self) -> HashingFeatures: ...

        def _fit_linear(
            self, M: sp.csr_matrix, y_idx: np.ndarray, n_classes: int, cost: np.ndarray
        ) -> tuple[np.ndarray, np.ndarray]: ...

        def _solve(
            self,
            M: sp.csr_matrix,
            y_idx: np.ndarray,
            n_classes: int,
            cost: np.ndarray,
            start: tuple[np.ndarray, np.ndarray] | None = None,
            intercept_scaling: float = 1.0,
            stiffness: np.ndarray | None = None,
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...

        def _row_cost(
            self, y_idx: np.ndarray, classes: np.ndarray, sample_weight: Any
        ) -> np.ndarray: ...

        def _set_weights(self, coef: np.ndarray, intercept: np.ndarray) -> None: ...

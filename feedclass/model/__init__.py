"""The topic model: hashed char/word n-gram TF-IDF and a linear SVM with calibrated softmax.

Why hashing: the model file then holds only numbers (no vocabulary of a million n-grams), loads
fast, and featurisation runs in one compiled pass over a batch. Why a linear SVM: on
18k headlines it fits in well under a second (our dual coordinate-descent solver,
:mod:`feedclass.linear`) where lbfgs logistic regression needs 90 s, with the same accuracy
(see the model card). Why temperature scaling: the SVM's margins are not probabilities; one fitted
scalar makes ``confidence`` mean what it says, so ``--min-confidence 0.8`` keeps items that are
right about 80% of the time.

One module per part of :class:`TopicModel`:

- :mod:`~feedclass.model.topic_model`: the estimator, its parameters and ``fit``;
- :mod:`~feedclass.model.calibrate`: fitting the temperature on held-out rows;
- :mod:`~feedclass.model.warm_start`: ``partial_fit`` (corrections, new topics);
- :mod:`~feedclass.model.prediction`: ``predict``, ``predict_proba``, ``top_k``, ``explain``;
- :mod:`~feedclass.model.persistence`: ``save``/``load`` and pickling as the model file's bytes;
- :mod:`~feedclass.model.loading`: :func:`load_model` and :func:`model_info`.

Beside it: which rows the calibration holds out and their scores (:mod:`feedclass.crossfit`),
what the model file holds (:mod:`feedclass.modelsave`).
"""

from feedclass.inputs import check_texts
from feedclass.model.calibrate import CALIBRATION_MAX_ROWS
from feedclass.model.loading import load_model, model_info
from feedclass.model.topic_model import VECTOR_SCOPES, TopicModel
from feedclass.model.warm_start import PROTOTYPE_NGRAMS
from feedclass.scorer import DEFAULT_MODEL_NAME, MAX_TEXT_CHARS, default_model_path, topic_texts

__all__ = [
    "CALIBRATION_MAX_ROWS",
    "DEFAULT_MODEL_NAME",
    "MAX_TEXT_CHARS",
    "PROTOTYPE_NGRAMS",
    "VECTOR_SCOPES",
    "TopicModel",
    "check_texts",
    "default_model_path",
    "load_model",
    "model_info",
    "topic_texts",
]

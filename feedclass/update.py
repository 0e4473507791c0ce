"""Learning from editors' corrections: a trained model plus corrected items gives a new model.

The new model starts from the old weights and learns the corrections with
:meth:`TopicModel.partial_fit`: the old weights are a prior (an L2 pull towards them), so what
the model knew elsewhere stays, and each correction weighs ``weight`` training rows. A few
corrections that the first solve still gets wrong (a headline at odds with many others) get
their weight raised and the problem is solved again from the same prior, so the editors see
their corrections taken. The result is an ordinary model file whose header names its parent
model and the corrections' hash and count.
"""

from __future__ import annotations

import copy
import datetime as _dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from feedclass.errors import DataError
from feedclass.inputs import check_texts
from feedclass.model import TopicModel, default_model_path, load_model
from feedclass.modelfile import file_sha256
from feedclass.readers import read_labelled
from feedclass.train import check_model_output, data_hash
from feedclass.validation import check_labels

#: How many ordinary training rows one correction weighs, and (below) how stiff the prior is:
#: chosen on tuning channels of the Telegram set as the largest share of a retrain's gain
#: that changed accuracy on Russian headlines by no more than 0.3 points
#: (``benchmarks/bench_learning.py --tune``).
CORRECTION_WEIGHT = 16.0
#: How stiff the prior is where the training data leaned.
PRIOR_STRENGTH = 30.0
#: Share of corrections the update must label as corrected before it stops re-weighting.
TARGET_LEARNED = 0.98
#: Solves at most; each raises the weight of the corrections still wrong.
ROUNDS = 4


@dataclass
class UpdateResult:
    """What an update did.

    Attributes
    ----------
    model : TopicModel
        The updated model (a new object; the parent is unchanged).
    corrections : int
        Corrected items learned.
    skipped : int
        Rows without text or label.
    new_topics : list
        Topics the parent did not have.
    learned : float
        Share of the corrections the new model labels as corrected.
    class_counts : dict
        Corrections per topic.
    seconds : float
        Time the learning took (without reading and writing files).
    """

    model: TopicModel
    corrections: int
    skipped: int
    new_topics: list[Any]
    learned: float
    class_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def update_model(
    model: TopicModel,
    texts: Any,
    labels: Any,
    *,
    weight: float = CORRECTION_WEIGHT,
    rounds: int = ROUNDS,
    prior_strength: float = PRIOR_STRENGTH,
) -> UpdateResult:
    """A copy of ``model`` that has learned the corrected ``texts`` and ``labels``.

    Parameters
    ----------
    model : TopicModel
        A fitted model; it is not changed.
    texts : sequence of str
        The corrected headlines.
    labels : sequence
        Their right topics; topics new to the model are added.
    weight : float
        How many ordinary training rows one correction weighs.
    rounds : int
        Solves at most; after each, corrections still labelled otherwise weigh 4x more.
    prior_strength : float
        How stiff the prior is where the training data leaned (see
        :meth:`TopicModel.partial_fit`).

    Returns
    -------
    UpdateResult

    Examples
    --------
    >>> m = TopicModel(calibrate=False, n_features=2**16).fit(
    ...     ["Гол в ворота", "Матч вничью", "Курс доллара вырос", "Нефть подешевела"],
    ...     ["sport", "sport", "economy", "economy"])
    >>> r = update_model(m, ["Акции клуба подешевели"], ["economy"])
    >>> r.learned, r.model.predict(["Акции клуба подешевели"]).tolist()
    (1.0, ['economy'])
    """
    if not hasattr(model, "coef_"):
        raise DataError("update needs a trained model; train one with `feedclass train` first")
    if not weight > 0:
        raise DataError(f"weight must be > 0; got {weight!r} instead")
    texts = check_texts(texts, "texts")
    if not texts:
        raise DataError("no corrections to learn: the corrections are empty")
    classes, idx = check_labels(labels, len(texts), min_classes=1)
    y = classes[idx]
    start = time.perf_counter()
    sw = np.full(len(texts), float(weight))
    new = model
    for _ in range(max(int(rounds), 1)):
        new = copy.copy(model)  # partial_fit replaces arrays, never writes into the parent's
        new.partial_fit(texts, y, sample_weight=sw, prior_strength=prior_strength)
        # Scored through the sparse rows: predict() would first pack the new weights for
        # its fused kernel, which costs more than a thousand rows are worth.
        scores = new.features_.transform(texts) @ new.coef_.T + new.intercept_
        wrong = np.asarray(new.classes_[np.argmax(scores, axis=1)] != y, dtype=bool)
        if wrong.mean() <= 1.0 - TARGET_LEARNED:
            break
        sw[wrong] *= 4.0
    seconds = time.perf_counter() - start
    known = set(model.classes_.tolist())
    return UpdateResult(
        model=new,
        corrections=len(texts),
        skipped=0,
        new_topics=sorted({v for v in y.tolist() if v not in known}),
        learned=float(1.0 - wrong.mean()),
        class_counts={str(k): v for k, v in sorted(Counter(y.tolist()).items())},
        seconds=seconds,
    )


def update_file(
    model: str | Path | None,
    corrections: str | Path | IO[bytes],
    output: str | Path,
    *,
    text_column: str | None = None,
    label_column: str = "label",
    fmt: str | None = None,
    weight: float = CORRECTION_WEIGHT,
    force: bool = False,
) -> UpdateResult:
    """Update the model file ``model`` (None or ``"default"``: the shipped model) with a file of
    corrections (CSV/TSV/JSONL, or stdin) and write the new model file atomically.

    The new file's header records ``parent_model`` (path, SHA-256, creation time and the
    parent's own metrics), ``corrections_sha256``, ``corrections_count`` and ``new_topics``.
    An existing ``output`` that is not a model file is refused unless ``force`` is true.
    """
    check_model_output(output, force=force)
    if model is None or str(model) == "default":
        path = default_model_path()
        parent = load_model(None)
    else:
        path = Path(model)
        parent = load_model(path)
    texts, labels, skipped = read_labelled(corrections, text_column, label_column, fmt)
    if not texts:
        raise DataError("no usable corrections: every row had an empty text or label")
    if parent.classes_.dtype.kind in "iufb":
        # The file holds text; a model trained on numeric topics reads them back as numbers.
        try:
            labels = [parent.classes_.dtype.type(v) for v in labels]
        except ValueError:
            raise DataError(
                f"the model's topics are numbers ({parent.classes_.tolist()[:3]}...); the "
                "corrections' labels must be too"
            ) from None
    result = update_model(parent, texts, labels, weight=weight)
    result.skipped = skipped
    header = parent.metadata_
    meta: dict[str, Any] = {
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "parent_model": {
            "path": "default" if model is None or str(model) == "default" else str(path),
            "sha256": file_sha256(path),
            "created": header.get("created"),
            "training_data": header.get("training_data"),
            "metrics": header.get("metrics"),
        },
        "corrections_sha256": data_hash(texts, [str(v) for v in labels]),
        "corrections_count": len(texts),
        "corrections_source": (
            str(corrections) if isinstance(corrections, (str, Path)) else "<stream>"
        ),
        "corrections_learned": round(result.learned, 4),
        "new_topics": [str(t) for t in result.new_topics],
        "update_weight": float(weight),
    }
    result.model.save(output, meta)
    return result

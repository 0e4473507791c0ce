"""Files and pickles of :class:`~feedclass.model.TopicModel`: ``save``, ``load``, and a
pickle that carries the model file's bytes (never the in-memory arrays).

What the file holds is :mod:`feedclass.modelsave`; how it is written and read,
:mod:`feedclass.modelfile` and :mod:`feedclass.scorer`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from feedclass.errors import ModelFileError
from feedclass.model.state import ModelState
from feedclass.modelfile import write_model_file
from feedclass.modelsave import model_file_parts
from feedclass.scorer import (
    read_topic_file,
)

#: Learned attributes; a pickle carries them as the model file's bytes.
_FITTED = frozenset(
    {
        "classes_",
        "features_",
        "_w",
        "coef_",
        "intercept_",
        "temperature_",
        "smoothing_",
        "calibrated_",
        "n_train_",
        "importance_",
        "intercept_importance_",
        "metadata_",
        "ru_used_",
        "ru_delta_",
    }
)

_Model = TypeVar("_Model", bound="Persistence")


class Persistence(ModelState):
    """Mixin of :class:`~feedclass.model.TopicModel`: model files and pickling."""

    # -- pickling (joblib, GridSearchCV(n_jobs=...), multiprocessing) ------------------------
    def __copy__(self: _Model) -> _Model:
        """A shallow copy: the same arrays, no trip through the model file (see below)."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __getstate__(self) -> dict[str, Any]:
        """A fitted model pickles as its model file's bytes, so no larger than that file.

        Why: the in-memory weights are a dense ``(n_features, n_classes)`` array (40 MB for
        ten topics) plus caches; the model file keeps only the used buckets, compressed.
        """
        state = dict(super().__getstate__())
        if not hasattr(self, "coef_"):
            return state
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.fcm"
            created = getattr(self, "metadata_", {}).get("created", "")
            self.save(path, {"created": created})
            state = {
                k: v
                for k, v in state.items()
                if (k not in _FITTED or k == "metadata_") and k != "_ru_cache"
            }
            state["_model_file"] = path.read_bytes()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        blob = state.pop("_model_file", None)
        if blob is not None:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.fcm"
                path.write_bytes(blob)
                loaded = type(self).load(path)
            fitted = {k: v for k, v in loaded.__dict__.items() if k in _FITTED and k != "metadata_"}
            state = {**fitted, **state}
        super().__setstate__(state)

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> None:
        """Write the model as data (JSON header + arrays), atomically.

        Parameters
        ----------
        path : str or Path
            Where to write; the file is replaced only once the new one is complete.
        metadata : dict, optional
            Extra JSON-serialisable header entries (e.g. ``training_data``, ``metrics``,
            ``created``). Keys the format itself uses (``labels``, ``params``, ...) are refused.
        """
        self._check_fitted()
        write_model_file(path, *model_file_parts(self, metadata))

    @classmethod
    def load(cls: type[_Model], path: str | Path) -> _Model:
        """Read a model written by :meth:`save`; never unpickles.

        Parameters
        ----------
        path : str or Path
            A model file.

        Returns
        -------
        TopicModel
            Fitted, with the file's header as ``metadata_``.

        Raises
        ------
        ModelFileError
            The file is missing, truncated, not a feedclass model, a pickle, or of a newer
            format version.
        """
        f = read_topic_file(path, cls().get_params())
        header = f.header
        try:
            model = cls(**f.params)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelFileError(f"{path}: corrupted model file ({exc})") from None
        feats = model._new_features()
        feats.idf_ = f.idf
        feats.n_docs_ = int(header.get("n_docs", 0))
        model.features_ = feats
        model.classes_ = f.classes
        model.intercept_ = f.intercept
        model._w = f.weights
        model.coef_ = f.weights.T
        model.temperature_ = f.temperature
        model.smoothing_ = f.smoothing
        model.calibrated_ = bool(header.get("calibrated", model.temperature_ != 1.0))
        model.n_train_ = int(header.get("n_train", 0))
        if f.importance is not None:
            model.importance_ = f.importance
            model.intercept_importance_ = float(header.get("intercept_importance", 0.0))
        model.ru_used_, model.ru_delta_ = f.ru_used, f.ru_delta
        model.metadata_ = header
        model.source_path_ = Path(path)  # so that no command writes over the model it uses
        return model

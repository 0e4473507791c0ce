"""One exception hierarchy for feedclass.

Library code raises these; only the CLI turns them into a one-line message and an exit code.
Each class also subclasses a builtin, so callers that catch ``ValueError`` or ``OSError`` keep
working.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any


class FeedclassError(Exception):
    """Base class of every error feedclass raises on purpose."""

    #: Exit code the CLI uses for this kind of error.
    exit_code: int = 2


class DataError(FeedclassError, ValueError):
    """The input data cannot be used: missing column, no usable rows, bad encoding, ..."""


class InputFileError(FeedclassError, OSError):
    """An input file is missing, unreadable or not in a format we read."""


class ModelFileError(FeedclassError, ValueError):
    """A model file is missing, truncated, corrupted, foreign or of an unknown version."""


class StateFileError(FeedclassError, ValueError):
    """A dedup history state file is missing, corrupted or of an unknown version."""


class ClusterError(FeedclassError, OSError):
    """A Dask cluster cannot be started or reached, or a task on it failed."""


_MAKING = threading.Lock()

if TYPE_CHECKING:
    from sklearn.exceptions import NotFittedError as _SklearnNotFitted

    class NotFittedError(FeedclassError, _SklearnNotFitted):
        """An estimator was used before ``fit``."""


def __getattr__(name: str) -> Any:
    # NotFittedError subclasses scikit-learn's, and importing scikit-learn costs about a
    # second: it is made on first use, so `feedclass classify` (which never needs it) and
    # `import feedclass` stay quick.
    if name != "NotFittedError":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _MAKING:  # one class, even when two threads ask at once
        made = globals().get(name)
        return made if made is not None else _make_not_fitted()


def _make_not_fitted() -> type:
    from sklearn.exceptions import NotFittedError as sklearn_not_fitted

    class NotFittedError(FeedclassError, sklearn_not_fitted):  # type: ignore[no-redef]
        """An estimator was used before ``fit``.

        A subclass of scikit-learn's own ``NotFittedError`` (so of ``ValueError`` and
        ``AttributeError`` too): code written for scikit-learn catches it.
        """

    NotFittedError.__module__ = __name__
    NotFittedError.__qualname__ = "NotFittedError"
    globals()["NotFittedError"] = NotFittedError
    return NotFittedError


class CalibrationWarning(UserWarning):
    """Calibration could not run, so probabilities are uncalibrated (temperature 1.0)."""


class Terminated(BaseException):
    """SIGTERM asked the run to stop (a BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` swallows it and every writer unwinds, removing its temporary file)."""

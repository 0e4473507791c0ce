"""One exception hierarchy for feedclass.

Library code raises these; only the CLI turns them into a one-line message and an exit code.
Each class also subclasses a builtin, so callers that catch ``ValueError`` or ``OSError`` keep
working.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFitted


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


class NotFittedError(FeedclassError, _SklearnNotFitted):
    """An estimator was used before ``fit``.

    A subclass of scikit-learn's own ``NotFittedError`` (so of ``ValueError`` and
    ``AttributeError`` too): code written for scikit-learn catches it.
    """


class CalibrationWarning(UserWarning):
    """Calibration could not run, so probabilities are uncalibrated (temperature 1.0)."""


class Terminated(BaseException):
    """SIGTERM asked the run to stop (a BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` swallows it and every writer unwinds, removing its temporary file)."""

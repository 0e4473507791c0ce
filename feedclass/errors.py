"""One exception hierarchy for feedclass.

Library code raises these; only the CLI turns them into a one-line message and an exit code.
Each class also subclasses a builtin, so callers that catch ``ValueError`` or ``OSError`` keep
working.
"""

from __future__ import annotations


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

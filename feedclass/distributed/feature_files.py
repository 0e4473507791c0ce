"""A shard's dedup features as one raw file beside the output, memory-mapped where needed.

At 10M headlines the features of all shards (~10 GB) do not fit in the workers' memory
limits; kept as Dask results they are spilled (pickled to disk) and read back whole by every
task that needs a shard, once per shard pair it scores. Here the featurise task writes its
shard's arrays once, to a file in the run's scratch folder (temporary name, then rename),
and returns only a small :class:`FeatureFile` handle; every task that needs the features
maps the file and reads the pages it touches, from the operating system's cache. Dask still
schedules and retries every task: a retried featurise rewrites the whole file.
"""

from __future__ import annotations

import dataclasses
import mmap
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.dedup import Features
from feedclass.errors import ClusterError

__all__ = ["FeatureFile", "load_features", "save_features"]

# Arrays start on this many bytes, so that every view is aligned for its type.
_ALIGN = 64
# Fields that are not arrays of this shard: kept in the handle (scalars) or taken from the
# reading process (the word vectors, one array per process that pair_scores compares by
# identity).
_SCALARS = ("n", "log_n")


@dataclass(frozen=True)
class FeatureFile:
    """Where one shard's features lie: the file, its size, and each array's place in it.

    ``layout`` holds, per field of :class:`~feedclass.dedup.Features`, its name, whether it
    is a tuple of arrays (CSR rows), and ``(dtype, shape, offset)`` of each of its arrays.
    """

    path: str
    size: int
    n: int
    log_n: float
    layout: tuple[tuple[str, bool, tuple[tuple[str, tuple[int, ...], int], ...]], ...]
    own_vectors: bool  # the vectors are in the file (not this package's word vectors)


def save_features(f: Features, path: str | os.PathLike[str]) -> FeatureFile:
    """Write ``f`` to ``path`` (temporary name, then rename) and return its handle.

    Examples
    --------
    >>> import tempfile
    >>> from feedclass.dedup import featurize, pair_scores
    >>> f, _ = featurize(["Пожар на складе в Алматы", "Срочно: пожар на складе в Алматы"])
    >>> folder = tempfile.mkdtemp()
    >>> handle = save_features(f, f"{folder}/0.features")
    >>> g = load_features(handle)
    >>> float(pair_scores(g, np.array([0]), np.array([1]))[0]) == float(
    ...     pair_scores(f, np.array([0]), np.array([1]))[0])
    True
    """
    from feedclass.dedup.vectors import meaning_vectors

    own_vectors = f.vectors is not meaning_vectors()[1]
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
    layout = []
    offset = 0
    try:
        # Scratch data, read back from the page cache: no fsync.
        with open(tmp, "wb") as fh:
            for fld in dataclasses.fields(f):
                if fld.name in _SCALARS or (fld.name == "vectors" and not own_vectors):
                    continue
                value = getattr(f, fld.name)
                places = []
                many = isinstance(value, tuple)
                if not all(isinstance(v, np.ndarray) for v in (value if many else (value,))):
                    # A new scalar field of Features must be carried by the handle.
                    raise TypeError(f"save_features does not know how to store {fld.name}")
                for a in value if many else (value,):
                    a = np.ascontiguousarray(a)
                    pad = -offset % _ALIGN
                    fh.write(b"\0" * pad)
                    offset += pad
                    places.append((a.dtype.str, tuple(int(s) for s in a.shape), offset))
                    a.tofile(fh)
                    offset += a.nbytes
                layout.append((fld.name, many, tuple(places)))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return FeatureFile(
        path=str(target),
        size=offset,
        n=int(f.n),
        log_n=float(f.log_n),
        layout=tuple(layout),
        own_vectors=own_vectors,
    )


def load_features(handle: FeatureFile) -> Features:
    """The features of ``handle``'s file, as arrays over a private map of it (copy on write:
    the scorer may treat them as its own; nothing is written back).

    A missing file or one of another size (the scratch folder was removed under a running
    job) raises :class:`~feedclass.errors.ClusterError`.
    """
    from feedclass.dedup.vectors import meaning_vectors

    try:
        with open(handle.path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size != handle.size:
                raise ClusterError(
                    f"features {handle.path}: {size} bytes where {handle.size} were written"
                )
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY) if size else b""
    except OSError as exc:
        if isinstance(exc, ClusterError):
            raise
        raise ClusterError(f"features {handle.path}: {exc.strerror}") from None
    out: dict[str, Any] = {"n": handle.n, "log_n": handle.log_n}
    for name, many, places in handle.layout:
        arrays = []
        for dtype, shape, offset in places:
            count = int(np.prod(shape, dtype=np.int64))
            a = np.frombuffer(mm, dtype=np.dtype(dtype), count=count, offset=offset)
            arrays.append(a.reshape(shape))
        out[name] = tuple(arrays) if many else arrays[0]
    if not handle.own_vectors:
        out["vectors"] = meaning_vectors()[1]
    return Features(**out)

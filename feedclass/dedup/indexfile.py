"""The incremental index's state file: its format, version check and string packing.

Why this design
---------------
* State is data, never a pickle: a model-format zip of a JSON header and plain numpy arrays,
  written atomically (:mod:`feedclass.modelfile`); strings travel as one UTF-8 byte array plus
  offsets, since numpy has no pickle-free ragged str.
* A damaged, foreign or newer file raises :class:`~feedclass.errors.StateFileError` with a
  one-line reason; what the arrays mean is :class:`~feedclass.dedup.index.DedupIndex`'s business.
"""

from __future__ import annotations

import itertools
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.errors import ModelFileError, StateFileError
from feedclass.modelfile import (
    HEADER,
    MAX_HEADER_BYTES,
    read_model_file,
    write_model_file,
    write_model_stream,
)

__all__ = [
    "KIND",
    "VERSION",
    "pack_strings",
    "read_index_file",
    "read_index_header",
    "unpack_strings",
    "write_index_file",
    "write_index_stream",
]

KIND = "feedclass-dedup-index"
VERSION = 1


def write_index_file(
    path: str | Path, header: dict[str, Any], arrays: dict[str, np.ndarray]
) -> None:
    """Write an index state file atomically; ``kind`` and ``index_version`` are added.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "index.fcm")
    >>> write_index_file(path, {"n_items": 1}, pack_strings("text", ["Пожар в Алматы"]))
    >>> header, arrays = read_index_file(path)
    >>> header["n_items"], unpack_strings("text", arrays)
    (1, ['Пожар в Алматы'])
    """
    header = {"kind": KIND, "index_version": VERSION, **header}
    try:
        write_model_file(path, header, arrays)
    except ModelFileError as exc:
        raise StateFileError(str(exc).replace("model file", "index file")) from None
    except OSError as exc:
        raise StateFileError(f"{path}: cannot write index file ({exc.strerror or exc})") from None


def write_index_stream(stream: Any, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write an index state file's bytes to a binary ``stream`` (the caller renames it).

    Examples
    --------
    >>> import io
    >>> buf = io.BytesIO()
    >>> write_index_stream(buf, {"n_items": 0}, {})
    >>> buf.getvalue()[:2]
    b'PK'
    """
    write_model_stream(stream, {"kind": KIND, "index_version": VERSION, **header}, arrays)


def read_index_header(path: str | Path) -> dict[str, Any] | None:
    """Only the JSON header of an index state file (no array read), or None when ``path``
    is missing, unreadable or not an index file.

    Examples
    --------
    >>> read_index_header("/nonexistent/index.fcm") is None
    True
    """
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(HEADER)
            if info.file_size > MAX_HEADER_BYTES:
                return None
            header = json.loads(zf.read(info).decode("utf-8"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    if not isinstance(header, dict) or header.get("kind") != KIND:
        return None
    return header


def read_index_file(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and arrays of an index state file; a damaged or foreign file, or one newer
    than this feedclass reads, raises ``StateFileError``.

    Examples
    --------
    >>> read_index_file("/nonexistent/index.fcm")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    feedclass.errors.StateFileError: ...
    """
    try:
        header, arrays = read_model_file(path)
    except ModelFileError as exc:
        raise StateFileError(str(exc).replace("model file", "index file")) from None
    if header.get("kind") != KIND:
        raise StateFileError(f"{path}: not a feedclass dedup index file")
    version = header.get("index_version")
    if not isinstance(version, int) or version > VERSION:
        raise StateFileError(
            f"{path}: index file version {version!r} is newer than this feedclass reads "
            f"({VERSION}); upgrade feedclass"
        )
    return header, arrays


def pack_strings(name: str, strings: Iterable[str]) -> dict[str, np.ndarray]:
    """Strings as one UTF-8 byte array ``<name>_utf8`` plus offsets ``<name>_off``.

    Examples
    --------
    >>> packed = pack_strings("id", ["a1", "б2"])
    >>> sorted(packed), packed["id_off"].tolist()
    (['id_off', 'id_utf8'], [0, 2, 5])
    """
    enc = [s.encode("utf-8", "surrogatepass") for s in strings]
    off = np.zeros(len(enc) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in enc], out=off[1:])
    return {
        f"{name}_utf8": np.frombuffer(b"".join(enc), dtype=np.uint8).copy(),
        f"{name}_off": off,
    }


def unpack_strings(name: str, arrays: dict[str, np.ndarray]) -> list[str]:
    """The strings :func:`pack_strings` packed under ``name``.

    Examples
    --------
    >>> unpack_strings("id", pack_strings("id", ["a1", "б2", ""]))
    ['a1', 'б2', '']
    """
    blob = arrays[f"{name}_utf8"].astype(np.uint8).tobytes()
    off = arrays[f"{name}_off"].astype(np.int64).tolist()
    return [blob[a:b].decode("utf-8", "surrogatepass") for a, b in itertools.pairwise(off)]

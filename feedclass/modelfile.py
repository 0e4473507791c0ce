"""Model files: a zip of a JSON header and plain numpy arrays. Data, never code.

Loading goes through ``np.load(..., allow_pickle=False)`` on each array and ``json.loads`` on
the header, so a crafted file cannot run anything. Before anything is inflated, every member's
declared size and every array's dtype and shape (from its npy header) are checked against the
model's header and fixed limits, so a zip bomb or a lying header is refused in bounded memory.
Writing is deterministic (fixed zip timestamps, sorted entries) so that the same training run
gives the same bytes, and atomic (:class:`feedclass.atomic.AtomicWriter`).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import io
import json
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.atomic import AtomicWriter
from feedclass.errors import ModelFileError

FORMAT_NAME = "feedclass-model"
#: The newest format version this feedclass reads. A file is written as version 1 unless it
#: needs more (``SMOOTHING_VERSION``), so a reader that cannot apply what it holds refuses it
#: with a message instead of giving other probabilities.
FORMAT_VERSION = 2
#: A topic model whose probabilities mix in a uniform share (header key ``smoothing``).
SMOOTHING_VERSION = 2
HEADER = "header.json"
# 1980-01-01 is the earliest date a zip entry can carry; any fixed date makes the bytes stable.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
#: Largest header member read (a real header is a few kB; metrics tables included, < 100 kB).
MAX_HEADER_BYTES = 16 << 20
#: Largest total of the arrays once inflated (the shipped models need a few hundred MB less).
MAX_ARRAY_BYTES = 512 << 20
#: What a reader expects of an array: allowed dtype kinds ("f", "iu", ...) and a shape whose
#: ``None`` entries may be any length.
ArraySpec = tuple[str, tuple[int | None, ...]]


def write_model_file(
    path: str | Path, header: dict[str, Any], arrays: dict[str, np.ndarray]
) -> None:
    """Write ``header`` and ``arrays`` to ``path`` atomically."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ModelFileError(f"{path}: folder {parent} does not exist")
    with AtomicWriter(path, binary=True) as out:
        write_model_stream(out.stream, header, arrays)


def write_model_stream(stream: Any, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write a model file's bytes to a binary ``stream`` (a caller that renames the file
    itself, later: a state committed together with other outputs).

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> write_model_stream(buf, {"kind": "demo"}, {"w": np.arange(3)})
    >>> buf.getvalue()[:2]
    b'PK'
    """
    header = {"format": FORMAT_NAME, "format_version": 1, **header}
    header["arrays"] = sorted(arrays)
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _add(zf, HEADER, json.dumps(header, ensure_ascii=False, indent=1).encode())
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            _add(zf, f"{name}.npy", buf.getvalue())


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data, compresslevel=6)


def read_model_file(
    path: str | Path,
    check_header: Callable[[dict[str, Any]], Mapping[str, ArraySpec]] | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a model file, refusing anything that is not a well-formed feedclass model.

    ``check_header`` validates the header of one kind of model (raising ``ModelFileError``)
    and says what each array must look like; every array's npy header is checked against it
    and against :data:`MAX_ARRAY_BYTES` before a byte of the array is inflated.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory, not a model file")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic[:2] in _PICKLE_MAGIC:
        raise ModelFileError(
            f"{path}: this is a Python pickle; feedclass never loads pickles because they can "
            "run code. Retrain with `feedclass train`"
        )
    if magic != b"PK\x03\x04":
        raise ModelFileError(f"{path}: not a feedclass model file (unknown format)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            if HEADER not in infos:
                raise ModelFileError(f"{path}: not a feedclass model file (no header)")
            if infos[HEADER].file_size > MAX_HEADER_BYTES:
                raise ModelFileError(
                    f"{path}: model header of {infos[HEADER].file_size:,} bytes; a real one is "
                    f"a few kB (limit {MAX_HEADER_BYTES:,}): refused"
                )
            header = json.loads(_read_member(zf, infos[HEADER], MAX_HEADER_BYTES).decode("utf-8"))
            _check_header(path, header)
            specs = check_header(header) if check_header is not None else {}
            names = [str(n) for n in header["arrays"]]
            total = 0
            for name in names:
                entry = infos.get(f"{name}.npy")
                if entry is None:
                    raise ModelFileError(f"{path}: corrupted model file (array {name} missing)")
                total += entry.file_size
            if total > MAX_ARRAY_BYTES:
                raise ModelFileError(
                    f"{path}: its arrays would take {total:,} bytes once inflated (limit "
                    f"{MAX_ARRAY_BYTES:,}): refused as a zip bomb or a damaged file"
                )
            arrays: dict[str, np.ndarray] = {}
            for name in names:
                entry = infos[f"{name}.npy"]
                with zf.open(entry) as fh:
                    _check_npy(path, name, fh, entry.file_size, specs.get(name))
                with zf.open(entry) as fh:
                    arrays[name] = np.lib.format.read_array(fh, allow_pickle=False)
            missing = [n for n in specs if n not in arrays]
            if missing:
                raise ModelFileError(f"{path}: corrupted model file (array {missing[0]} missing)")
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ModelFileError(f"{path}: truncated or corrupted model file ({exc})") from None
    except RecursionError:
        raise ModelFileError(f"{path}: corrupted model file (header nested too deep)") from None
    except (ValueError, KeyError, UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        # np.lib.format raises ValueError when an array would need pickle: refuse it.
        raise ModelFileError(f"{path}: corrupted model file ({exc})") from None
    return header, arrays


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, never more than ``limit`` whatever its declared size says."""
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{info.filename} is larger than {limit:,} bytes")
    return data


def _check_npy(path: Path, name: str, fh: Any, size: int, spec: ArraySpec | None) -> None:
    """Refuse an array whose npy header disagrees with its member size or the model."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fh, max_header_size=10_000)
    elif version in ((2, 0), (3, 0)):
        shape, _, dtype = np.lib.format.read_array_header_2_0(fh, max_header_size=10_000)
    else:  # pragma: no cover - read_magic refuses other versions
        raise ValueError(f"array {name}: npy version {version}")
    if dtype.hasobject:
        raise ModelFileError(
            f"{path}: corrupted model file (array {name} holds Python objects, which would "
            "need pickle)"
        )
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize if shape else dtype.itemsize
    if nbytes > size or nbytes > MAX_ARRAY_BYTES or min(shape, default=0) < 0:
        raise ModelFileError(
            f"{path}: array {name} claims shape {shape} ({nbytes:,} bytes) in a member of "
            f"{size:,} bytes: refused as damaged"
        )
    if spec is None:
        return
    kinds, want = spec
    if dtype.kind not in kinds:
        raise ModelFileError(f"{path}: array {name} has dtype {dtype}; expected kind {kinds}")
    if len(shape) != len(want) or any(w is not None and w != s for s, w in zip(shape, want)):
        shown = tuple("n" if w is None else w for w in want)
        raise ModelFileError(
            f"{path}: array {name} has shape {shape} but the header implies {shown}"
        )


def _check_header(path: Path, header: Any) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: not a feedclass model file (foreign header)")
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format version {version} is newer than this feedclass reads "
            f"({FORMAT_VERSION}); upgrade feedclass"
        )
    arrays = header.get("arrays")
    if not isinstance(arrays, list) or not all(
        isinstance(a, str) and a.isidentifier() for a in arrays
    ):
        raise ModelFileError(f"{path}: corrupted model file (no array list in header)")


def shipped_file(name: str) -> Path:
    """A data file shipped in ``models/``: the installed copy, else the source checkout's."""
    try:
        res = importlib.resources.files("feedclass._models") / name
        with importlib.resources.as_file(res) as p:
            if Path(p).exists():
                return Path(p)
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    return Path(__file__).resolve().parent.parent / "models" / name


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

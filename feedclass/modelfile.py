"""Model files: a zip of a JSON header and plain numpy arrays. Data, never code.

Loading goes through ``np.load(..., allow_pickle=False)`` on each array and ``json.loads`` on
the header, so a crafted file cannot run anything. Writing is deterministic (fixed zip
timestamps, sorted entries) so that the same training run gives the same bytes, and atomic
(temporary file, then rename).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.errors import ModelFileError

FORMAT_NAME = "feedclass-model"
FORMAT_VERSION = 1
HEADER = "header.json"
# 1980-01-01 is the earliest date a zip entry can carry; any fixed date makes the bytes stable.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def atomic_target(path: str | Path) -> Path:
    """Where an atomic write of ``path`` must go: through a symlink to its target, so that the
    rename replaces the file the link points at rather than the link itself."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def replace_with(tmp: str | Path, dest: Path) -> None:
    """Move a finished temporary file over ``dest``, with the mode ``dest`` had; a new file gets
    the mode any new file would get (mkstemp's files are 0600: a web server could not read a
    published feed)."""
    try:
        mode = os.stat(dest).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
    os.replace(tmp, dest)


def write_model_file(
    path: str | Path, header: dict[str, Any], arrays: dict[str, np.ndarray]
) -> None:
    """Write ``header`` and ``arrays`` to ``path`` atomically."""
    path = atomic_target(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ModelFileError(f"{path}: folder {parent} does not exist")
    header = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **header}
    header["arrays"] = sorted(arrays)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                _add(zf, HEADER, json.dumps(header, ensure_ascii=False, indent=1).encode())
                for name in sorted(arrays):
                    buf = io.BytesIO()
                    np.lib.format.write_array(
                        buf, np.ascontiguousarray(arrays[name]), allow_pickle=False
                    )
                    _add(zf, f"{name}.npy", buf.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        replace_with(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data, compresslevel=6)


def read_model_file(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a model file, refusing anything that is not a well-formed feedclass model."""
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
            names = set(zf.namelist())
            if HEADER not in names:
                raise ModelFileError(f"{path}: not a feedclass model file (no header)")
            header = json.loads(zf.read(HEADER).decode("utf-8"))
            _check_header(path, header)
            arrays: dict[str, np.ndarray] = {}
            for name in header["arrays"]:
                entry = f"{name}.npy"
                if entry not in names:
                    raise ModelFileError(f"{path}: corrupted model file (array {name} missing)")
                with zf.open(entry) as fh:
                    arrays[name] = np.lib.format.read_array(fh, allow_pickle=False)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ModelFileError(f"{path}: truncated or corrupted model file ({exc})") from None
    except (ValueError, KeyError, UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        # np.lib.format raises ValueError when an array would need pickle: refuse it.
        raise ModelFileError(f"{path}: corrupted model file ({exc})") from None
    return header, arrays


def _check_header(path: Path, header: Any) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: not a feedclass model file (foreign header)")
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format version {version} is newer than this feedclass reads "
            f"({FORMAT_VERSION}); upgrade feedclass"
        )
    if not isinstance(header.get("arrays"), list):
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

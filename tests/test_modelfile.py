from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from feedclass.errors import ModelFileError
from feedclass.modelfile import read_model_file, write_model_file


def test_round_trip_and_deterministic_bytes(tmp_path: Path) -> None:
    arrays = {"a": np.arange(5, dtype=np.float32), "b": np.eye(2, dtype=np.float16)}
    write_model_file(tmp_path / "m1", {"labels": ["x", "y"]}, arrays)
    write_model_file(tmp_path / "m2", {"labels": ["x", "y"]}, arrays)
    assert (tmp_path / "m1").read_bytes() == (tmp_path / "m2").read_bytes()
    header, back = read_model_file(tmp_path / "m1")
    assert header["labels"] == ["x", "y"]
    assert header["format_version"] == 1
    np.testing.assert_array_equal(back["a"], arrays["a"])
    assert back["b"].dtype == np.float16


class _Boom:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_pickle_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bad = tmp_path / "model.fcm"
    bad.write_bytes(pickle.dumps(_Boom(str(marker)), protocol=4))
    with pytest.raises(ModelFileError, match="pickle"):
        read_model_file(bad)
    assert not marker.exists()


def test_object_array_inside_zip_refused(tmp_path: Path) -> None:
    # A well-formed model zip whose array needs pickle (dtype=object) must not load either.
    import io
    import json

    buf = io.BytesIO()
    np.save(buf, np.array([_Boom(str(tmp_path / "x"))], dtype=object), allow_pickle=True)
    header = {"format": "feedclass-model", "format_version": 1, "arrays": ["evil"]}
    path = tmp_path / "m.fcm"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("header.json", json.dumps(header))
        zf.writestr("evil.npy", buf.getvalue())
    with pytest.raises(ModelFileError, match="corrupted"):
        read_model_file(path)
    assert not (tmp_path / "x").exists()


def test_truncated_foreign_garbage_missing(tmp_path: Path) -> None:
    good = tmp_path / "good.fcm"
    write_model_file(good, {}, {"a": np.zeros(1000)})
    cut = tmp_path / "cut.fcm"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ModelFileError, match="truncated or corrupted"):
        read_model_file(cut)
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(ModelFileError, match="no header"):
        read_model_file(foreign)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"hello world")
    with pytest.raises(ModelFileError, match="not a feedclass model"):
        read_model_file(garbage)
    with pytest.raises(ModelFileError, match="no such model file"):
        read_model_file(tmp_path / "absent.fcm")


def test_newer_format_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.fcm"
    write_model_file(path, {}, {})
    with zipfile.ZipFile(path) as zf:
        header = zf.read("header.json").decode()
    newer = tmp_path / "n.fcm"
    with zipfile.ZipFile(newer, "w") as zf:
        zf.writestr("header.json", header.replace('"format_version": 1', '"format_version": 99'))
    with pytest.raises(ModelFileError, match="newer than this feedclass reads"):
        read_model_file(newer)


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_model_file(tmp_path / "m.fcm", {}, {"bad": np.array([object()], dtype=object)})
    assert list(tmp_path.iterdir()) == []

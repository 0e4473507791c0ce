"""Nothing lost under faults (issue 20): concurrent histories, publish's write order, hostile
model files, long headlines, deep JSONL, 8-bit encodings and the smaller refusals."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from feedclass.dedup.indexfile import read_index_header
from feedclass.encodings import guess_8bit
from feedclass.errors import DataError, ModelFileError, StateFileError
from feedclass.history import History, locked, recover_pending
from feedclass.model import MAX_TEXT_CHARS, TopicModel, load_model, topic_texts
from feedclass.publish import dedup_file, publish_file
from feedclass.readers import open_table, read_labelled
from tests.test_atomic import temps
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent


def batch(path: Path, prefix: str, texts: list[str]) -> Path:
    lines = [f"{prefix}{i},{t}" for i, t in enumerate(texts)]
    path.write_text("id,title\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


BATCH_A = [f"Пожар на складе номер {i} в Алматы потушили" for i in range(6)]
BATCH_B = [f"Сборная Казахстана сыграет {i} матч в Астане" for i in range(6)]


# -- case 3: two runs on one history state --------------------------------------------------------
def test_concurrent_runs_on_one_state_keep_both_batches(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    a = batch(tmp_path / "a.csv", "a", BATCH_A)
    b = batch(tmp_path / "b.csv", "b", BATCH_B)
    errors: list[BaseException] = []

    def one(src: Path) -> None:
        try:
            dedup_file(src, tmp_path / f"{src.stem}.out.csv", history_path=state, id_column="id")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    h = History.load(state)
    assert sorted(h.item_ids) == sorted([f"a{i}" for i in range(6)] + [f"b{i}" for i in range(6)])
    story = dict(zip(h.item_ids, h.story_ids))
    a_ids = {story[f"a{i}"] for i in range(6)}
    b_ids = {story[f"b{i}"] for i in range(6)}
    assert not a_ids & b_ids, "two stories were given one id"


def test_a_held_state_times_out_with_one_clear_line(tmp_path: Path, capsys) -> None:
    state = tmp_path / "state.json"
    a = batch(tmp_path / "a.csv", "a", BATCH_A)
    with locked(state):
        with pytest.raises(StateFileError, match=r"another feedclass run .* is using"):
            dedup_file(a, tmp_path / "o.csv", history_path=state, lock_timeout=0.2)
        code, _, err = run(
            [
                "dedup",
                str(a),
                "-o",
                str(tmp_path / "o.csv"),
                "--history",
                str(state),
                "--lock-timeout",
                "0.1",
            ],
            capsys,
        )
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--lock-timeout" in err
    assert not state.exists() and not (tmp_path / "o.csv").exists()


# -- case 4: publish's output, report and state change as one step --------------------------------
def test_failed_state_save_leaves_the_old_outputs(
    tmp_path: Path, tiny_model: TopicModel, monkeypatch
) -> None:
    state, out, rep = tmp_path / "state.json", tmp_path / "out.csv", tmp_path / "rep.csv"
    a = batch(tmp_path / "a.csv", "a", BATCH_A)
    out.write_text("old out\n")
    rep.write_text("old report\n")

    def disk_full(self, path, outputs=()):
        raise StateFileError(f"{path}: cannot write history state file (No space left on device)")

    monkeypatch.setattr(History, "prepare", disk_full)
    with pytest.raises(StateFileError, match="No space"):
        publish_file(a, out, tiny_model, report=rep, history_path=state)
    assert out.read_text() == "old out\n" and rep.read_text() == "old report\n"
    assert not state.exists() and temps(tmp_path) == []


def test_a_run_killed_after_the_state_rename_is_finished_by_the_next(
    tmp_path: Path, tiny_model: TopicModel, monkeypatch
) -> None:
    state, out, rep = tmp_path / "state.json", tmp_path / "out.csv", tmp_path / "rep.csv"
    a = batch(
        tmp_path / "a.csv", "a", [*BATCH_A, "Срочно: пожар на складе номер 1 в Алматы потушили"]
    )
    out.write_text("old out\n")
    real_replace = os.replace
    calls: list[str] = []

    class Killed(BaseException):
        pass

    def replace_then_die(src, dst):
        calls.append(str(dst))
        if len(calls) == 2:  # the state is in place; the process "dies" before the output
            raise Killed
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_then_die)
    with pytest.raises(Killed):
        publish_file(a, out, tiny_model, report=rep, history_path=state)
    monkeypatch.setattr(os, "replace", real_replace)
    assert calls[0] == str(state)
    assert out.read_text() == "old out\n"  # not yet: the state says it is pending
    pending = read_index_header(state)["meta"]["pending"]  # type: ignore[index]
    assert {Path(p["dest"]).name for p in pending} == {"out.csv", "rep.csv"}
    with locked(state):
        assert recover_pending(state) == 2
    assert "Пожар" in out.read_text(encoding="utf-8") and "similarity" in rep.read_text()
    assert temps(tmp_path) == []
    # the recovered state loads, and a recovery with nothing pending does nothing
    assert len(History.load(state)) == 7
    with locked(state):
        assert recover_pending(state) == 0


def test_publish_renames_the_state_first(tmp_path: Path, tiny_model: TopicModel, monkeypatch):
    state, out = tmp_path / "state.json", tmp_path / "out.csv"
    a = batch(tmp_path / "a.csv", "a", BATCH_A)
    order: list[str] = []
    real_replace = os.replace
    monkeypatch.setattr(
        os, "replace", lambda s, d: (order.append(Path(d).name), real_replace(s, d))
    )
    publish_file(a, out, tiny_model, report=tmp_path / "rep.csv", history_path=state)
    assert order == ["state.json", "out.csv", "rep.csv"]


# The peak resident memory of the process that evaluates it, in kB: VmHWM starts afresh at exec,
# where ru_maxrss would carry over the memory of the pytest process that forked it.
_PEAK_KB = (
    "int(__import__('re').search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1))"
)


# -- cases 6 and 8: hostile model files -----------------------------------------------------------
def _model_zip(path: Path, header: dict, arrays: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("header.json", json.dumps(header))
        for name, data in arrays.items():
            zf.writestr(f"{name}.npy", data)
    return path


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


@pytest.fixture(scope="module")
def good_header(tmp_path_factory, tiny_model: TopicModel) -> tuple[dict, dict[str, bytes]]:
    path = tmp_path_factory.mktemp("good") / "m.fcm"
    tiny_model.save(path)
    with zipfile.ZipFile(path) as zf:
        header = json.loads(zf.read("header.json"))
        arrays = {n[:-4]: zf.read(n) for n in zf.namelist() if n.endswith(".npy")}
    return header, arrays


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_docs": "12"}, "'n_docs' must be an int"),
        ({"temperature": "1.0"}, "'temperature' must be a number"),
        ({"temperature": 0}, "'temperature' must be a number"),
        ({"smoothing": 1.0}, "'smoothing' must be a number"),
        ({"smoothing": "0.1"}, "'smoothing' must be a number"),
        ({"labels": [{"a": 1}, "b"]}, "'labels' must be a list"),
        ({"n_features": 12345}, "array .* has shape|params.n_features"),
        ({"n_features": 2**40}, "'n_features' must be an int"),
        ({"params": {"char_ngram_range": [5, 2]}}, "params.char_ngram_range"),
        ({"params": {"word_ngram_range": "1,2"}}, "params.word_ngram_range"),
        ({"params": {"evil": 1}}, "not a TopicModel parameter"),
    ],
)
def test_lying_headers_are_one_line_model_errors(
    tmp_path: Path, good_header, change: dict, message: str, capsys
) -> None:
    header, arrays = good_header
    header = json.loads(json.dumps(header))
    for key, value in change.items():
        if key == "params":
            header["params"].update(value)
        else:
            header[key] = value
    path = _model_zip(tmp_path / "m.fcm", header, arrays)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)
    code, _, err = run(["info", str(path)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_unknown_extra_header_keys_are_accepted(tmp_path: Path, good_header) -> None:
    header, arrays = good_header
    header = {**header, "parent_model": "x", "corrections_sha256": "y", "corrections_count": 3}
    model = load_model(_model_zip(tmp_path / "m.fcm", header, arrays))
    assert model.metadata_["corrections_count"] == 3


def test_array_shape_that_disagrees_with_the_header(tmp_path: Path, good_header) -> None:
    header, arrays = good_header
    arrays = {**arrays, "intercept": _npy(np.zeros(len(header["labels"]) + 1, np.float32))}
    with pytest.raises(ModelFileError, match="intercept has shape"):
        load_model(_model_zip(tmp_path / "m.fcm", header, arrays))


def test_array_claiming_more_than_its_member_holds(tmp_path: Path, good_header) -> None:
    header, arrays = good_header
    # an npy header that claims 2**30 floats in front of 16 bytes of data
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": (2**30,)}
    )
    arrays = {**arrays, "idf": buf.getvalue() + b"\0" * 16}
    with pytest.raises(ModelFileError, match="claims shape"):
        load_model(_model_zip(tmp_path / "m.fcm", header, arrays))


def _bomb(path: Path, header: dict, arrays: dict[str, bytes], inflated: int) -> Path:
    """A model whose idf member inflates to ``inflated`` bytes of zeros (tiny on disk)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("header.json", json.dumps(header))
        for name, data in arrays.items():
            if name != "idf":
                zf.writestr(f"{name}.npy", data)
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            buf, {"descr": "<f4", "fortran_order": False, "shape": (inflated // 4,)}
        )
        with zf.open("idf.npy", "w", force_zip64=True) as fh:
            fh.write(buf.getvalue())
            block = bytes(1 << 24)
            for _ in range(inflated // len(block)):
                fh.write(block)
    return path


@pytest.mark.slow
def test_zip_bomb_and_huge_header_refused_in_bounded_memory(tmp_path: Path, good_header) -> None:
    header, arrays = good_header
    bomb = _bomb(tmp_path / "bomb.fcm", header, arrays, 640 << 20)
    assert bomb.stat().st_size < 5 << 20
    with zipfile.ZipFile(tmp_path / "hdr.fcm", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("header.json", json.dumps({**header, "pad": " " * (20 << 20)}))
    for path, message in ((bomb, "zip bomb"), (tmp_path / "hdr.fcm", "model header of")):
        code = (
            "import resource, sys\n"
            "from feedclass.model import load_model\n"
            "from feedclass.errors import ModelFileError\n"
            f"try:\n    load_model({str(path)!r})\nexcept ModelFileError as e:\n    print(e)\n"
            f"print({_PEAK_KB})\n"
        )
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        said, peak_kb = done.stdout.strip().splitlines()
        assert message in said
        assert int(peak_kb) < 1 << 20, f"peak {int(peak_kb) >> 10} MiB"


# -- case 7: one long headline --------------------------------------------------------------------
def test_only_the_first_characters_of_a_text_count(tiny_model: TopicModel) -> None:
    head = "Рыбакина вышла в финал турнира "
    long = head + "а" * (MAX_TEXT_CHARS * 5)
    assert len(topic_texts([long])[0]) == MAX_TEXT_CHARS
    cut = (head + "а" * (MAX_TEXT_CHARS * 5))[:MAX_TEXT_CHARS]
    assert np.allclose(tiny_model.predict_proba([long]), tiny_model.predict_proba([cut]))


@pytest.mark.slow
def test_a_5mb_headline_is_classified_in_bounded_memory(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    src = tmp_path / "long.csv"
    words = "пожар склад Алматы курс доллар матч ".split()
    line = " ".join(words[i % len(words)] for i in range(700_000))[:5_000_000]
    src.write_text(f"id,title\n1,{line}\n2,Курс доллара вырос\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['feedclass', 'classify', {str(src)!r}, '-m', {str(tiny_model_path)!r}, "
        f"'-o', {str(out)!r}]\n"
        "try:\n    runpy.run_module('feedclass.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print({_PEAK_KB})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    peak_kb = int(done.stdout.strip().splitlines()[-1])
    assert peak_kb < 700 << 10, f"peak {peak_kb >> 10} MiB"
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 3 and line in rows[1]  # the row itself is kept whole


# -- case 9: JSONL nested deep, huge numbers ------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"title": ' + "[" * 100_000 + "]" * 100_000 + "}", "line 2: JSON nested too deeply"),
        ('{"title": "x", "n": ' + "9" * 5000 + "}", "line 2: a number of more than 4,300"),
    ],
)
def test_hostile_jsonl_is_a_data_error_naming_the_line(
    tmp_path: Path, tiny_model_path: Path, line: str, message: str, capsys
) -> None:
    src = tmp_path / "feed.jsonl"
    src.write_text('{"title": "Курс доллара вырос"}\n' + line + "\n", encoding="utf-8")
    code, _, err = run(["classify", str(src), "-m", str(tiny_model_path)], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


# -- case 10: Latin-1 or cp1251 ------------------------------------------------------------------
def test_latin1_is_not_read_as_cp1251(tmp_path: Path) -> None:
    src = tmp_path / "lat.csv"
    text = "id,title\n1,Café crème in Zürich\n2,Señor Müller opens the théâtre\n"
    src.write_bytes(text.encode("cp1252"))
    rows = next(open_table(src).chunks())
    assert rows[0][1] == "Café crème in Zürich"


def test_cp1251_still_read_as_cp1251_and_encoding_settles_it(tmp_path: Path) -> None:
    src = tmp_path / "cyr.csv"
    src.write_bytes("id,title\n1,Курс доллара вырос до 490 тенге\n".encode("cp1251"))
    assert next(open_table(src).chunks())[0][1] == "Курс доллара вырос до 490 тенге"
    lat = tmp_path / "lat.csv"
    lat.write_bytes("id,title\n1,Café\n".encode("cp1252"))
    assert next(open_table(lat, encoding="cp1251").chunks())[0][1] == "Cafй"
    with pytest.raises(DataError, match="unknown encoding"):
        open_table(lat, encoding="klingon")


def test_a_weak_guess_is_warned_on_stderr(tmp_path: Path, tiny_model_path: Path, capsys) -> None:
    lat = tmp_path / "lat.csv"
    lat.write_bytes("id,title\n1,Café news\n".encode("cp1252"))
    code, out, err = run(["classify", str(lat), "-m", str(tiny_model_path)], capsys)
    assert code == 0 and "Café" in out
    assert "warning" in err and "--encoding cp1251" in err
    code, out, err = run(
        ["classify", str(lat), "-m", str(tiny_model_path), "--encoding", "cp1252"], capsys
    )
    assert code == 0 and "warning" not in err


def test_guess_8bit_counts_the_evidence() -> None:
    assert guess_8bit("Cafй".encode("cp1251")) == ("cp1252", 0, 1)
    assert guess_8bit("Новости дня".encode("cp1251")) == ("cp1251", 2, 0)


# -- case 11: the smaller ones -------------------------------------------------------------------
def test_a_nul_byte_is_refused_wherever_it_is(tmp_path: Path) -> None:
    body = "".join(f"{i},Новость номер {i}\n" for i in range(10_000)).encode()
    for where, data in (
        ("start", b"id,title\n1,a\x00b\n" + body),
        ("end", b"id,title\n" + body + b"5,a\x00b\n"),
    ):
        src = tmp_path / f"{where}.csv"
        src.write_bytes(data)
        with pytest.raises(DataError, match=r"line .*: a NUL byte"):
            for _ in open_table(src).chunks():
                pass


def test_an_internal_dtd_is_refused_saying_so(tmp_path: Path) -> None:
    src = tmp_path / "feed.rss"
    src.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rss [ <!ENTITY co "ACME"> ]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>Hi &co;</title></item>'
        "</channel></rss>\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="line 2: the feed defines its own DTD"):
        open_table(src)


def test_train_with_one_example_per_label_is_refused_at_once(tmp_path: Path, capsys) -> None:
    src = tmp_path / "t.csv"
    src.write_text(
        "title,label\n" + "".join(f"Заголовок {i},topic{i}\n" for i in range(300)), "utf-8"
    )
    code, _, err = run(["train", str(src), "-o", str(tmp_path / "m.fcm")], capsys)
    assert code == 2 and "fewer than 2 examples per topic" in err


def test_a_duplicated_label_or_text_column_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("title,label,label\nГол,sport,economy\n", encoding="utf-8")
    with pytest.raises(DataError, match="names column 'label' 2 times"):
        read_labelled(src, None, "label")
    src.write_text("title,title,label\nГол,Курс,sport\n", encoding="utf-8")
    with pytest.raises(DataError, match="names column 'title' 2 times"):
        read_labelled(src, "title", "label")


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tiny tmpfs needs root (CI runs as root)")
def test_disk_full_for_the_state_leaves_the_old_outputs(
    tmp_path: Path, tiny_model_path: Path, capsys
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        src = batch(tmp_path / "a.csv", "a", [f"{t} {i}" for i in range(40) for t in BATCH_A])
        out, rep = tmp_path / "out.csv", tmp_path / "rep.csv"
        out.write_text("old out\n")
        rep.write_text("old report\n")
        state = disk / "state.json"
        code, _, err = run(
            [
                "publish",
                str(src),
                "-m",
                str(tiny_model_path),
                "-o",
                str(out),
                "--report",
                str(rep),
                "--history",
                str(state),
            ],
            capsys,
        )
        assert code == 2 and "No space left" in err and len(err.strip().splitlines()) == 1
        assert out.read_text() == "old out\n" and rep.read_text() == "old report\n"
        assert not state.exists() and temps(tmp_path) == [] and temps(disk) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)

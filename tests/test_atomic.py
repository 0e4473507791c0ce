"""Outputs under faults: the atomic writer, same-file refusal, devices, FIFOs, signals."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from feedclass.atomic import (
    TEMP_SUFFIX,
    AtomicWriter,
    check_not_an_input,
    commit_all,
    live_temp_files,
    remove_stale_temps,
)
from feedclass.errors import DataError
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent
FEED = "id,title\n1,Рыбакина вышла в финал турнира\n2,Курс доллара вырос до 490 тенге\n"


def temps(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if n.endswith(TEMP_SUFFIX)]


# -- case 1: an output that is an input ---------------------------------------------------------
def test_train_refuses_to_write_the_model_over_its_training_data(tmp_path: Path, capsys) -> None:
    data = tmp_path / "t.csv"
    data.write_text((ROOT / "examples" / "train.csv").read_text(encoding="utf-8"), "utf-8")
    before = data.read_bytes()
    code, _, err = run(["train", str(data), "-o", str(data), "--folds", "0"], capsys)
    assert code == 2
    assert "is the input" in err and len(err.strip().splitlines()) == 1
    assert data.read_bytes() == before


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
def test_classify_refuses_to_write_over_its_input(
    tmp_path: Path, tiny_model_path: Path, capsys, how: str
) -> None:
    src = tmp_path / "feed.csv"
    src.write_text(FEED, encoding="utf-8")
    out = tmp_path / "out.csv"
    if how == "same":
        out = src
    elif how == "symlink":
        out.symlink_to(src)
    else:
        os.link(src, out)
    code, _, err = run(["classify", str(src), "-m", str(tiny_model_path), "-o", str(out)], capsys)
    assert code == 2 and "is the input" in err
    assert src.read_text(encoding="utf-8") == FEED


def test_writing_into_a_device_is_not_an_input_clash() -> None:
    check_not_an_input("/dev/null", ["/dev/null"])


# -- case 2: devices, FIFOs and stdout are written into, not replaced ----------------------------
@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root (CI runs as root)")
def test_a_character_device_output_stays_a_device(
    tmp_path: Path, tiny_model_path: Path, capsys
) -> None:
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a second /dev/null
    src = tmp_path / "feed.csv"
    src.write_text(FEED, encoding="utf-8")
    code, _, err = run(["classify", str(src), "-m", str(tiny_model_path), "-o", str(node)], capsys)
    assert code == 0, err
    assert stat.S_ISCHR(os.stat(node).st_mode)
    assert temps(tmp_path) == []


def test_a_fifo_output_is_written_into_and_stays_a_fifo(
    tmp_path: Path, tiny_model_path: Path, capsys
) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    src = tmp_path / "feed.csv"
    src.write_text(FEED, encoding="utf-8")
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    code, _, err = run(["classify", str(src), "-m", str(tiny_model_path), "-o", str(fifo)], capsys)
    reader.join(timeout=30)
    assert code == 0, err
    assert not reader.is_alive(), "the FIFO's reader is still waiting"
    assert b"topic" in got[0] and "Рыбакина".encode() in got[0]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.slow
def test_dev_stdout_into_a_pipe(tmp_path: Path, tiny_model_path: Path) -> None:
    src = tmp_path / "feed.csv"
    src.write_text(FEED, encoding="utf-8")
    cmd = [sys.executable, "-X", "faulthandler", "-m", "feedclass.cli", "classify", str(src)]
    cmd += ["-m", str(tiny_model_path), "-o", "/dev/stdout"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(cmd, capture_output=True, env=env, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Рыбакина" in done.stdout.decode() and "topic" in done.stdout.decode()


def test_mode_kept_symlink_written_through_and_temp_is_private(tmp_path: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    w = AtomicWriter(link)
    assert w.tmp is not None and w.tmp.name.startswith(".real.csv.")
    assert stat.S_IMODE(os.stat(w.tmp).st_mode) == 0o600
    w.stream.write("new\n")
    w.commit()
    assert link.is_symlink() and target.read_text() == "new\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert temps(tmp_path) == [] and live_temp_files() == []


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    dest = tmp_path / "out.csv"
    dest.write_text("old\n")
    with pytest.raises(KeyboardInterrupt):
        with AtomicWriter(dest) as w:
            w.stream.write("half")
            raise KeyboardInterrupt
    assert dest.read_text() == "old\n" and temps(tmp_path) == []


def test_temps_of_dead_runs_are_removed_by_the_next_write(tmp_path: Path) -> None:
    dest = tmp_path / "out.csv"
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".out.csv.{dead.pid}.abcd1234{TEMP_SUFFIX}"
    stale.write_text("left by a killed run")
    alive = tmp_path / f".out.csv.{os.getppid()}.abcd1234{TEMP_SUFFIX}"
    alive.write_text("another run still writing")
    other = tmp_path / f".other.csv.{dead.pid}.abcd1234{TEMP_SUFFIX}"
    other.write_text("another output's")
    with AtomicWriter(dest) as w:
        w.stream.write("x")
    assert not stale.exists() and alive.exists() and other.exists()
    assert remove_stale_temps(tmp_path / "other.csv") == [other]


def test_commit_all_renames_nothing_when_one_file_fails(tmp_path: Path, monkeypatch) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("old a")
    b.write_text("old b")
    wa, wb = AtomicWriter(a), AtomicWriter(b)
    wa.stream.write("new a")
    wb.stream.write("new b")
    real_fsync, calls = os.fsync, []

    def disk_full_on_second(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_full_on_second)
    with pytest.raises(OSError, match="No space"):
        commit_all([wa, wb])
    assert a.read_text() == "old a" and b.read_text() == "old b" and temps(tmp_path) == []


# -- case 5: Ctrl-C and SIGTERM -------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_signals_exit_nonzero_and_leave_no_temp(
    tmp_path: Path, tiny_model_path: Path, sig: int, code: int, word: str
) -> None:
    src = tmp_path / "big.csv"
    with src.open("w", encoding="utf-8") as fh:
        fh.write("id,title\n")
        for i in range(300_000):
            fh.write(f"{i},Курс доллара вырос до {i} тенге на бирже в Алматы\n")
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    cmd = [sys.executable, "-X", "faulthandler", "-m", "feedclass.cli", "classify", str(src)]
    cmd += ["-m", str(tiny_model_path), "-o", str(out)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not temps(tmp_path) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)  # wait until it is writing
    assert proc.poll() is None, "finished before the signal: make the feed longer"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err.decode()[-3000:]
    assert err.decode().strip() == f"feedclass: {word}"
    assert out.read_text() == "old\n" and temps(tmp_path) == []


def test_check_not_an_input_accepts_distinct_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a")
    check_not_an_input(tmp_path / "b", [tmp_path / "a", "-"])
    with pytest.raises(DataError, match="is the input"):
        check_not_an_input(tmp_path / "a", [tmp_path / "a"])


def test_classify_and_publish_refuse_to_write_over_their_model(
    tmp_path: Path, tiny_model_path: Path, capsys
) -> None:
    model = tmp_path / "m.fcm"
    model.write_bytes(tiny_model_path.read_bytes())
    src = tmp_path / "feed.csv"
    src.write_text(FEED, encoding="utf-8")
    for cmd in (["classify"], ["publish"]):
        code, _, err = run([*cmd, str(src), "-m", str(model), "-o", str(model)], capsys)
        assert code == 2 and "is the input" in err
    assert model.read_bytes() == tiny_model_path.read_bytes()


def test_a_stop_request_whose_exception_was_lost_still_keeps_the_old_output(
    tmp_path: Path,
) -> None:
    # A signal handler's exception raised inside a callback from compiled code (numba's
    # compiler) is printed and ignored; the run must still not publish its output.
    from feedclass import atomic
    from feedclass.errors import Terminated

    out = tmp_path / "out.csv"
    out.write_text("old\n")
    atomic.request_stop(signal.SIGTERM)
    try:
        w = atomic.AtomicWriter(out)
        w.stream.write("new\n")
        with pytest.raises(Terminated):
            w.commit()
    finally:
        atomic.clear_stop_requests()
    assert out.read_text() == "old\n" and temps(tmp_path) == []

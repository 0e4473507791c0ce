"""Kill `classify`, `publish --history` and `train` at random points; check nothing is lost.

Each trial starts from a known old state of the files (an old output, an old model, an old
history state with its old outputs), runs the command on new input, and SIGKILLs it after a
random delay between 0 and 1.1x the time an uninterrupted run takes (half the trials aim at
the last half of the run, where the files are written and renamed); every third publish trial
is killed instead the moment the new state replaces the old one, the window between the state's
rename and the outputs' that random delays almost never hit. Afterwards:

- every output is byte for byte the old file or the new one (an uninterrupted run's), never a
  mix, a truncated file or a missing one; a model file loads and is the old or the new model;
- the history state loads and, after the recovery any later run does first
  (``recover_pending``), state and outputs belong together: the old state with the old
  outputs, or the new state with the new outputs;
- after the next run that writes the same outputs, no temporary file is left.

Prints one line per command: trials, kill points (seconds after start: min/median/max), how
often the old or the new files were found, how often recovery had to finish a publish, and
inconsistencies (which must be 0).

Usage::

    python benchmarks/fault_inject.py                 # 40 trials per command
    python benchmarks/fault_inject.py --trials 10 --seed 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = (
    "пожар склад Алматы курс доллар выборы матч финал Астана погода снег дождь министр закон "
    "суд банк нефть газ школа больница мост ремонт аким тенге рост цены тариф сборная турнир"
).split()


def sha(path: Path) -> str | None:
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_feed(path: Path, n: int, seed: int, t0: int) -> None:
    """Synthetic headlines; every 10th repeats one of the 10 before it with a prefix, so that
    publish has duplicates to merge and report."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,title,published\n")
        recent: list[str] = []
        for i in range(n):
            if i % 10 == 9:
                title = "Срочно: " + rng.choice(recent)
            else:
                title = " ".join(rng.choice(WORDS) for _ in range(7)) + f" {seed * 100000 + i}"
                recent = [*recent[-9:], title]
            fh.write(f"{seed}-{i},{title},{t0 + i}\n")


def write_training(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    topics = ["sport", "economy", "incidents", "weather"]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("title,label\n")
        for i in range(n):
            k = i % len(topics)
            words = " ".join(rng.choice(WORDS[k * 7 : k * 7 + 7]) for _ in range(6))
            fh.write(f"{words} {i},{topics[k]}\n")


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "feedclass.cli", *args]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)


def _inode(path: Path) -> int:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return 0


def killed_run(args: list[str], cwd: Path, delay: float, watch: Path | None = None) -> float:
    """Run and SIGKILL after ``delay`` s, or (``watch``) as soon as that file is replaced.

    Returns the time of the kill after the start.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    p = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if watch is None:
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
    else:
        before = _inode(watch)
        while p.poll() is None and _inode(watch) == before:
            time.sleep(0.0002)
        p.send_signal(signal.SIGKILL)
    took = time.perf_counter() - start
    p.wait()
    return took


def temps(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".fctmp"))


class Case:
    """One command with its old files, new input and expected new files."""

    name = ""
    outputs: tuple[str, ...] = ()
    commit_point = ""  # a file whose replacement every third trial kills right after

    def __init__(self, work: Path) -> None:
        self.work = work
        self.old: dict[str, str | None] = {}
        self.new: dict[str, str | None] = {}
        self.saved = work / "saved"
        self.saved.mkdir(exist_ok=True)

    def args(self) -> list[str]:
        raise NotImplementedError

    def reset(self) -> None:
        for name in self.outputs:
            src = self.saved / name
            if src.exists():
                shutil.copy2(src, self.work / name)
            else:
                (self.work / name).unlink(missing_ok=True)

    def digest(self) -> dict[str, str | None]:
        return {name: self.key(self.work / name) for name in self.outputs}

    def key(self, path: Path) -> str | None:
        return sha(path)

    def prepare(self) -> float:
        """Record old and new files; return how long an uninterrupted run takes."""
        self.old = {name: self.key(self.saved / name) for name in self.outputs}
        self.reset()
        start = time.perf_counter()
        done = run(cli(*self.args()), self.work)
        took = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{self.name}: the uninterrupted run failed: {done.stderr!r}")
        self.new = self.digest()
        return took

    def recover(self) -> bool:
        return False

    def check(self) -> tuple[str, bool]:
        """'old', 'new' or 'mixed' for the files now, and whether recovery had work to do."""
        recovered = self.recover()
        now = self.digest()
        if now == self.old:
            return "old", recovered
        if now == self.new:
            return "new", recovered
        return "mixed", recovered


class Classify(Case):
    name = "classify"
    outputs = ("labelled.csv",)

    def args(self) -> list[str]:
        return ["classify", "feed_new.csv", "-m", "model.fcm", "-o", "labelled.csv"]


class Train(Case):
    name = "train"
    outputs = ("trained.fcm",)

    def args(self) -> list[str]:
        return ["train", "train_new.csv", "-o", "trained.fcm", "--folds", "2"]

    def key(self, path: Path) -> str | None:
        # The header carries the time of training: compare what the model learned from.
        if not path.exists():
            return None
        sys.path.insert(0, str(ROOT))
        from feedclass.model import load_model

        try:
            return str(load_model(path).metadata_["training_data"]["sha256"])
        except Exception as exc:  # a broken model file is exactly what must never happen
            return f"unloadable: {exc}"


class Publish(Case):
    name = "publish --history"
    outputs = ("state.json", "published.csv", "merged.csv")
    commit_point = "state.json"

    def args(self) -> list[str]:
        return [
            "publish",
            "feed_new.csv",
            "-m",
            "model.fcm",
            "-o",
            "published.csv",
            "--report",
            "merged.csv",
            "--history",
            "state.json",
            "--id-column",
            "id",
            "--time-column",
            "published",
        ]

    def key(self, path: Path) -> str | None:
        if path.name != "state.json" or not path.exists():
            return sha(path)
        # The state's list of pending outputs names random temporary files: compare the rest.
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc.pop("pending", None)
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    def recover(self) -> bool:
        sys.path.insert(0, str(ROOT))
        from feedclass.history import History, locked, recover_pending

        with locked(self.work / "state.json", timeout=5):
            done = recover_pending(self.work / "state.json")
        History.load(self.work / "state.json")  # raises if the state does not load
        return done > 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=40, help="kills per command")
    ap.add_argument("--rows", type=int, default=60000, help="rows of the classify feed")
    ap.add_argument("--seed", type=int, default=0)
    opts = ap.parse_args()
    rng = random.Random(opts.seed)
    work = Path(tempfile.mkdtemp(prefix="feedclass-faults-"))
    try:
        t0 = int(time.time()) - 7200
        write_feed(work / "feed_old.csv", opts.rows, 1, t0)
        write_feed(work / "feed_new.csv", opts.rows, 2, t0 + opts.rows)
        write_training(work / "train_old.csv", 3000, 1)
        write_training(work / "train_new.csv", 3000, 2)
        base = run(cli("train", "train_old.csv", "-o", "model.fcm", "--folds", "0"), work)
        assert base.returncode == 0, base.stderr
        cases: list[Case] = [Classify(work), Publish(work), Train(work)]
        # Old files: what an earlier, complete run left.
        ok = [
            run(
                cli("classify", "feed_old.csv", "-m", "model.fcm", "-o", "saved/labelled.csv"), work
            ),
            run(cli("train", "train_old.csv", "-o", "saved/trained.fcm", "--folds", "2"), work),
            run(
                cli(
                    "publish",
                    "feed_old.csv",
                    "-m",
                    "model.fcm",
                    "-o",
                    "saved/published.csv",
                    "--report",
                    "saved/merged.csv",
                    "--history",
                    "saved/state.json",
                    "--id-column",
                    "id",
                    "--time-column",
                    "published",
                ),
                work,
            ),
        ]
        for r in ok:
            assert r.returncode == 0, r.stderr
        print(f"machine shared with other jobs; {opts.trials} kills per command, seed {opts.seed}")
        print(
            f"{'command':<18} {'full run s':>10} {'trials':>6} {'kill s min/med/max':>20} "
            f"{'old':>4} {'new':>4} {'recovered':>9} {'temps after kill':>16} "
            f"{'left after next run':>19} {'inconsistent':>12}"
        )
        total_bad = 0
        for case in cases:
            took = case.prepare()
            counts = {"old": 0, "new": 0, "mixed": 0}
            recovered = left = bad = had_temps = 0
            points: list[float] = []
            for k in range(opts.trials):
                case.reset()
                watch = None
                if rng.random() < 0.5:
                    delay = rng.uniform(0.0, 1.1 * took)
                else:
                    delay = rng.uniform(0.5 * took, 1.1 * took)
                if case.commit_point and k % 3 == 2:
                    watch = work / case.commit_point  # kill right after the state's rename
                delay = killed_run(cli(*case.args()), work, delay, watch)
                points.append(delay)
                try:
                    state, rec = case.check()
                except Exception as exc:  # the state or a model did not load
                    state, rec = "mixed", False
                    print(f"  {case.name}: after a kill at {delay:.2f} s: {exc}")
                counts[state] += 1
                recovered += rec
                if state == "mixed":
                    bad += 1
                    print(f"  {case.name}: mixed files after a kill at {delay:.2f} s")
                if temps(work):
                    had_temps += 1
                    # the next run that writes the same outputs must clean them up
                    case.reset()
                    again = run(cli(*case.args()), work)
                    if again.returncode != 0 or temps(work):
                        left += 1
                        bad += 1
                        print(f"  {case.name}: temporary files left: {temps(work)}")
            total_bad += bad
            q = sorted(points)
            kills = f"{q[0]:.2f}/{statistics.median(q):.2f}/{q[-1]:.2f}"
            print(
                f"{case.name:<18} {took:10.2f} {opts.trials:6d} {kills:>20} {counts['old']:4d} "
                f"{counts['new']:4d} {recovered:9d} {had_temps:16d} {left:19d} {bad:12d}"
            )
        print(f"inconsistencies: {total_bad}")
        if total_bad:
            raise SystemExit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Peak memory on hostile input: a zip-bomb model file, a huge model header, very long headlines.

Each case runs in a fresh Python process that reports its own peak resident memory (``VmHWM``
of /proc/self/status: unlike ``ru_maxrss`` it starts afresh at exec, so the memory of this
script, which built the files, does not count), next to a baseline: classifying a two-row feed
with the same model.

Usage::

    python benchmarks/bench_hostile.py                    # this checkout
    python benchmarks/bench_hostile.py --root ../main     # another checkout, for a before/after
    python benchmarks/bench_hostile.py --bomb-gib 4 --lines-mb 5 19
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent
WORDS = "пожар склад Алматы курс доллар матч финал погода".split()


def peak(root: Path, code: str) -> tuple[int, str]:
    """Peak RSS in MiB of ``code`` run in a fresh interpreter, and the last line it printed."""
    wrapped = (
        "import re, sys\n"
        "try:\n" + "".join(f"    {line}\n" for line in code.splitlines()) + "except SystemExit:\n"
        "    pass\n"
        "except BaseException as exc:\n"
        "    print(type(exc).__name__, str(exc)[:120])\n"
        "status = open('/proc/self/status').read()\n"
        "print('PEAK', re.search(r'VmHWM:\\s*(\\d+)', status).group(1))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(root))
    # run in ``root``: the current folder comes first on sys.path, before PYTHONPATH
    done = subprocess.run(
        [sys.executable, "-c", wrapped],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    kb = int(lines[-1].split()[1]) if lines and lines[-1].startswith("PEAK") else -1
    errors = done.stderr.strip().splitlines()
    said = lines[-2] if len(lines) > 1 else (errors[-1] if errors else "ok")
    return kb >> 10, said[:90]


def cli(args: list[str]) -> str:
    return f"from feedclass.cli import main\nmain({args!r})\n"


def make_model(path: Path, root: Path) -> None:
    texts = [" ".join(WORDS[(i + k) % len(WORDS)] for k in range(5)) for i in range(200)]
    labels = ["a" if i % 2 else "b" for i in range(200)]
    code = (
        "from feedclass import TopicModel\n"
        f"TopicModel(calibrate=False).fit({texts!r}, {labels!r}).save({str(path)!r})\n"
    )
    env = dict(os.environ, PYTHONPATH=str(root))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=root)


def make_bomb(path: Path, model: Path, inflated: int) -> None:
    """``model`` with its idf array replaced by ``inflated`` bytes of zeros (tiny on disk)."""
    with zipfile.ZipFile(model) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if n != "idf.npy"}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        head = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            head, {"descr": "<f4", "fortran_order": False, "shape": (inflated // 4,)}
        )
        with zf.open("idf.npy", "w", force_zip64=True) as fh:
            fh.write(head.getvalue())
            block = bytes(1 << 24)
            for _ in range(inflated // len(block)):
                fh.write(block)


def make_big_header(path: Path, model: Path, size: int) -> None:
    with zipfile.ZipFile(model) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    header = json.loads(members.pop("header.json"))
    header["pad"] = " " * size
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("header.json", json.dumps(header))
        for name, data in members.items():
            zf.writestr(name, data)


def make_line(path: Path, size: int) -> None:
    line = " ".join(WORDS[i % len(WORDS)] for i in range(size // 5))[:size]
    path.write_text(f"id,title\n1,{line}\n2,Курс доллара вырос\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=HERE, help="checkout whose feedclass to run")
    ap.add_argument("--bomb-gib", type=float, default=4.0, help="inflated size of the bomb")
    ap.add_argument("--header-mib", type=int, default=1024, help="size of the huge header")
    ap.add_argument("--lines-mb", type=float, nargs="+", default=[5.0, 19.0])
    opts = ap.parse_args()
    root = opts.root.resolve()
    work = Path(tempfile.mkdtemp(prefix="feedclass-hostile-"))
    model = work / "model.fcm"
    make_model(model, root)
    rows: list[tuple[str, str, int, str]] = []
    small = work / "small.csv"
    make_line(small, 40)
    mib, said = peak(root, cli(["classify", str(small), "-m", str(model), "-o", str(work / "o")]))
    rows.append(("baseline: classify 2 rows", f"{small.stat().st_size:,} B", mib, "ok"))
    bomb = work / "bomb.fcm"
    make_bomb(bomb, model, int(opts.bomb_gib * (1 << 30)))
    mib, said = peak(root, f"from feedclass.model import load_model\nload_model({str(bomb)!r})")
    rows.append(
        (
            f"model: array inflating to {opts.bomb_gib:g} GiB",
            f"{bomb.stat().st_size:,} B",
            mib,
            said,
        )
    )
    big = work / "header.fcm"
    make_big_header(big, model, opts.header_mib << 20)
    mib, said = peak(root, f"from feedclass.model import load_model\nload_model({str(big)!r})")
    rows.append((f"model: {opts.header_mib} MiB header", f"{big.stat().st_size:,} B", mib, said))
    for mb in opts.lines_mb:
        src = work / f"line{mb:g}.csv"
        make_line(src, int(mb * 1_000_000))
        out = work / f"line{mb:g}.out.csv"
        mib, said = peak(root, cli(["classify", str(src), "-m", str(model), "-o", str(out)]))
        kept = out.exists() and out.stat().st_size > src.stat().st_size
        rows.append(
            (
                f"classify: one {mb:g} MB headline",
                f"{src.stat().st_size:,} B",
                mib,
                "ok, row kept whole" if kept else said,
            )
        )
    where = subprocess.run(
        [sys.executable, "-c", "import feedclass; print(feedclass.__file__)"],
        capture_output=True,
        text=True,
        cwd=root,
        env=dict(os.environ, PYTHONPATH=str(root)),
    ).stdout.strip()
    print(f"feedclass from {where}; machine shared with other jobs")
    print(f"{'case':<36} {'file':>14} {'peak MiB':>9}  outcome")
    for case, size, mib, said in rows:
        said = said.replace(f"{work}/", "")
        print(f"{case:<36} {size:>14} {mib:>9}  {said}")
    for p in work.iterdir():
        p.unlink()
    work.rmdir()


if __name__ == "__main__":
    main()

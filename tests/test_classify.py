"""classify_file: every row out, in order, the same bytes whatever the path and threads."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import pytest

from feedclass import classify
from feedclass.classify import annotate, classify_file
from feedclass.errors import DataError

TOPICS = ["Сборная по футболу выиграла матч", "Курс доллара вырос до 490 тенге"]
PLACES = ["в Алматы", "в Астане", 'в "Шымкенте"', "в Караганде, вчера", "в Актобе", "в Таразе"]


def _rows(n: int) -> list[list[str]]:
    rows = []
    for k in range(n):
        title = f"{TOPICS[k % 2]} {PLACES[k // 2 % 6]} {k // 12}"
        if k % 97 == 5:
            title = ""  # no topic, empty cells
        elif k % 89 == 7:
            title = "   "
        rows.append([str(k), title, f"note {k % 7}"])
    return rows


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title", "note"])
        w.writerows(rows)


def _expected(model, rows: list[list[str]]) -> bytes:
    """What the csv module writes for each row plus ``annotate``'s two values."""
    values, _, _ = annotate(model, [r[1] for r in rows])
    path_rows = [["id", "title", "note", "topic", "confidence"]]
    path_rows += [r + v for r, v in zip(rows, values)]
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(path_rows)
    return buf.getvalue().encode("utf-8")


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_blocks_on_several_threads_write_what_the_csv_module_writes(
    tiny_model, tmp_path: Path, monkeypatch, jobs: int
) -> None:
    monkeypatch.setattr(classify, "BLOCK_BYTES", 2048)  # ~40 blocks, several in flight
    rows = _rows(3000)
    src, out = tmp_path / "feed.csv", tmp_path / "out.csv"
    _write(src, rows)
    model = copy.copy(tiny_model)
    model.n_jobs = jobs
    summary = classify_file(src, out, model)
    assert summary.rows == 3000
    assert summary.empty == sum(1 for r in rows if not r[1].strip())
    assert out.read_bytes() == _expected(tiny_model, rows)


def test_a_bad_row_late_in_the_file_is_one_error_and_no_output(
    tiny_model, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(classify, "BLOCK_BYTES", 2048)
    src, out = tmp_path / "feed.csv", tmp_path / "out.csv"
    _write(src, _rows(2000))
    with src.open("ab") as fh:
        fh.write(b"2000,\xff\xfe broken,x\n")
    model = copy.copy(tiny_model)
    model.n_jobs = 2
    with pytest.raises(DataError, match="row 2002"):
        classify_file(src, out, model)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["feed.csv"]

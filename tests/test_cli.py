from __future__ import annotations

import csv
import io
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from feedclass.cli import main
from tests.conftest import EXAMPLES

HEADLINES = ["Сборная по футболу выиграла матч", "", "Курс доллара вырос до 490 тенге"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_train_prints_counts_and_scores(tmp_path: Path, capsys) -> None:
    model = tmp_path / "m.fcm"
    code, out, err = run(
        ["train", str(EXAMPLES / "train.csv"), "-o", str(model), "--folds", "2"], capsys
    )
    assert code == 0, err
    assert "sport" in out and "macro-F1" in out and model.exists()
    code, out, _ = run(["info", str(model)], capsys)
    assert code == 0 and "labels:" in out and "sport" in out and "metrics:" in out


def test_classify_csv_keeps_rows_order_and_fields(
    tiny_model_path: Path, tmp_path: Path, capsys
) -> None:
    src = tmp_path / "feed.csv"
    src.write_text(
        "id,title\n" + "\n".join(f"{i},{t}" for i, t in enumerate(HEADLINES)) + "\n",
        encoding="utf-8",
    )
    code, out, err = run(["classify", str(src), "-m", str(tiny_model_path), "--top-k", "2"], capsys)
    assert code == 0, err
    rows = read_csv(out)
    assert [r["id"] for r in rows] == ["0", "1", "2"]
    assert [r["title"] for r in rows] == HEADLINES
    assert rows[0]["topic"] == "sport" and rows[2]["topic"] == "economy"
    assert rows[1]["topic"] == "" and rows[1]["confidence"] == ""
    assert 0 < float(rows[0]["confidence"]) <= 1 and rows[0]["topic_1"] == "sport"
    assert "1 with empty text" in err


def test_classify_cp1251_semicolon_csv(tiny_model_path: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "excel.csv"
    src.write_bytes(
        "№;Заголовок\n1;Сборная по футболу выиграла матч\n2;Курс доллара вырос\n".encode("cp1251")
    )
    out_path = tmp_path / "out.csv"
    code, _, err = run(
        ["classify", str(src), "-m", str(tiny_model_path), "-o", str(out_path)], capsys
    )
    assert code == 0, err
    raw = out_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads it back right
    text = raw[3:].decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [r["№"] for r in rows] == ["1", "2"]
    assert [r["topic"] for r in rows] == ["sport", "economy"]


def test_classify_jsonl_to_jsonl(tiny_model_path: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "f.jsonl"
    src.write_text(
        "\n".join(
            json.dumps({"headline": t, "n": i}, ensure_ascii=False) for i, t in enumerate(HEADLINES)
        )
        + "\n",
        encoding="utf-8",
    )
    out_path = tmp_path / "o.jsonl"
    code, _, err = run(
        [
            "classify",
            str(src),
            "-m",
            str(tiny_model_path),
            "-o",
            str(out_path),
            "--min-confidence",
            "0.99",
            "--fallback",
            "review",
        ],
        capsys,
    )
    assert code == 0, err
    rows = [json.loads(x) for x in out_path.read_text(encoding="utf-8").splitlines()]
    assert [r["n"] for r in rows] == [0, 1, 2]
    assert rows[0]["topic"] == "review" and "below --min-confidence" in err


def test_classify_stdin_lines_subprocess(tiny_model_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "feedclass.cli", "classify", "-", "-m", str(tiny_model_path)],
        input="\n".join(HEADLINES) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout), delimiter="\t"))
    assert [r["text"] for r in rows] == HEADLINES
    assert rows[0]["topic"] == "sport"


@pytest.mark.parametrize(
    "args, message",
    [
        (["classify", "{missing}", "-m", "{model}"], "no such file"),
        (["classify", "{feed}", "-m", "{model}", "-t", "nope"], "no column 'nope'"),
        (["classify", "{garbage}", "-m", "{model}"], "binary data"),
        (["classify", "{feed}", "-m", "{pickle}"], "pickle"),
        (["classify", "{feed}", "-m", "{garbage}"], "not a feedclass model"),
        (["train", "{feed}", "-l", "label"], "no label column"),
        (["train", "{oneclass}"], "at least 2 topics"),
        (["train", "{emptyrows}"], "no usable rows"),
    ],
)
def test_bad_input_one_line_error_no_output(
    args, message, tiny_model_path, tmp_path, capsys
) -> None:
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 4)
    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(pickle.dumps({"a": 1}))
    one = tmp_path / "one.csv"
    one.write_text("title,label\nА,x\nБ,x\n", encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text("title,label\n,x\nБ,\n", encoding="utf-8")
    names = {
        "missing": tmp_path / "missing.csv",
        "model": tiny_model_path,
        "feed": EXAMPLES / "feed.csv",
        "garbage": garbage,
        "pickle": pkl,
        "oneclass": one,
        "emptyrows": empty,
    }
    out = tmp_path / "out.csv"
    full = [a.format(**names) for a in args] + ["-o", str(out)]
    code, _, err = run(full, capsys)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_usage_error_is_one_line(capsys) -> None:
    code, _, err = run(["classify", "--no-such-flag"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_classify_jobs_give_identical_output(tiny_model_path: Path, tmp_path: Path, capsys) -> None:
    # enough rows that several threads really share the work (each takes thousands of rows)
    topics = ["Сборная по футболу выиграла матч", "Курс доллара вырос до 490 тенге"]
    places = ["в Алматы", "в Астане", "в Шымкенте", "в Караганде", "в Актобе", "в Таразе"]
    src = tmp_path / "f.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title"])
        for k in range(9000):
            w.writerow([k, f"{topics[k % 2]} {places[k // 2 % 6]} {k // 12}"])
    outs = []
    for jobs in ("1", "4"):
        out = tmp_path / f"out{jobs}.csv"
        cmd = ["classify", str(src), "-m", str(tiny_model_path), "-o", str(out), "--jobs", jobs]
        code, _, err = run(cmd, capsys)
        assert code == 0, err
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    rows = read_csv(outs[0].decode("utf-8"))
    assert len(rows) == 9000 and {r["topic"] for r in rows} == {"sport", "economy"}


def test_train_says_when_calibration_cannot_run(tmp_path: Path, capsys) -> None:
    data = tmp_path / "two.csv"
    # one economy headline: never held out, so nothing of two topics is left to calibrate on
    rows = "Гол в ворота,sport\nМатч вничью,sport\nНичья в дерби,sport\nКурс вырос,economy\n"
    data.write_text("title,label\n" + rows, "utf-8")
    code, _, err = run(["train", str(data), "-o", str(tmp_path / "m.fcm"), "--folds", "0"], capsys)
    assert code == 0, err
    assert "warning: calibration skipped" in err


@pytest.mark.parametrize("command", ["classify", "dedup"])
def test_jsonl_lone_surrogate_is_one_line_error_naming_the_line(
    command: str, tiny_model_path: Path, tmp_path: Path, capsys
) -> None:
    # a broken \uXXXX escape decodes to a lone surrogate, which no UTF-8 output can hold: it
    # was an "internal error" (exit 1) in the tokenizer; a valid pair (an emoji) still reads
    src = tmp_path / "feed.jsonl"
    src.write_text(
        '{"id": 1, "title": "Пожар на складе \\ud83d\\udd25"}\n'
        '{"id": 2, "title": "Курс доллара \\ud800 вырос"}\n',
        encoding="utf-8",
    )
    out_file = tmp_path / "out.csv"
    args = [command, str(src), "-o", str(out_file)]
    if command == "classify":
        args += ["--model", str(tiny_model_path)]
    code, _, err = run(args, capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "line 2" in err and "surrogate (\\ud800)" in err
    assert not out_file.exists()
    src.write_text('{"id": 1, "title": "Пожар на складе \\ud83d\\udd25"}\n', encoding="utf-8")
    code, _, err = run(args, capsys)
    assert code == 0, err
    assert "\U0001f525" in out_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("ext", ["jsonl", "rss"])
def test_repeated_column_names_never_lose_a_column(
    ext: str, tiny_model_path: Path, tmp_path: Path, capsys
) -> None:
    # a CSV with two 'id' columns written as JSONL or RSS kept only the second: the first
    # column's values were gone without a word
    src = tmp_path / "feed.csv"
    src.write_text("id,title,id\nA1,Пожар на складе в Алматы,B1\n", encoding="utf-8")
    out = tmp_path / f"out.{ext}"
    code, _, err = run(["classify", str(src), "-o", str(out), "-m", str(tiny_model_path)], capsys)
    assert code == 2 and "more than one column named 'id'" in err and err.count("\n") == 1
    assert not out.exists()
    out = tmp_path / "out.csv"
    code, _, err = run(["classify", str(src), "-o", str(out), "-m", str(tiny_model_path)], capsys)
    assert code == 0, err
    assert (
        out.read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith("A1,Пожар на складе в Алматы,B1,")
    )


def test_one_row_is_counted_in_the_singular(tiny_model_path: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "one.txt"
    src.write_text("Пожар на складе в Алматы\n", encoding="utf-8")
    code, _, err = run(["classify", str(src), "-m", str(tiny_model_path)], capsys)
    assert code == 0 and err == "feedclass: classified 1 row\n"  # was "1 rows"


def test_tune_dedup_on_few_pairs_warns_that_the_threshold_is_a_guess(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "text_1,text_2,label\nПожар на складе в Алматы,Пожар на складе в Алматы,1\n"
        "Курс тенге,Погода в Астане,0\n",
        encoding="utf-8",
    )
    code, out, err = run(["tune-dedup", str(pairs)], capsys)
    assert code == 0, err
    assert "rough guess" in err and "use: feedclass dedup" in out


def test_train_never_writes_the_model_over_a_file_that_is_not_a_model(
    tmp_path: Path, capsys
) -> None:
    # A slip of the keyboard: `-o` names the newsroom's data file instead of a model file.
    data = tmp_path / "archive.csv"
    data.write_text("id,title\n1,Аким посетил новую школу\n", encoding="utf-8")
    before = data.read_bytes()
    args = ["train", str(EXAMPLES / "train.csv"), "--folds", "0", "-o", str(data)]
    code, _, err = run(args, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "not a feedclass model" in err and "--force" in err
    assert data.read_bytes() == before
    # Retraining into an existing model file is the usual workflow, and --force overrides.
    model = tmp_path / "m.fcm"
    assert (
        run(["train", str(EXAMPLES / "train.csv"), "--folds", "0", "-o", str(model)], capsys)[0]
        == 0
    )
    code, _, err = run(
        ["train", str(EXAMPLES / "train.csv"), "--folds", "0", "-o", str(model)], capsys
    )
    assert code == 0, err
    code, _, err = run([*args, "--force"], capsys)
    assert code == 0, err
    assert run(["info", str(data)], capsys)[0] == 0


def test_update_never_writes_the_model_over_a_file_that_is_not_a_model(
    tiny_model_path: Path, tmp_path: Path, capsys
) -> None:
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("title,label\nНовый смартфон представлен в Алматы,tech\n", encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("план выпуска на завтра\n", encoding="utf-8")
    code, _, err = run(["update", str(tiny_model_path), "-c", str(fixes), "-o", str(notes)], capsys)
    assert code == 2 and "not a feedclass model" in err
    assert notes.read_text(encoding="utf-8") == "план выпуска на завтра\n"

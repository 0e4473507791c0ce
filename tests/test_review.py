"""`feedclass review`: the items to ask the editors about first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from feedclass import DataError, TopicModel
from feedclass.review import review_order
from tests.test_cli import read_csv, run


def test_lowest_margin_first_and_no_near_copies(tiny_model: TopicModel) -> None:
    feed = [
        "Сборная по футболу выиграла матч",
        "Курс футбольного клуба на бирже",
        "Курс футбольного клуба на бирже",  # a repost
        "Курс футбольного клуба на бирже!",  # a repost with a mark
        "",
        "Синоптики обещают снег и мороз",
        "Футболисты и театр",
    ]
    items = review_order(tiny_model, feed, n=4)
    idx = [it.index for it in items]
    assert 4 not in idx  # an empty text has nothing to teach
    assert len({1, 2, 3} & set(idx)) == 1  # one of the copies, not three
    margins = [it.margin for it in items]
    assert margins == sorted(margins)
    p = tiny_model.predict_proba([feed[i] for i in idx])
    top2 = np.sort(p, axis=1)[:, ::-1][:, :2]
    np.testing.assert_allclose(top2[:, 0] - top2[:, 1], margins, atol=1e-9)
    assert all(it.guess_1 != it.guess_2 for it in items)
    with pytest.raises(DataError, match="n must be an int >= 1"):
        review_order(tiny_model, feed, n=0)


def test_cli_review_keeps_fields(tiny_model_path: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "feed.csv"
    titles = ["Сборная по футболу выиграла матч", "Курс футбольного клуба", "Снег и мороз"]
    src.write_text(
        "id,title\n" + "".join(f"a{i},{t}\n" for i, t in enumerate(titles)), encoding="utf-8"
    )
    code, out, err = run(["review", str(src), "-m", str(tiny_model_path), "-n", "2"], capsys)
    assert code == 0, err
    rows = read_csv(out)
    assert len(rows) == 2 and rows[0]["review_rank"] == "1"
    assert {r["id"] for r in rows} <= {"a0", "a1", "a2"}
    for r in rows:
        assert r["title"] == titles[int(r["id"][1:])]
        assert float(r["confidence_1"]) >= float(r["confidence_2"])


def test_cli_review_jsonl_keeps_every_field(tiny_model_path: Path, tmp_path: Path, capsys) -> None:
    import json

    src = tmp_path / "feed.jsonl"
    items = [
        {"id": 7, "title": "Сборная по футболу выиграла матч", "meta": {"src": "a"}},
        {"id": 8, "title": "Курс футбольного клуба", "meta": {"src": "b"}},
    ]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), "utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = run(
        ["review", str(src), "-m", str(tiny_model_path), "-n", "5", "-o", str(out)], capsys
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == [7, 8]
    assert all(r["meta"] == items[r["id"] - 7]["meta"] for r in rows)
    assert all("guess_1" in r and "margin" in r for r in rows)

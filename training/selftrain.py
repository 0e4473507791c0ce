"""Self-training on unlabelled 2024 Telegram headlines, with a confidence cut and a drift check.

Used by ``training.build`` (the shipped recipe) and ``training.levers`` (its measurement). A
first model labels the pool; the headlines it is at least ``self_train_cut`` sure of join
training with weight ``self_train_weight``; the model is fitted again. Held-out channels never
give a headline to the pool. Deterministic: same data and parameters, same model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from feedclass import TopicModel
from feedclass.normalize import normalize_text
from training.checks import is_heldout_post, near_check_items
from training.tg_news import load_tg_posts

LEVER_KEYS = ("self_train_cut", "self_train_weight", "calibration_split")

#: Ids (one per line after an ``id`` header) of training-channel posts that are no news: those a
#: reader found to be adverts, promos, polls or memes, and every post of the four channels of
#: programming tutorials (articles, not news; round five). Neither labelled nor self-labelled.
TG_NOT_NEWS = Path(__file__).resolve().parent / "tg_not_news.csv"

#: How the temperature's held-out rows are drawn (``calibration_split``): "grouped" = labelled
#: rows only, whole groups of rewordings at a time; "labelled" = labelled rows only, any row;
#: "rows" = any row, self-labelled ones included (the recipe before issue #19's second round);
#: "channel" = as "grouped", with a Telegram channel's posts of one topic held out together;
#: "telegram" = as "channel", holding out labelled Telegram posts only (today's news);
#: "outchannel" = as "telegram", a channel held out whole (all its topics at once), so the
#: held-out scores are those of a channel the model never saw, as the users' feeds are;
#: "outstory" = as "outchannel", and the internal fit also loses every row that tells a story of
#: the held-out rows (their story group) and the held-out channel's self-labelled posts: the
#: held-out channel's stories are unseen too, as the check channels' are (training drops
#: their retellings).
CALIBRATION_SPLITS = (
    "grouped",
    "labelled",
    "rows",
    "channel",
    "telegram",
    "outchannel",
    "outstory",
)
WHOLE_CHANNEL_SPLITS = ("outchannel", "outstory")


def sender(post_id: str) -> str:
    return post_id[2:].split("_", 1)[0]


def unlabelled_pool(
    data_dir: Path, corpus: list[dict], exclude: frozenset[str] = frozenset()
) -> list[str]:
    """2024 Telegram headlines that are not in ``corpus``, of channels neither held out nor in
    ``exclude`` (sender ids), that retell no check item and that a reader did not find to be no
    news at all (``TG_NOT_NEWS``: adverts, promos, polls)."""
    known = {normalize_text(r["title"]) for r in corpus}
    not_news: set[str] = set()
    if TG_NOT_NEWS.is_file():
        not_news = set(TG_NOT_NEWS.read_text(encoding="utf-8").split()[1:])
    titles: list[str] = []
    for p in load_tg_posts(data_dir / "tg_news_silver" / "raw"):
        if is_heldout_post(p["id"]) or sender(p["id"]) in exclude or p["id"] in not_news:
            continue
        key = normalize_text(p["title"])
        if key and key not in known:
            known.add(key)
            titles.append(p["title"])
    near = near_check_items(titles, data_dir)
    return [t for i, t in enumerate(titles) if i not in near]


def fit_self_trained(
    params: dict[str, Any],
    texts: list[str],
    labels: list[str],
    pool: list[str],
    groups: Sequence[Any] | None = None,
    channel_of: Mapping[str, str] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> tuple[TopicModel, dict[str, Any]]:
    """Fit one config; with ``self_train_cut``, one round of self-training on ``pool``.

    ``sample_weight``: one weight per labelled text (default 1; e.g. the Kazakh keyboard
    copies of ``training.build.with_keyboard_copies``); self-labelled posts weigh
    ``self_train_weight``.

    ``groups`` (one per labelled text, e.g. the rewordings of one story) keep a group whole
    in the calibration split when ``calibration_split`` is "grouped" (the default). The
    channel splits hold out a Telegram channel's posts instead: ``channel_of`` (text -> channel
    group, :func:`channel_groups`) says which, since a story group can span channels; without
    it the groups themselves must be post ids.
    """
    model_params = {k: v for k, v in params.items() if k not in LEVER_KEYS}
    split = params.get("calibration_split", "grouped")
    if split not in CALIBRATION_SPLITS:
        raise ValueError(f"calibration_split must be one of {CALIBRATION_SPLITS}; got {split!r}")
    if split in WHOLE_CHANNEL_SPLITS:
        model_params["calibration_whole_groups"] = True
    first_groups = None
    if groups is not None and split not in ("labelled", "rows"):
        first_groups = [str(g) for g in groups]
        if split in ("channel", "telegram", *WHOLE_CHANNEL_SPLITS):
            if channel_of is not None:
                first_groups = [channel_of.get(t, g) for t, g in zip(texts, first_groups)]
            else:
                first_groups = [_channel_group(g) for g in first_groups]
    first_rows = None
    first_links = None
    if split == "outstory" and groups is not None:
        first_links = [f"s:{g}" for g in groups]
    if split in ("telegram", *WHOLE_CHANNEL_SPLITS):
        if groups is None:
            raise ValueError(f"calibration_split {split!r} needs the groups (post ids)")
        first_rows = [g.startswith("tgchannel:") for g in first_groups or []]
    weights = [1.0] * len(texts) if sample_weight is None else [float(w) for w in sample_weight]
    model = TopicModel(**model_params).fit(
        texts,
        labels,
        sample_weight,
        groups=first_groups,
        calibration_rows=first_rows,
        calibration_links=first_links,
    )
    cut = float(params.get("self_train_cut", 0) or 0)
    if not cut:
        return model, {}
    proba = model.predict_proba(pool)
    classes = np.asarray(model.classes_)
    pseudo = classes[np.argmax(proba, axis=1)]
    keep = np.flatnonzero(proba.max(axis=1) >= cut)
    added = [pool[i] for i in keep]
    weight = float(params.get("self_train_weight", 1.0))
    # The temperature is fitted on held-out human labels only: self-labelled posts are the
    # ones the first model was sure of, so holding them out makes the model overconfident.
    rows = None if split == "rows" else [True] * len(texts) + [False] * len(added)
    if first_rows is not None:
        rows = first_rows + [False] * len(added)
    second_groups = second_links = None
    if first_groups is not None:
        second_groups = [f"l:{g}" for g in first_groups] + [f"p:{i}" for i in keep]
    if first_links is not None and first_groups is not None:
        # A self-labelled post of a held-out channel leaves the internal fit with the channel.
        channels = channel_of or {}
        second_groups = [f"l:{g}" for g in first_groups] + [
            f"l:{channels[pool[i]]}" if pool[i] in channels else f"p:{i}" for i in keep
        ]
        second_links = first_links + [f"p:{i}" for i in keep]
    second = TopicModel(**model_params).fit(
        texts + added,
        labels + pseudo[keep].tolist(),
        sample_weight=weights + [weight] * len(added),
        groups=second_groups,
        calibration_rows=rows,
        calibration_links=second_links,
    )
    # Drift: how the topic shares the model gives the whole unlabelled pool move after it has
    # learned from its own labels (a self-reinforcing model moves them towards big topics).
    before = _shares(pseudo.tolist())
    after = _shares(second.predict(pool).tolist())
    stats = {
        "pool": len(pool),
        "added": len(added),
        "added_shares": _shares(pseudo[keep].tolist()),
        "pool_shares_before": before,
        "pool_shares_after": after,
        "drift_tv": round(0.5 * sum(abs(before.get(k, 0) - after.get(k, 0)) for k in before), 4),
        "pool_changed": round(float(np.mean(second.predict(pool) != pseudo)), 4),
    }
    return second, stats


def recipe_estimator(
    params: dict[str, Any], corpus: list[dict], data_dir: Path, self_training: dict[str, Any] | None
) -> Any:
    """The recipe's estimator over ``corpus``: :class:`SelfTrained` on the unlabelled pool when
    ``self_training`` (its cut, weight and calibration split) is on, else a :class:`TopicModel`.

    Examples
    --------
    >>> type(recipe_estimator({"n_features": 2**10}, [], Path("."), None)).__name__
    'TopicModel'
    """
    pool = unlabelled_pool(data_dir, corpus) if (self_training or {}).get("self_train_cut") else []
    if not pool:
        return TopicModel(**params)
    channel_of = {**pool_channels(data_dir, pool), **channel_groups(corpus)}
    return SelfTrained(params, pool, channel_of=channel_of, **(self_training or {}))


def channel_groups(items: Sequence[dict]) -> dict[str, str]:
    """Text -> calibration group of each labelled Telegram post: its channel.

    Examples
    --------
    >>> channel_groups([{"id": "tg1001_5", "title": "Новость"}, {"id": "pp3", "title": "Иная"}])
    {'Новость': 'tgchannel:1001'}
    """
    return {r["title"]: _channel_group(r["id"]) for r in items if r["id"].startswith("tg")}


def pool_channels(data_dir: Path, pool: Sequence[str]) -> dict[str, str]:
    """Text -> calibration group (its channel, as :func:`channel_groups`) of each post of
    ``pool`` (the titles of :func:`unlabelled_pool`)."""
    wanted = set(pool)
    out: dict[str, str] = {}
    for p in load_tg_posts(data_dir / "tg_news_silver" / "raw"):
        if p["title"] in wanted and p["title"] not in out:
            out[p["title"]] = _channel_group(p["id"])
    return out


def _channel_group(group: str) -> str:
    """A Telegram post's channel as its calibration group (``tg<sender>_<message>`` ids)."""
    return f"tgchannel:{sender(group)}" if group.startswith("tg") else group


def _shares(labels: list[Any]) -> dict[str, float]:
    counts = Counter(str(x) for x in labels)
    return {k: round(v / max(len(labels), 1), 4) for k, v in sorted(counts.items())}


class SelfTrained(ClassifierMixin, BaseEstimator):
    """A :class:`TopicModel` fitted with one round of self-training on ``pool``.

    For grouped cross-validation of the recipe: each fold's first model labels the pool
    afresh, so no fold learns from a model that saw its test items.

    Examples
    --------
    >>> m = SelfTrained({"calibrate": False, "n_features": 2**12}, ["Курс упал"], 0.5, 0.5)
    >>> m.fit(["Гол", "Матч", "Курс вырос", "Цены упали"], ["s", "s", "e", "e"]).classes_.tolist()
    ['e', 's']
    """

    def __init__(
        self,
        params: dict[str, Any] | None = None,
        pool: Sequence[str] = (),
        self_train_cut: float = 0.9,
        self_train_weight: float = 0.5,
        calibration_split: str = "grouped",
        channel_of: Mapping[str, str] | None = None,
    ) -> None:
        self.params = params
        self.pool = pool
        self.self_train_cut = self_train_cut
        self.self_train_weight = self_train_weight
        self.calibration_split = calibration_split
        self.channel_of = channel_of

    def fit(
        self,
        X: Sequence[str],
        y: Sequence[Any],
        sample_weight: Sequence[float] | None = None,
        groups: Sequence[Any] | None = None,
    ) -> SelfTrained:
        params = dict(
            self.params or {},
            self_train_cut=self.self_train_cut,
            self_train_weight=self.self_train_weight,
            calibration_split=self.calibration_split,
        )
        self.model_, self.stats_ = fit_self_trained(
            params, list(X), list(y), list(self.pool), groups, self.channel_of, sample_weight
        )
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return self.model_.predict(X)

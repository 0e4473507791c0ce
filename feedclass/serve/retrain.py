"""Retraining from the desk: editors' topic fixes teach the model, guarded by two scores.

Every topic an editor sets is a correction (read from the action log). A fixed slice of them,
chosen by a seeded hash of the item's key, is never taught: it scores the models. The others
are learned with :func:`feedclass.update.update_model` starting from the desk's current model.
The candidate replaces the current model only if it is not worse on the held-out corrections
nor on a fixed check set of headlines we wrote (``check_headlines.csv``, shipped with the
package). Every model the desk has used is kept in the database as a model file's bytes, so a
rollback is one action and each item's ``model_version`` names a model that can be loaded.
"""

from __future__ import annotations

import csv
import hashlib
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.errors import DataError
from feedclass.serve.desk import ConflictError, Desk, NotFoundError

__all__ = [
    "CHECK_SET",
    "HOLDOUT_SHARE",
    "check_set",
    "is_held_out",
    "model_bytes",
    "model_from_bytes",
    "restore_active",
    "retrain",
    "rollback",
    "versions",
]

#: The fixed check set: headlines we wrote ourselves, one per row with its topic.
CHECK_SET = Path(__file__).resolve().parent / "check_headlines.csv"
#: Share of corrections set apart (never taught) to score the models.
HOLDOUT_SHARE = 0.2
#: The seed of the held-out slice: changing it would mix taught items into the slice.
HOLDOUT_SEED = "feedclass-desk-holdout-1"

_running = threading.Lock()


def is_held_out(key: int, share: float = HOLDOUT_SHARE) -> bool:
    """Whether the correction of item ``key`` belongs to the held-out slice, for good.

    The slice depends only on the key and a fixed seed, so an item taught once is never
    used to score a later retrain, and a held-out one is never taught.

    Examples
    --------
    >>> is_held_out(7) == is_held_out(7)
    True
    >>> 0.15 < sum(is_held_out(k) for k in range(2000)) / 2000 < 0.25
    True
    """
    h = hashlib.sha256(f"{HOLDOUT_SEED}:{int(key)}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64 < share


def check_set(path: Path = CHECK_SET) -> tuple[list[str], list[str]]:
    """The check set's headlines and topics.

    Examples
    --------
    >>> texts, topics = check_set()
    >>> len(texts) == len(topics) >= 30
    True
    """
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["title"] for r in rows], [r["label"] for r in rows]


def model_bytes(model: Any, metadata: dict[str, Any] | None = None) -> bytes:
    """A model file's bytes (written by :meth:`TopicModel.save`, never a pickle)."""
    with tempfile.TemporaryDirectory(prefix="feedclass-model-") as tmp:
        path = Path(tmp) / "model.fcm"
        model.save(path, metadata)
        return path.read_bytes()


def model_from_bytes(data: bytes) -> Any:
    """Load a model from a model file's bytes (checked like any model file)."""
    from feedclass.model import load_model

    with tempfile.TemporaryDirectory(prefix="feedclass-model-") as tmp:
        path = Path(tmp) / "model.fcm"
        path.write_bytes(data)
        return load_model(path)


def _accuracy(model: Any, texts: list[str], topics: list[str]) -> float | None:
    if not texts:
        return None
    pred = [str(p) for p in model.predict(texts)]
    return round(float(np.mean([p == t for p, t in zip(pred, topics, strict=True)])), 4)


@dataclass
class _Scores:
    holdout: float | None
    check: float | None

    def as_json(self, version: str) -> dict[str, Any]:
        return {"version": version, "holdout_accuracy": self.holdout, "check_accuracy": self.check}


def _not_worse(new: float | None, old: float | None) -> bool:
    return new is None or old is None or new >= old


def retrain(desk: Desk, who: str) -> dict[str, Any]:
    """Build a candidate from the desk's model plus the editors' topic fixes; swap it in only
    if it is not worse on the held-out fixes and on the check set.

    Returns
    -------
    dict
        ``swapped``, ``reason``, ``current`` and ``candidate`` (each with ``version``,
        ``holdout_accuracy`` and ``check_accuracy``; None where there was nothing to score),
        ``corrections`` (``taught``, ``held_out``, and ``skipped``: fixes naming a topic the
        model in use lacks), ``check_set`` and ``model_version`` (the
        desk's model afterwards).

    Raises
    ------
    DataError
        No topic fix to teach yet.
    ConflictError
        Another retrain or a rollback is under way, or the model changed meanwhile.
    """
    from feedclass.update import update_model

    if not _running.acquire(blocking=False):
        raise ConflictError("a retrain is already running; try again when it is done")
    try:
        with desk.storage.begin() as conn:
            fixes = desk.storage.topic_fixes(conn)
        known = set(desk.topics)
        # a topic the model in use lacks (fixed under a version since rolled back) is counted
        usable = [f for f in fixes if f[2] in known and f[1].strip()]
        skipped = len(fixes) - len(usable)
        fixes = usable
        taught = [f for f in fixes if not is_held_out(f[0])]
        held = [f for f in fixes if is_held_out(f[0])]
        if not taught:
            raise DataError(
                "no topic fixes to learn from yet"
                + (f" ({len(held)} held out for scoring)" if held else "")
                + ": fix some topics in the desk first"
            )
        current, current_version = desk.model, desk.model_version
        result = update_model(current, [f[1] for f in taught], [f[2] for f in taught])
        candidate = result.model
        ht, hy = [f[1] for f in held], [f[2] for f in held]
        ct, cy = check_set()
        old = _Scores(_accuracy(current, ht, hy), _accuracy(current, ct, cy))
        new = _Scores(_accuracy(candidate, ht, hy), _accuracy(candidate, ct, cy))
        swap = _not_worse(new.holdout, old.holdout) and _not_worse(new.check, old.check)
        data = model_bytes(
            candidate,
            {
                "parent_model": {"version": current_version},
                "corrections_count": len(taught),
                "corrections_held_out": len(held),
                "corrections_learned": round(result.learned, 4),
            },
        )
        version = f"retrain-{hashlib.sha256(data).hexdigest()[:12]}"
        info = {
            "by": who,
            "taught": len(taught),
            "held_out": len(held),
            "scores": {"current": old.as_json(current_version), "candidate": new.as_json(version)},
        }
        reason = (
            "not worse on the held-out corrections nor on the check set"
            if swap
            else "worse than the current model on "
            + " and ".join(
                name
                for name, ok in (
                    ("the held-out corrections", _not_worse(new.holdout, old.holdout)),
                    ("the check set", _not_worse(new.check, old.check)),
                )
                if not ok
            )
        )
        with desk.lock:
            if desk.model is not current:
                raise ConflictError("the model changed during the retrain; retrain again")
            if swap:
                parent = model_bytes(current)
                with desk.storage.begin() as conn:
                    desk.storage.add_model_version(
                        conn, current_version, parent, "", {"origin": "before retrain"}
                    )
                    desk.storage.add_model_version(conn, version, data, current_version, info)
                    desk.storage.set_active_model(conn, version)
                    desk.storage.log_action(
                        conn, who, "retrain", "model", current_version, {"model": version, **info}
                    )
                desk.model, desk.model_version = candidate, version
            else:
                with desk.storage.begin() as conn:
                    desk.storage.log_action(
                        conn,
                        who,
                        "retrain",
                        "model",
                        current_version,
                        {"model": current_version, "rejected": version, **info},
                    )
        return {
            "swapped": swap,
            "reason": reason,
            "current": old.as_json(current_version),
            "candidate": new.as_json(version),
            "corrections": {"taught": len(taught), "held_out": len(held), "skipped": skipped},
            "learned": round(result.learned, 4),
            "check_set": f"{CHECK_SET.name} ({len(ct)} headlines)",
            "model_version": desk.model_version,
        }
    finally:
        _running.release()


def rollback(desk: Desk, version: str, who: str) -> dict[str, Any]:
    """Make a kept model version the desk's model again (it stays so after a restart)."""
    with desk.storage.begin() as conn:
        found = desk.storage.model_data(conn, version)
    if found is None:
        raise NotFoundError(f"no kept model version {version!r}")
    model = model_from_bytes(found[1])
    with desk.lock:
        before = desk.model_version
        with desk.storage.begin() as conn:
            desk.storage.set_active_model(conn, version)
            desk.storage.log_action(conn, who, "rollback", "model", before, {"model": version})
        desk.model, desk.model_version = model, version
    return {"model_version": version, "previous": before}


def versions(desk: Desk) -> list[dict[str, Any]]:
    """Kept model versions, newest first, with their scores and whether the desk uses them."""
    import json

    with desk.storage.begin() as conn:
        rows = desk.storage.model_versions(conn)
    return [
        {
            "version": r.version,
            "created": r.created,
            "parent": r.parent or None,
            "active": r.version == desk.model_version,
            "info": json.loads(r.info or "{}"),
        }
        for r in rows
    ]


def restore_active(desk: Desk) -> str | None:
    """Load the version an admin made active (retrain or rollback), if any; its name."""
    with desk.storage.begin() as conn:
        found = desk.storage.model_data(conn)
    if found is None:
        return None
    model = model_from_bytes(found[1])
    with desk.lock:
        desk.model, desk.model_version = model, found[0]
    return found[0]

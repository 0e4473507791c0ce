"""One news story, one cross-validation group (issue #19).

Grouped CV keeps the rewordings of one news item in one fold. The ParaPhraser pairs and the
SIB-200 translations say which items are rewordings; the Telegram posts and RIA titles say
nothing, and channels repost and retell each other's news on the same day. A retelling in the
training folds makes the item it retells look easier than news the model has not seen, so
every item is also joined to the story that feedclass's own dedup finds it in, at a threshold
below the shipped one (a group too large costs a little balance between folds; a retelling
split across folds costs the figure its meaning).
"""

from __future__ import annotations

from collections.abc import Sequence

from feedclass import NearDuplicates

#: The dedup threshold for CV groups: lower than the shipped 0.75, so looser retellings join.
STORY_THRESHOLD = 0.6


def story_groups(
    titles: Sequence[str], groups: Sequence[str], threshold: float = STORY_THRESHOLD
) -> list[str]:
    """``groups`` merged with the dedup stories of ``titles`` (union of both, as group names).

    Each merged group is named after the smallest original group name in it, so the names are
    stable and the fold assignment reproducible.

    >>> story_groups(
    ...     ["Курс тенге укрепился к доллару", "Тенге укрепился к доллару",
    ...      "В Алматы открылся новый театр", "Сборная выиграла матч"],
    ...     ["a", "b", "c", "c"])
    ['a', 'a', 'c', 'c']
    """
    parent: dict[str, str] = {g: g for g in groups}

    def find(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    stories = NearDuplicates(threshold=threshold).fit_predict(list(titles))
    first: dict[int, str] = {}
    for story, group in zip(stories.tolist(), groups):
        if story in first:
            union(first[story], group)
        else:
            first[story] = group
    return [find(g) for g in groups]

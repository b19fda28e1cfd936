"""Seeded, stratified train/validation/test splits, whole groups kept in one
split, and what the fractions came to.

Grouped data (an EPITOME seeker's responses, a story in several pairs) keeps
each group in one split (``group_keys``: union-find over the group columns).
When whole groups cannot come within ``TOLERANCE`` of the requested fractions
(the EmpathicStories dev pairs link 97 of 100 pairs through shared stories),
pair data is split by story instead (``node_split``): the smaller splits grow
as clusters of densely paired stories, the largest split takes the rest, and
a pair whose two stories fell in different splits is left out and counted.
Other grouped data stops with one line naming what the groups allow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from empathykit.errors import ExportError
from empathykit.releases.configs import ImportedConfig

SPLIT_NAMES = ("train", "validation", "test")
SPLITS = SPLIT_NAMES
#: how far (as a share of all rows) a split may fall from its requested fraction
TOLERANCE = 0.05


def check_fractions(fractions) -> np.ndarray:
    """Three non-negative shares summing to 1, or a one-line ``ExportError``."""
    fractions = np.asarray(fractions, dtype=float)
    if fractions.shape != (3,) or (fractions < 0).any() or not np.isclose(fractions.sum(), 1.0):
        raise ExportError(
            f"split fractions must be three non-negative numbers summing to 1, got {fractions.tolist()}",
            hint="pass --train/--validation/--test that add up to 1, e.g. 0.8 0.1 0.1 or 0.6 0.2 0.2",
        )
    return fractions


def stratified_split(labels, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> np.ndarray:
    """Assign each unit a split, keeping label proportions in every split.

    Args:
        labels: shape ``(n,)``, any hashable labels (the strata).
        fractions: shares of train, validation, test; must sum to 1.
        seed: the same seed and labels always give the same assignment.

    Returns:
        shape ``(n,)`` array of split names. Within each label, units are
        shuffled and cut at the cumulative fractions (rounded), so a label
        with ``k`` units puts ``round(0.8 k)`` in train.
    """
    fractions = check_fractions(fractions)
    labels = np.asarray(labels, dtype=object)
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(labels), dtype=object)
    cuts = np.cumsum(fractions)[:2]
    for label in sorted(set(labels.tolist()), key=str):
        members = np.flatnonzero(labels == label)
        members = members[rng.permutation(len(members))]
        bounds = np.rint(cuts * len(members)).astype(int)
        for name, part in zip(SPLIT_NAMES, np.split(members, bounds)):
            assignment[part] = name
    return assignment


def group_keys(config: ImportedConfig, group_by: str | None) -> list[str]:
    """A group key per row: rows linked by any group column (a story shared by
    two pairs) end up in one group (union-find over the column values)."""
    columns = _columns(config, group_by)
    if not columns:
        return [row["item_id"] for row in config.rows]
    missing = [c for c in columns if c not in config.rows[0]]
    if missing:
        raise ExportError(
            f"{config.name}: no group column {missing[0]!r}; columns are {sorted(config.rows[0])}",
            hint="pass --group-by with one of those columns",
        )
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for row in config.rows:
        keys = _keys(row, columns)
        for key in keys[1:]:
            parent[root(key)] = root(keys[0])
    return [root(_keys(row, columns)[0]) for row in config.rows]


def _keys(row: dict[str, Any], columns: tuple[str, ...]) -> list[str]:
    # one namespace for all group columns: story_a_id and story_b_id name the same stories
    return [f"={row[c]}" for c in columns if row[c] not in ("", None)] or [f"item={row['item_id']}"]


def grouped_split(
    config: ImportedConfig, group_by: str | None, fractions, seed: int, *, strict: bool = False
) -> dict[str, str | None]:
    """item_id -> split: stratified by label (a group takes its first row's),
    seeded, whole groups. ``strict``: when whole groups cannot come within
    ``TOLERANCE`` of ``fractions``, pair data (two group columns) is split by
    :func:`node_split` (left-out pairs map to None) and anything else stops."""

    groups = group_keys(config, group_by)
    first: dict[str, Any] = {}
    sizes: dict[str, int] = {}
    for key, row in zip(groups, config.rows):
        first.setdefault(key, row["label"] if config.kind == "choice" else "all")
        sizes[key] = sizes.get(key, 0) + 1
    keys = list(first)
    if len(keys) == len(groups):  # no group of several rows: the plain stratified split
        assigned = dict(zip(keys, stratified_split([first[k] for k in keys], fractions, seed)))
    else:
        assigned = _fill(keys, sizes, first, fractions, seed)
    empty = [s for s, share in zip(SPLITS, fractions) if share > 0 and s not in assigned.values()]
    by_item = {row["item_id"]: assigned[key] for key, row in zip(groups, config.rows)}
    columns = _columns(config, group_by)
    grouped = len(keys) < len(groups)
    if not grouped or not strict or (not empty and off_by(by_item, fractions) <= TOLERANCE):
        if empty:
            raise ExportError(
                f"{config.name}: {len(keys)} group(s) leave split {empty[0]!r} empty",
                hint="use fewer, smaller groups (--group-by) or other fractions",
            )
        return by_item
    if len(columns) == 2:  # pairs: split the stories, leave out the pairs that would cross
        return node_split(config, columns, fractions, seed)
    achieved = "/".join(f"{share:.0%}" for share in achieved_fractions(by_item))
    raise ExportError(
        f"{config.name}: grouping by {', '.join(columns)} keeps {len(keys)} group(s) whole and "
        f"gives {achieved} instead of {'/'.join(f'{f:.0%}' for f in fractions)}",
        hint="group by a finer column (--group-by) or ask for other fractions",
    )


def _fill(keys: list[str], sizes: dict[str, int], strata: dict[str, Any], fractions, seed: int) -> dict[str, str]:
    """Whole groups per stratum, largest first (seeded order among equals),
    each into the split furthest below its share of the stratum's rows: the
    fractions hold by rows, not by groups."""
    rng = np.random.default_rng(seed)
    assigned = {}
    for stratum in sorted(set(strata.values()), key=str):
        members = [keys[i] for i in rng.permutation(len(keys)) if strata[keys[i]] == stratum]
        members.sort(key=lambda k: -sizes[k])  # stable: the seeded order among equal sizes
        target = np.asarray(fractions, float) * sum(sizes[k] for k in members)
        filled = np.zeros(3)
        for key in members:
            at = int(np.argmax(target - filled))
            assigned[key] = SPLITS[at]
            filled[at] += sizes[key]
    return assigned


def carved_split(config: ImportedConfig, fractions, seed: int) -> dict[str, str]:
    """Release train/test kept; validation carved from train, stratified and seeded."""

    train = [r for r in config.rows if r["release_split"] == "train"]
    share = fractions[1] / (fractions[0] + fractions[1])
    labels = [r["label"] if config.kind == "choice" else "all" for r in train]
    carved = stratified_split(labels, (1 - share, share, 0.0), seed)
    split = {
        r["item_id"]: (
            "test"
            if r["release_split"] == "test"
            else "validation"
            if r["release_split"] in ("dev", "validation")
            else "train"
        )
        for r in config.rows
    }
    split.update({r["item_id"]: s for r, s in zip(train, carved)})
    return split


def _columns(config: ImportedConfig, group_by: str | None) -> tuple[str, ...]:
    columns = (group_by,) if group_by else config.group_by
    if not columns:
        return ()
    return (columns,) if isinstance(columns, str) else tuple(columns)


def achieved_fractions(by_item: dict[str, str | None]) -> list[float]:
    """Share of each split among the items placed (left-out items not counted)."""
    placed = [s for s in by_item.values() if s is not None]
    return [placed.count(name) / len(placed) if placed else 0.0 for name in SPLIT_NAMES]


def off_by(by_item: dict[str, str | None], fractions) -> float:
    """The largest gap between a split's share and its requested fraction."""
    return float(np.max(np.abs(np.asarray(achieved_fractions(by_item)) - np.asarray(fractions, float))))


def node_split(config: ImportedConfig, columns: tuple[str, ...], fractions, seed: int) -> dict[str, str | None]:
    """Pairs split by their nodes (stories): item_id -> split, None for a pair whose two
    nodes fell in different splits. Raises when even this misses ``TOLERANCE``."""
    ends = [_keys(row, columns)[:2] for row in config.rows]
    ends = [(pair[0], pair[-1]) for pair in ends]
    where = _grow_clusters(ends, np.asarray(fractions, float), seed)
    by_item = {
        row["item_id"]: (SPLIT_NAMES[where[a]] if where[a] == where[b] else None)
        for row, (a, b) in zip(config.rows, ends)
    }
    if off_by(by_item, fractions) > TOLERANCE:
        achieved = "/".join(f"{share:.0%}" for share in achieved_fractions(by_item))
        raise ExportError(
            f"{config.name}: the pairs' {', '.join(columns)} link them so densely that even splitting "
            f"by them gives {achieved} instead of {'/'.join(f'{f:.0%}' for f in fractions)}",
            hint="ask for other fractions, or export more pairs",
        )
    return by_item


def _grow_clusters(ends: list[tuple[str, str]], fractions: np.ndarray, seed: int) -> dict[str, int]:
    """node -> split index: each smaller split grows from a seeded start, always taking the
    node with the most links into it (then the fewest links in all), until it holds its
    share of the pairs; the largest split takes every node left."""
    links: dict[str, list[str]] = {}
    for a, b in ends:
        links.setdefault(a, []).append(b)
        links.setdefault(b, []).append(a)
    order = [list(links)[i] for i in np.random.default_rng(seed).permutation(len(links))]
    where: dict[str, int] = {}
    largest = int(np.argmax(fractions))
    for split in sorted(range(3), key=lambda s: fractions[s]):
        if split == largest or fractions[split] == 0:
            continue
        inside, target = 0, fractions[split] * len(ends)
        while inside < target - 0.5:
            free = [node for node in order if node not in where]
            if not free:
                break
            gain = {node: sum(where.get(other) == split for other in links[node]) for node in free}
            best = max(free, key=lambda node: (gain[node], -len(links[node])))
            where[best] = split
            inside += gain[best]
    return {node: where.get(node, largest) for node in links}

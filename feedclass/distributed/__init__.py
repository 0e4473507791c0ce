"""Classify and deduplicate sharded archives on a Dask cluster (``dask.distributed``).

The distributed path calls the same per-batch library functions as a single process
(:func:`feedclass.classify.classify_file`, the dedup package's steps); this package only
decides where each shard runs (:mod:`~feedclass.distributed.cluster`) and how dedup
candidates meet (:mod:`~feedclass.distributed.candidates`, through the files of
:mod:`~feedclass.distributed.exchange`, beside the output). Every worker must see the input and
output paths under the same names (one machine, or a shared file system).

What workers trust: Dask moves task arguments and results between processes with pickle, so
only run workers and a scheduler you control. The model goes to each worker once, as the bytes
of its file, and is loaded there with :func:`feedclass.model.load_model` (data, never pickle).

Dask is the ``dask`` extra (``pip install 'feedclass[dask]'``), imported only when a cluster
is asked for.
"""

from __future__ import annotations

from feedclass.distributed.classify import ShardsSummary, classify_shards
from feedclass.distributed.cluster import dask_client, parse_address
from feedclass.distributed.dedup import DedupShardsSummary, dedup_shards

__all__ = [
    "DedupShardsSummary",
    "ShardsSummary",
    "classify_shards",
    "dask_client",
    "dedup_shards",
    "parse_address",
]

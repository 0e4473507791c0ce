"""The shuffle's pieces as files in a folder every worker reads: each written once, read once.

A shuffle task makes one piece for each partition downstream. Kept as one Dask result, a
spilled parent is read back whole for every piece taken from it (at 10M headlines that
wrote ~230 GB per worker for a ~19 GB shuffle), and Dask's P2P shuffle moved ~30 MB/s on
this machine. Here each piece is a raw array file written by the task that makes it and read
by the one task that needs it; Dask still schedules, retries and orders every task. The
folder is beside the output, which every worker writes into already.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.errors import ClusterError, InputFileError

__all__ = ["Exchange"]


class Exchange:
    """A scratch folder of shuffle pieces, named ``(stage, source, dest)``.

    Pieces are written to a temporary name and renamed, so a task retried after its worker
    was lost rewrites a whole piece and a reader never sees half of one. The folder goes
    with :meth:`remove` (the caller calls it when the run ends, also on error).

    Examples
    --------
    >>> import numpy as np
    >>> ex = Exchange.beside("/tmp/out")
    >>> ex.write("band", 0, [np.arange(3, dtype=np.int64), np.arange(0, dtype=np.int64)])
    [3, 0]
    >>> ex.read("band", [3], 0, np.int64)[0].tolist()
    [0, 1, 2]
    >>> ex.remove()
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    @classmethod
    def beside(cls, dest: str | os.PathLike[str]) -> Exchange:
        """A new hidden folder next to ``dest`` (same file system as the output)."""
        final = Path(dest)
        parent = final.parent if str(final.parent) else Path(".")
        if not parent.is_dir():
            raise InputFileError(f"{final}: folder {parent} does not exist")
        return cls(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".shuffle", dir=parent))

    def _path(self, stage: str, source: int, dest: int) -> Path:
        return self.folder / f"{stage}-{source}-{dest}.bin"

    def write(self, stage: str, source: int, pieces: list[Any]) -> list[int]:
        """Write ``pieces[d]`` for each destination ``d`` of ``source``; returns their sizes.

        Empty pieces are not written (the reader knows them by their size 0).
        """
        sizes = []
        for d, piece in enumerate(pieces):
            piece = np.ascontiguousarray(piece)
            sizes.append(int(piece.size))
            if piece.size == 0:
                continue
            path = self._path(stage, source, d)
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
            # Scratch data: no fsync (it would force the whole shuffle to the disk).
            with open(tmp, "wb") as fh:
                piece.tofile(fh)
            os.replace(tmp, path)
        return sizes

    def read(self, stage: str, sizes: list[int], dest: int, dtype: Any) -> list[Any]:
        """The pieces that each source ``s`` wrote for ``dest``, of ``sizes[s]`` entries each.

        A piece missing or of another size (the folder was cleaned under a running job)
        raises :class:`~feedclass.errors.ClusterError` rather than losing candidates.
        """
        out = []
        for s, size in enumerate(sizes):
            if size == 0:
                out.append(np.zeros(0, dtype=dtype))
                continue
            path = self._path(stage, s, dest)
            try:
                piece = np.fromfile(path, dtype=dtype)
            except OSError as exc:
                raise ClusterError(f"shuffle piece {path}: {exc.strerror}") from None
            if piece.size != size:
                raise ClusterError(
                    f"shuffle piece {path}: {piece.size} entries where {size} were written"
                )
            out.append(piece)
        return out

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

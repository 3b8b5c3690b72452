""".npy files written a chunk at a time: tensors larger than memory go to disk with a bounded
footprint, in numpy's own format (np.load(..., allow_pickle=False) reads them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np


class NpyWriter:
    """An .npy of known final shape, filled by `append` in first-axis order."""

    def __init__(self, path: Path, dtype: np.dtype, shape: tuple[int, ...]):
        self.path, self.dtype, self.shape = path, np.dtype(dtype), shape
        self.written = 0
        self._file = path.open("wb")
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False}
        np.lib.format.write_array_header_1_0(self._file, {**header, "shape": shape})

    def append(self, rows: np.ndarray) -> None:
        if rows.shape[1:] != self.shape[1:]:
            raise ValueError(f"{self.path}: rows of shape {rows.shape[1:]}, not {self.shape[1:]}")
        if len(rows):
            self._file.write(memoryview(np.ascontiguousarray(rows, dtype=self.dtype)).cast("B"))
        self.written += len(rows)

    def close(self) -> None:
        self._file.close()
        if self.written != self.shape[0]:
            raise RuntimeError(f"{self.path}: wrote {self.written} rows of {self.shape[0]}")


def blocks(total: int, size: int) -> Iterator[slice]:
    for start in range(0, total, size):
        yield slice(start, min(start + size, total))

"""``storage.sparse``: how much of a file is data, measured by its extents (``SEEK_DATA``/``SEEK_HOLE``),
not by the blocks it takes on disk.

A site file over 64 MiB (``site/publish.py``) and a CSV (``importers/tabular.py``) were called "mostly
holes" when ``st_blocks * 512`` was under half their size. On ZFS or btrfs with compression, a real video
that compresses well takes few blocks: it was left out of the published site (a CSV: cut at 64 MiB).
No compressing file system can be mounted here; the contract is checked on real files: dense and sparse
ones, a sysfs file (its data is real and takes no block, as a compressed file's takes fewer), the walk's
bounds, and the ``st_blocks`` fallback of a platform without ``SEEK_DATA``."""
from __future__ import annotations

import os

import pytest

from reportgen.storage.sparse import data_bytes, mostly_holes

pytestmark = pytest.mark.skipif(not hasattr(os, "SEEK_DATA"), reason="SEEK_DATA (Linux, macOS)")


def _sparse(path, size, chunks):
    """A file of ``size`` bytes, holes but 4 KiB of data at each offset in ``chunks``."""
    with open(path, "wb") as fh:
        for at in chunks:
            fh.seek(at)
            fh.write(os.urandom(4096))
        fh.truncate(size)
    if os.stat(path).st_blocks * 512 > size // 4:
        pytest.skip("this file system does not keep holes")
    return path


def test_a_dense_file_is_all_data_and_a_sparse_one_mostly_holes(tmp_path):
    dense = tmp_path / "dense.csv"
    dense.write_bytes(os.urandom(3 << 20))
    sparse = _sparse(tmp_path / "v.mp4", 256 << 20, [0, 128 << 20])
    fd, fs = os.open(dense, os.O_RDONLY), os.open(sparse, os.O_RDONLY)
    try:
        assert data_bytes(fd) == 3 << 20 and mostly_holes(fd) is None
        os.lseek(fs, 100, os.SEEK_SET)
        data = data_bytes(fs)
        assert 8192 <= data < 1 << 20 and mostly_holes(fs) == data
        assert os.lseek(fs, 0, os.SEEK_CUR) == 100  # (the offset is left where it was: a reader goes on)
    finally:
        os.close(fd)
        os.close(fs)


def test_data_the_disk_holds_in_no_block_is_data(tmp_path):
    """A sysfs file holds 4,096 bytes of data in no block on disk (``st_blocks`` 0), as a compressed file
    holds its data in fewer blocks than its size: by ``st_blocks`` it was "all holes"; by its extents it
    is all data."""
    path = "/sys/devices/system/cpu/online"
    if not os.path.exists(path):
        pytest.skip("no sysfs here")
    fd = os.open(path, os.O_RDONLY)
    try:
        st = os.fstat(fd)
        if st.st_blocks * 512 >= st.st_size:
            pytest.skip("this sysfs reports blocks")
        try:
            os.lseek(fd, 0, os.SEEK_DATA)
        except OSError:
            pytest.skip("this sysfs has no SEEK_DATA")
        assert st.st_size > 0 and data_bytes(fd) == st.st_size and mostly_holes(fd) is None
    finally:
        os.close(fd)


def test_the_walk_is_bounded(tmp_path):
    """The walk stops once enough data is found to decide, and after ``max_extents`` extents (a file of
    many small holes), where what it counted or the bytes the file takes on disk stand for its data."""
    path = _sparse(tmp_path / "holes.bin", 64 << 20, [i << 20 for i in range(50)])
    fd = os.open(path, os.O_RDONLY)
    try:
        assert data_bytes(fd) == 50 * 4096  # (all 50 extents walked)
        assert 4096 <= data_bytes(fd, enough=1) < 50 * 4096  # (one extent is enough to decide)
        assert data_bytes(fd, max_extents=5) == max(5 * 4096, os.fstat(fd).st_blocks * 512)
        assert mostly_holes(fd) is not None
    finally:
        os.close(fd)


def test_without_seek_data_the_blocks_on_disk_decide(tmp_path, monkeypatch):
    """A platform without ``SEEK_DATA`` (the same branch as a file system that answers ``EINVAL``): the
    blocks the file takes on disk stand for its data."""
    dense = tmp_path / "dense.csv"
    dense.write_bytes(os.urandom(1 << 20))
    sparse = _sparse(tmp_path / "v.mp4", 256 << 20, [0])
    monkeypatch.delattr(os, "SEEK_DATA")
    fd, fs = os.open(dense, os.O_RDONLY), os.open(sparse, os.O_RDONLY)
    try:
        assert data_bytes(fd) == os.fstat(fd).st_blocks * 512 >= 1 << 20 and mostly_holes(fd) is None
        assert data_bytes(fs) == os.fstat(fs).st_blocks * 512 and mostly_holes(fs) is not None
    finally:
        os.close(fd)
        os.close(fs)

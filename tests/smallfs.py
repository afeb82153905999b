"""Real file systems that fail writes, for the storage-failure tests: a size-limited tmpfs the test
mounts (root, or a user allowed to mount), filled with a ballast file to make it full, and a folder
made read-only. Where the machine cannot mount one, the test is skipped with the reason."""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


@contextmanager
def tmpfs(mnt: Path, size: str = "4m", why: str = "") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``mnt`` (made if missing) for the block; skips the test when it
    cannot be mounted (``why``: what the test covers instead, for the skip's reason)."""
    mnt.mkdir(parents=True, exist_ok=True)
    try:
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a {size} tmpfs to fill ({exc}){why}")
    if res.returncode != 0:
        pytest.skip(f"cannot mount a {size} tmpfs to fill (needs root: {res.stderr.strip()}){why}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)


def fill(mnt: Path, leave: int = 0) -> Path:
    """Fill the file system of ``mnt`` with ``mnt/ballast`` but for ``leave`` bytes (0: full); returns the
    ballast's path (delete it to give the space back)."""
    st = os.statvfs(mnt)
    ballast = mnt / "ballast"
    with open(ballast, "wb") as fh:
        try:
            fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
            fh.flush()
        except OSError:
            pass  # full
    return ballast


@contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """``folder`` read-only for the block: bound on itself read-only (root, whom its mode would not
    stop: a write there is EROFS), or by its mode (EACCES)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    res = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        pytest.skip(f"cannot bind {folder} on itself: {res.stderr.strip()}")
    try:
        res = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True, text=True,
                             timeout=30)
        if res.returncode != 0:
            pytest.skip(f"cannot make the bind mount of {folder} read-only: {res.stderr.strip()}")
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)

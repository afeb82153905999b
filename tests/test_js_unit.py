"""The fast unit tier of the browser code: ``node --test tests/js/`` (node's built-in runner,
no npm packages) over the pure functions of reportgen/assets, run as part of pytest."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import REPO


def test_node_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian: apt-get install nodejs); the browser unit tier needs it")
    proc = subprocess.run([node, "--test", "tests/js/"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout

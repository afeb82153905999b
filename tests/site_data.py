"""Read a built site's chart data as the page sees it: decoded by ``assets/loader.js`` in node
(``tests/js/decode_cli.js``), so a test checks the Python encoder and the JS decoder together."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from reportgen.site.rundata import metric_id

CLI = Path(__file__).resolve().parent / "js" / "decode_cli.js"


def decoded(site: Path, run: str, key: str, *, overview: bool = False, weight: int | None = None) -> dict:
    """``{"p": {key, run, n, x, y, nf, lo, hi}, "ss": [...] | None}`` for metric ``key`` of ``run``."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian: apt-get install nodejs); decoding site data needs it")
    args = [node, str(CLI), str(site), run, metric_id(key), "overview" if overview else "full"]
    if weight is not None:
        args.append(str(weight))
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(proc.stdout)

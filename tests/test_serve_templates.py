"""serve --watch follows the site's templates: editing one rebuilds the pages being served."""
from __future__ import annotations

import os
import shutil
import time
import urllib.request

from serveproc import REPO, ServeProcess


def test_editing_a_template_rebuilds_served_pages(tmp_path):
    # a private copy of the package, so the test edits its templates and not the repository's
    pkg = tmp_path / "checkout"
    shutil.copytree(REPO / "reportgen", pkg / "reportgen", ignore=shutil.ignore_patterns("__pycache__"))
    runs = tmp_path / "runs"
    env = {"PYTHONPATH": str(pkg), "REPORTGEN_DIR": str(runs)}
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", "import reportgen; reportgen.init(project='p', id='r1');"
                    "reportgen.log({'loss': 1.0}); reportgen.finish()"], env={**os.environ, **env}, check=True,
                   cwd=tmp_path)
    server = ServeProcess(str(runs), "--watch", "--port", "0", env=env, cwd=tmp_path)
    try:
        assert f"{pkg / 'reportgen' / 'templates'}" in server.stderr() or _wait(lambda: str(pkg / "reportgen" / "templates") in server.stderr())
        base = pkg / "reportgen" / "templates" / "base.html"
        base.write_text(base.read_text().replace("</footer>", "<span id=edited>template edited</span></footer>"))
        assert _wait(lambda: b"template edited" in urllib.request.urlopen(server.url + "runs/r1/index.html").read()), \
            server.stderr()
        assert b"template edited" in urllib.request.urlopen(server.url + "index.html").read()
    finally:
        server.stop()


def _wait(cond, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return cond()

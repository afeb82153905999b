from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from browser import SiteBrowser, chromium_path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def _playwright_browser():
    from playwright.sync_api import sync_playwright

    from browser import LAUNCH_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site_browser(_playwright_browser, request):
    """Open built pages from file://; the test fails on console errors, page errors
    or any request that leaves the site (anything but file:, data:, blob:). Tests marked
    ``vega_charts`` get metric charts drawn by Vega from the start (they inspect its view)."""
    sb = SiteBrowser(_playwright_browser)
    if request.node.get_closest_marker("vega_charts"):
        sb.use_vega_charts()
    yield sb
    problems = sb.problems.all()
    sb.close()
    assert not problems, "browser problems:\n" + "\n".join(problems)


def run_cli(*args: str, cwd: Path | None = None, check: bool = True, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m reportgen`` in a real subprocess against this checkout."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "reportgen", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"reportgen {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> Path:
    """The demo built once per session (real training, real build)."""
    out = tmp_path_factory.mktemp("demo") / "site"
    run_cli("demo", "-o", str(out), "--quiet")
    return out


@pytest.fixture(scope="session")
def tracker_sources(tmp_path_factory) -> dict[str, Path]:
    """Other trackers' folders written by the real libraries, once per session (tests/import_sources.py)."""
    pytest.importorskip("tensorboard")
    from import_sources import make_sources

    return make_sources(tmp_path_factory.mktemp("sources"))

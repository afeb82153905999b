"""The run page tells the run's story: crash + traceback, signal, stale heartbeat, console, system, alerts.

Runs are written by the real SDK in subprocesses, the site by ``python -m reportgen build``,
and the pages checked in headless Chromium at 1440 and 390 px.
"""
from __future__ import annotations

import json
import signal
import socket
import time

import pytest

from reportgen.site import story
from test_run_story import run, start

pytestmark = pytest.mark.browser

CRASH = """
    import subprocess, sys, time, reportgen
    run = reportgen.init(project="p", id="crash", dir="runs", settings={"x_stats_sampling_interval": 0.1})
    print("\\x1b[1;31mERROR\\x1b[0m in \\x1b[38;5;33mdata\\x1b[0m loader")
    print("<script>window.pwned = 1</script> & <b>not bold</b>")
    for i in range(0, 101, 20):
        sys.stderr.write(f"\\r{i:3d}%|" + "#" * (i // 10)); sys.stderr.flush()
    sys.stderr.write("\\n")
    for i in range(60):
        print(f"epoch {i} loss {1 / (i + 1):.4f}")
    sys.stdout.flush()
    subprocess.run([sys.executable, "-c", "print('child says hi')"])
    run.alert("Loss spike", "loss jumped at step 3", level="WARN")
    t = time.time()
    while time.time() - t < 1.0:  # a training loop that leaves the sampler thread some CPU
        run.log({"loss": 1.0})
        time.sleep(0.005)
    raise RuntimeError("CUDA out of memory at step 3100")
"""


@pytest.fixture(scope="module")
def story_site(tmp_path_factory):
    from conftest import run_cli

    tmp = tmp_path_factory.mktemp("story")
    code, _, err = run(tmp, CRASH)
    assert code == 1, err
    proc = start(tmp, """
        import time, reportgen
        reportgen.init(project="p", id="term", dir="runs")
        print("ready", flush=True)
        while True:
            reportgen.log({"x": 1}); time.sleep(0.01)
    """)
    assert proc.stdout.readline().strip() == b"ready"
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    code, _, err = run(tmp, """
        import reportgen
        reportgen.init(project="p", id="stale", dir="runs").log({"x": 1})
        reportgen.finish()
    """)
    assert code == 0, err
    # the same run as another machine left it: running, its heartbeat an hour old
    meta_path = tmp / "runs" / "stale" / "run.json"
    meta = json.loads(meta_path.read_text())
    meta.update(state="running", host="not-" + socket.gethostname(), heartbeat=time.time() - 3600, exit_code=None)
    meta_path.write_text(json.dumps(meta))
    run_cli("build", str(tmp / "runs"), "-o", str(tmp / "site"))
    return tmp / "site", tmp / "runs"


@pytest.mark.parametrize("width", [1440, 390])
def test_crashed_run_page_shows_reason_traceback_console_and_system(story_site, site_browser, width):
    site, runs = story_site
    page = site_browser.open(site / "runs" / "crash" / "index.html")
    page.set_viewport_size({"width": width, "height": 900})
    ending = page.locator("#rg-ending")
    assert "Crashed" in ending.inner_text() and "RuntimeError: CUDA out of memory at step 3100" in ending.inner_text()
    tb = page.locator(".rg-traceback").inner_text()
    assert tb.startswith("Traceback (most recent call last):") and "train.py" in tb
    # the banner comes before everything else on the page
    assert page.evaluate("document.querySelector('#rg-ending').getBoundingClientRect().top"
                         " < document.querySelector('.rg-run-head').getBoundingClientRect().top")

    # console: one numbered row per line of output.log, colours as spans, text never parsed as HTML
    lines = (runs / "crash" / "output.log").read_text().split("\n")
    lines = lines[:-1] if lines[-1] == "" else lines
    rows = page.locator(".rg-con-line")
    assert rows.count() == len(lines)
    assert page.locator(".rg-con-num").nth(len(lines) - 1).inner_text() == str(len(lines))
    # stdout and stderr are separate pipes: which of their lines comes first is not fixed
    red = page.locator(".rg-con-line", has_text="ERROR in data loader").first.locator("span.rg-ansi").first
    assert red.inner_text() == "ERROR"
    assert red.evaluate("e => getComputedStyle(e).color") == "rgb(205, 49, 49)"
    assert red.evaluate("e => getComputedStyle(e).fontWeight") in ("700", "bold")
    assert page.locator(".rg-console-rows script, .rg-console-rows b").count() == 0
    assert page.locator(".rg-console-raw").count() == 0  # the plain copy (no-JS fallback) is gone
    assert page.evaluate("window.pwned") is None
    assert "<script>window.pwned = 1</script> & <b>not bold</b>" in page.locator(".rg-console-rows").inner_text()
    assert "100%|##########" in page.locator(".rg-console-rows").inner_text()
    assert " 20%|" not in page.locator(".rg-console-rows").inner_text()
    errors = page.locator(".rg-con-err")
    assert errors.count() >= 3  # the red line, "Traceback ...", "RuntimeError: ..."
    assert any("RuntimeError: CUDA out of memory" in t for t in errors.all_inner_texts())
    assert not any(t.split(None, 1)[-1].startswith("epoch") for t in errors.all_inner_texts())

    # search: matches counted and highlighted; Enter moves to the next one
    page.fill(".rg-console-search", "0 LOSS")  # epochs 0, 10, ... 50, case-insensitive
    assert page.locator(".rg-console-count").inner_text() == "1 / 6"
    assert page.locator(".rg-con-hit").count() == 6
    page.press(".rg-console-search", "Enter")
    assert page.locator(".rg-console-count").inner_text() == "2 / 6"
    assert "epoch 10 loss" in page.locator(".rg-con-current").inner_text()
    page.fill(".rg-console-search", "")
    assert page.locator(".rg-con-hit").count() == 0

    body = page.locator(".rg-console-rows")
    assert body.evaluate("e => e.scrollHeight > e.clientHeight")
    page.click(".rg-console-end")
    assert body.evaluate("e => e.scrollTop + e.clientHeight >= e.scrollHeight - 2")

    # system metrics: real samples drawn as lines over the run's time
    charts = page.locator(".rg-sys-chart")
    assert charts.count() >= 4
    titles = [c.get_attribute("data-title") for c in charts.all()]
    assert titles[:2] == ["CPU", "Memory"]
    points = page.locator(".rg-sys-chart polyline").first.get_attribute("points").split()
    assert len(points) >= 2  # at least a line; how many samples fit depends on the machine's load

    assert "Loss spike" in page.locator("#rg-alerts").inner_text()
    env = page.locator("#rg-env").inner_text()
    assert "python" in env and "Installed packages" in env

    for sel in ("#rg-ending", "#rg-console", "#rg-system", "#rg-alerts", "#rg-env"):
        right = page.evaluate(f"document.querySelector('{sel}').getBoundingClientRect().right")
        assert right <= width, f"{sel} overflows the {width} px viewport"


def test_killed_and_stale_runs_say_why(story_site, site_browser):
    site, _ = story_site
    page = site_browser.open(site / "runs" / "term" / "index.html")
    assert "killed by SIGTERM" in page.locator("#rg-ending").inner_text()
    assert "exit code 143" in page.locator("#rg-ending").inner_text()
    page = site_browser.open(site / "runs" / "stale" / "index.html")
    text = page.locator("#rg-ending").inner_text()
    assert text.startswith("Stale") and "no heartbeat since" in text and "ago" in text


def test_index_state_badge_gives_the_reason_and_alerts(story_site, site_browser):
    site, _ = story_site
    page = site_browser.open(site / "index.html")
    page.wait_for_selector(".rg-state-crashed")
    titles = [b.get_attribute("title") or "" for b in page.locator("td .rg-state").all()]
    assert "RuntimeError: CUDA out of memory at step 3100" in titles
    assert "killed by SIGTERM" in titles
    assert any(t.startswith("no heartbeat since") for t in titles)
    badge = page.locator(".rg-alert-badge")
    assert badge.count() == 1 and badge.get_attribute("title") == "1 alert(s), last: [WARN] Loss spike"


def test_story_reader_treats_files_as_untrusted(tmp_path):
    (tmp_path / "system.jsonl").write_bytes(b'{"_runtime": 1, "system/cpu": 5}\nnot json\n{"_runtime": 2, "system/cpu": "x"}\n'
                                            b'{"_runtime": 3, "system/cpu": 7}\n{"_runtime": 4, "system/c')
    (tmp_path / "alerts.jsonl").write_bytes(b'{"title": "t", "level": "<b>", "text": 3}\n[1]\n')
    (tmp_path / "output.log").write_bytes(b"head\n" + b"x" * 100 + b"\n")
    (tmp_path / "output.log.tail").write_bytes(b"last words\n")
    charts = story.system_charts(tmp_path)
    assert [c["title"] for c in charts] == ["CPU"] and len(charts[0]["series"][0]["path"].split()) == 2
    assert not charts[0]["series"][0]["dot"]
    assert story.alerts(tmp_path)[0]["level"] == "INFO" and story.alerts(tmp_path)[0]["text"] == "3"
    con = story.console(tmp_path)
    assert con["text"].startswith("head\n") and con["text"].endswith("last words")
    assert "the run did not finish" in con["text"]
    end = story.ending({"state": "crashed", "exit_code": None, "heartbeat": 1.0}, "crashed")
    assert "killed?" in end["reason"] and end["traceback"] is None


def test_a_single_system_sample_is_drawn_as_a_dot(tmp_path):
    # a run shorter than the 10 s sampling interval has one sample: a one-point polyline drew nothing
    (tmp_path / "system.jsonl").write_text('{"_runtime": 0.5, "system/cpu": 60, "system/proc.cpu": 12}\n')
    series = story.system_charts(tmp_path)[0]["series"]
    assert all(s["dot"] and len(s["path"].split()) == 2 and len(set(s["path"].split())) == 1 for s in series)


def test_story_files_linked_out_of_the_run_folder_are_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    run_dir = tmp_path / "run"
    (run_dir / "files").mkdir(parents=True)
    for name in ("output.log", "alerts.jsonl", "system.jsonl", "files/diff.patch"):
        (run_dir / name).symlink_to(secret)
    meta = {"git": {"diff": "files/diff.patch"}}
    assert story.console(run_dir) is None and story.alerts(run_dir) == [] and story.system_charts(run_dir) == []
    assert story.metadata(meta, run_dir)["files"] == []
    (run_dir / "output.log").unlink()
    (run_dir / "output.log").write_text("inside\n")
    assert story.console(run_dir)["text"] == "inside"

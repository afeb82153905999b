"""benchmarks/tracetable.py: a Chromium trace's thread CPU by process, thread and kind of work (the table
benchmarks/trace_tabs.py prints for the many-tabs burst). Self times on a hand-made trace, then a real
trace of a page in Chromium: the names the rows test for are the ones this Chromium records."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from tracetable import rows, self_times, table  # noqa: E402


def meta(pid: int, tid: int, process: str, thread: str) -> list[dict]:
    return [{"ph": "M", "pid": pid, "tid": 0, "name": "process_name", "args": {"name": process}},
            {"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": thread}}]


def x(pid: int, tid: int, name: str, ts: int, dur: int, tdur: int, **args) -> dict:
    return {"ph": "X", "pid": pid, "tid": tid, "name": name, "ts": ts, "dur": dur, "tdur": tdur, "args": args}


def test_self_time_is_thread_time_less_the_nested_events():
    events = meta(1, 11, "Renderer", "CrRendererMain") + meta(2, 21, "Browser", "ThreadPoolForegroundWorker7") + [
        # a task (wall 100 µs, thread 60) holding a script call (thread 30) that lays out (thread 10)
        x(1, 11, "ThreadControllerImpl::RunTask", 0, 100, 60),
        x(1, 11, "FunctionCall", 5, 50, 30, data={"url": "http://h/assets/rg-page.js", "functionName": "start"}),
        x(1, 11, "LocalFrameView::performLayout", 10, 20, 10),
        # after it, the harness's poll (a script without a URL), alone
        x(1, 11, "FunctionCall", 200, 10, 7, data={"url": "", "functionName": "next"}),
        # a begin/end pair, its thread time from tts
        {"ph": "B", "pid": 1, "tid": 11, "name": "ParseHTML", "ts": 300, "tts": 1000, "args": {}},
        {"ph": "E", "pid": 1, "tid": 11, "name": "ParseHTML", "ts": 340, "tts": 1025, "args": {}},
        # the browser's thread pool: a task named by the file that posted it
        x(2, 21, "ThreadPool_RunTask", 0, 40, 40, src_file="components/autofill/core/browser/autofill_manager.cc"),
    ]
    own, total = self_times(events)
    assert own[("renderer", "main", "ThreadControllerImpl::RunTask")] == 30
    assert own[("renderer", "main", "FunctionCall")] == 20
    assert own[("renderer", "main", "LocalFrameView::performLayout")] == 10
    assert own[("renderer", "main", "FunctionCall [no url]")] == 7
    assert own[("renderer", "main", "ParseHTML")] == 25
    assert total[("renderer", "main")] == 60 + 7 + 25  # the outermost events only
    assert total[("browser", "thread pool")] == 40
    by_row = rows(own)
    assert by_row[("renderer", "main", "script run: the page's (FunctionCall, v8.run...)")] == 20
    assert by_row[("renderer", "main", "script: harness (no URL: injected, rAF polls)")] == 7
    assert by_row[("renderer", "main", "Layout")] == 10
    assert by_row[("renderer", "main", "task scheduling")] == 30
    assert by_row[("browser", "thread pool", "autofill form parsing")] == 40
    # every µs of a thread is in one row
    assert sum(v for k, v in by_row.items() if k[:2] == ("renderer", "main")) == total[("renderer", "main")]
    text = table([("ours 2", 2, own, total)], least_ms=0.001, thread_ms=0.03)
    assert "renderer / main" in text and "browser / thread pool" not in text  # 0.046 and 0.020 ms a tab
    line = next(li for li in text.splitlines() if li.strip().startswith("Layout"))
    assert line.split()[-1] == "0.0"  # 10 µs over 2 tabs, in ms
    assert next(li for li in text.splitlines() if "TOTAL" in li).split()[-1] == "0.0"


def test_a_real_trace_has_the_work_the_rows_name(tmp_path, _playwright_browser):
    page_file = tmp_path / "p.html"
    page_file.write_text(
        "<!doctype html><title>t</title><style>td { padding: 4px; font-weight: 600 }</style><body><table id=t></table>"
        "<script>function fill() { const t = document.getElementById('t');"
        " for (let i = 0; i < 50; i++) { const r = t.insertRow(); r.insertCell().textContent = 'row ' + i; } }"
        " document.addEventListener('DOMContentLoaded', fill);</script>")
    context = _playwright_browser.new_context()
    page = context.new_page()
    path = tmp_path / "trace.json"
    _playwright_browser.start_tracing(path=str(path), categories=[
        "devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "v8", "loading", "cc", "toplevel",
        "disabled-by-default-v8.compile"])
    page.goto(page_file.as_uri())
    page.wait_for_function("() => document.querySelectorAll('td').length === 50")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    _playwright_browser.stop_tracing()
    context.close()
    events = json.loads(path.read_text())
    own, total = self_times(events["traceEvents"] if isinstance(events, dict) else events)
    by_row = rows(own)
    main = {row: us for (kind, thread, row), us in by_row.items() if (kind, thread) == ("renderer", "main")}
    for row in ("ParseHTML", "UpdateLayoutTree (style recalc)", "Layout", "Paint (and layerization)",
                "script run: the page's (FunctionCall, v8.run...)"):
        assert main.get(row, 0) > 0, (row, sorted(main.items(), key=lambda kv: -kv[1]))
    # (every µs in one row: a trace's times are fractions of a µs, each row's sum rounded on its own)
    assert abs(sum(main.values()) - total[("renderer", "main")]) <= len(main)
    assert total[("browser", "main")] > 0

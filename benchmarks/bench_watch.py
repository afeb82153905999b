"""How fast does ``reportgen serve --watch`` show what a sweep logs, in a tab left open?

A realistic sweep: ``--runs`` training processes (``tests/sweep_worker.py``, each
``import reportgen as wandb`` with the SDK's default settings: history flushed
about once a second) log ``loss`` and ``acc`` every ``--interval`` seconds.
``--start`` of them run from the beginning; the others start one by one while the
all-runs page is open in headless Chromium, and they also log a metric the first
ones do not have (``val/loss``): new runs and a new chart appear while the page
is watched.

Measured, from the page itself: for every step logged, the time from the
``log()`` call (wall clock, written by the worker) until the ``loss`` chart's Vega
view holds a point of that run at that step or later (checked every 20 ms):
median and worst. Full page loads after the first are counted (target 0). At the
end, while runs are still logging (rebuilds in flight) and the page polls,
SIGINT is sent to the server and the time until it exited is measured.

Baseline, measured in the same run: the same sweep served by the code before
this work (``--baseline-ref``, default ff5c867, exported with ``git archive``;
its pages reloaded on every new run and its watcher waited for a quiet folder).
Printed as well: the floor every figure contains, the SDK's own flush interval.

    python benchmarks/bench_watch.py [--runs 8] [--start 4] [--steps 150] [--interval 0.2]
                                     [--baseline-ref ff5c867 | --no-baseline]
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from browser import LAUNCH_ARGS, chromium_path  # noqa: E402
from serveproc import ServeProcess  # noqa: E402

WORKER = REPO / "tests" / "sweep_worker.py"
SETTLE = 3.0  # a step counts when it was logged at least this long before the measurement ended

MONITOR = """(() => {
  const seen = {};
  setInterval(() => {
    const el = document.querySelector('.rg-chart[data-key="loss"]');
    const v = el && window.RG && RG.views && RG.views[el.id];
    if (!v) return;
    let rows;
    try { rows = v.data('rows'); } catch (e) { return; }
    const now = Date.now(), max = {};
    for (const r of rows) if (r.y !== null && !(r.x <= max[r.run])) max[r.run] = r.x;
    for (const k in max) if (!(max[k] <= seen[k])) { seen[k] = max[k]; window.rgSeen(k, max[k], now / 1000); }
  }, 20);
})();"""


class Worker:
    def __init__(self, runs: Path, run_id: str, times: Path, args, extra: bool, seed: int):
        self.id, self.times = run_id, times
        cmd = [sys.executable, str(WORKER), str(runs), run_id, "--steps", str(args.steps),
               "--interval", str(args.interval), "--times", str(times), "--seed", str(seed)]
        if extra:
            cmd += ["--extra", "val/loss"]
        env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def logged(self) -> list[tuple[int, float]]:
        if not self.times.exists():
            return []
        out = []
        for line in self.times.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                out.append((int(parts[0]), float(parts[1])))
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def sweep(label: str, args, pw, code: Path | None) -> dict:
    """One sweep served by the code in ``code`` (None: this checkout); returns the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        tmp = Path(tmp)
        runs = tmp / "runs"
        workers: list[Worker] = []

        def start(i: int) -> None:
            workers.append(Worker(runs, f"r{i}", tmp / f"times-r{i}.txt", args, extra=i >= args.start, seed=i))

        for i in range(args.start):
            start(i)
        while not all((runs / f"r{i}" / "history.jsonl").exists() for i in range(args.start)):
            time.sleep(0.1)
        env = {"PYTHONPATH": str(code)} if code is not None else None
        srv = ServeProcess(str(runs), "--watch", "--port", "0", env=env, timeout=120, cwd=code or REPO)
        seen: list[tuple[str, float, float]] = []
        navigations = []
        browser = pw.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1440, "height": 900})
            ctx.expose_function("rgSeen", lambda run, step, t: seen.append((run, step, t)))
            ctx.add_init_script(MONITOR)
            page = ctx.new_page()
            page.on("framenavigated", lambda f: navigations.append(time.time()) if f == page.main_frame else None)
            page.goto(srv.url)
            page.wait_for_selector('.rg-chart[data-key="loss"][data-rendered="done"]', timeout=60_000)
            safe(page, "document.querySelector('.rg-chart[data-key=\"loss\"]').scrollIntoView()")
            opened = time.time()
            loads_before = len(navigations)
            gap = args.steps * args.interval / (args.runs - args.start + 2)
            for i in range(args.start, args.runs):  # new runs while the page is open
                time.sleep(gap)
                start(i)
            # stop while the last run still logs: rebuilds in flight, the page polling
            last = workers[-1]
            while len(last.logged()) < args.steps * 0.6 and last.proc.poll() is None:
                time.sleep(0.1)
            ended = time.time()
            timings = safe(page, "window.RGLive ? RGLive.timings || [] : []") or []
            why = safe(page, "window.RGLive ? RGLive.reloadedBecause || null : null")
            shown_runs = safe(page, "RG.site.runs.length")
            extra_chart = safe(page, "document.querySelectorAll('.rg-chart[data-key=\"val/loss\"]').length")
            time.sleep(0.3)
            t0 = time.perf_counter()
            srv.proc.send_signal(signal.SIGINT)
            srv.proc.wait(60)
            stop_s = time.perf_counter() - t0
            reloads = len(navigations) - loads_before
        finally:
            browser.close()
            for w in workers:
                w.stop()
            if srv.proc.poll() is None:
                srv.stop()
        # log() -> drawn, per step
        by_run: dict[str, list[tuple[float, float]]] = {}
        for run, step, t in seen:
            by_run.setdefault(run, []).append((step, t))
        lat, missed = [], 0
        for w in workers:
            obs = sorted(by_run.get(f"sweep {w.id}", []), key=lambda o: o[1])
            for step, t_log in w.logged():
                if t_log < opened or t_log > ended - SETTLE:
                    continue
                drawn = next((t for s, t in obs if s >= step and t >= t_log), None)
                if drawn is None:
                    missed += 1
                else:
                    lat.append(drawn - t_log)
        import re
        rebuilds = [float(x) for x in re.findall(r"rebuilt in ([0-9.]+)s", srv.stderr())]
        if args.verbose:
            print(f"  [{label}] rebuilds: {len(rebuilds)}, median {statistics.median(rebuilds or [0]):.2f}s, "
                  f"max {max(rebuilds or [0]):.2f}s; page patches (last 100): "
                  f"{sorted(t[1] for t in timings if t[2])[-10:]} ms; intervals between news: "
                  f"{[round((b[0] - a[0]) / 1000, 2) for a, b in zip(timings, timings[1:])][-20:]}; last reload because: {why}")
        return {"label": label, "lat": lat, "missed": missed, "reloads": reloads, "stop": stop_s,
                "runs": shown_runs, "extra_chart": extra_chart, "rc": srv.proc.returncode}


def safe(page, js: str):
    """page.evaluate, but a page that is reloading (the old code's way) answers a few tries later."""
    for _ in range(20):
        try:
            return page.evaluate(js)
        except Exception:  # noqa: BLE001 - navigated meanwhile
            time.sleep(0.25)
    return None


def export(ref: str, dest: Path) -> Path | None:
    try:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "reportgen"], check=True,
                                 capture_output=True).stdout
        dest.mkdir(parents=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        return dest
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"(no baseline: cannot export {ref}: {exc})")
        return None


def show(r: dict) -> None:
    lat = r["lat"]
    if not lat:
        print(f"{r['label']}: no point was drawn ({r['missed']} missed)")
        return
    print(f"{r['label']}: {len(lat)} points, {r['missed']} never drawn; runs on the page {r['runs']}, "
          f"val/loss chart {'present' if r['extra_chart'] else 'MISSING'}")
    print(f"  log() -> drawn: median {statistics.median(lat):.2f} s (target <= 1.0), "
          f"p90 {statistics.quantiles(lat, n=10)[-1]:.2f} s, worst {max(lat):.2f} s (target <= 2.0)")
    print(f"  full page reloads: {r['reloads']} (target 0)")
    print(f"  SIGINT -> exit: {r['stop']:.2f} s (target <= 1.0), exit status {r['rc']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--start", type=int, default=4, help="runs logging before the page opens")
    ap.add_argument("--steps", type=int, default=150, help="steps per run")
    ap.add_argument("--interval", type=float, default=0.2, help="seconds between log() calls of a run")
    ap.add_argument("--baseline-ref", default="ff5c867")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="also print rebuild and page-patch times")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    print(f"sweep: {args.runs} runs ({args.start} from the start, {args.runs - args.start} starting while the "
          f"page is open, with a new metric), log() every {args.interval}s, {args.steps} steps each; "
          f"SDK flush interval 1.0 s (default)")
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="bench-watch-code-") as codes:
        live = sweep("live (this code)", args, pw, None)
        show(live)
        if args.no_baseline:
            return
        code = export(args.baseline_ref, Path(codes) / "base")
        if code is None:
            return
        base = sweep(f"baseline (code at {args.baseline_ref})", args, pw, code)
        show(base)
        if live["lat"] and base["lat"]:
            print(f"ratio baseline / live: median {statistics.median(base['lat']) / statistics.median(live['lat']):.1f}x, "
                  f"worst {max(base['lat']) / max(live['lat']):.1f}x; reloads {base['reloads']} -> {live['reloads']}")
        print("floor in every figure: the SDK writes history about once a second, so a row waits 0-1 s "
              "(0.5 s on average) in the training process before any server can see it")


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()

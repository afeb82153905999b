"""The story of a run for its page: why it ended, what it printed, its alerts, system charts, metadata.

Reads ``output.log`` (+ ``output.log.tail``), ``system.jsonl`` and ``alerts.jsonl`` of a run
folder (untrusted: sizes bounded, bad lines skipped, every string escaped by the template)
and returns a plain view-model. System charts are inline SVG polylines built here.
"""
from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path
from typing import Any

from ..storage.jsonio import loads
from ..storage.safety import UnsafePath, inside, open_regular, reading_inside
from .fmt import fmt_time

OUTPUT_LOG, TAIL, SYSTEM, ALERTS = "output.log", "output.log.tail", "system.jsonl", "alerts.jsonl"
MAX_CONSOLE_BYTES = 4 * 1024 * 1024  # shown on the page (head and tail kept beyond it)
MAX_ALERTS = 200
MAX_POINTS = 400
MAX_TRACEBACK = 20000
# Charts of the system section: (title, unit, keys or key prefix/suffix pairs)
CHARTS = [
    ("CPU", "%", ["system/cpu", "system/proc.cpu"]),
    ("Memory", "%", ["system/memory", "system/proc.memory.percent"]),
    ("Process memory", "MB", ["system/proc.memory.rssMB"]),
    ("Disk I/O", "MB", ["system/disk.in", "system/disk.out"]),
    ("Network", "bytes", ["system/network.sent", "system/network.recv"]),
]
# per-device disk I/O (wandb-core's ``disk.<device>.in``, MB since the start), drawn with the SDK's totals
DEVICE_IO = re.compile(r"system/disk\.[^/]+\.(in|out)")
GPU_CHARTS = [("GPU utilisation", "%", "gpu"), ("GPU memory", "%", "memoryAllocated"),
              ("GPU temperature", "°C", "temp"), ("GPU power", "W", "powerWatts")]
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _file(run_dir: Path, rel: str) -> Path | None:
    """``run_dir/rel`` when it is a file that stays inside the run folder (links followed), else None."""
    if not os.path.lexists(os.path.join(run_dir, rel)):  # (most runs have no such file: one lstat, no resolve)
        return None
    try:
        path = inside(run_dir, rel, "the run folder")
    except (UnsafePath, FileNotFoundError, ValueError):
        return None
    return path if path.is_file() else None


def signature(run_dir: Path) -> tuple:
    """Changes when any file shown here changes (part of the run page's rebuild key)."""
    out = []
    for name in (OUTPUT_LOG, TAIL, SYSTEM, ALERTS):
        try:
            st = (Path(run_dir) / name).stat()
            out.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((name, None))
    return tuple(out)


def _read_bounded(path: Path | None, limit: int) -> tuple[str, int]:
    """Text of ``path`` (head and tail when larger than ``limit``) and the bytes left out."""
    if path is None:
        return "", 0
    try:
        with open_regular(path) as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(0)
            if size <= limit:
                return f.read().decode("utf-8", "replace"), 0
            head = f.read(limit // 2)
            f.seek(size - limit // 2)
            tail = f.read()
    except OSError:
        return "", 0
    head_text = head.decode("utf-8", "replace").rsplit("\n", 1)[0]
    tail_text = tail.decode("utf-8", "replace").split("\n", 1)[-1]
    cut = size - len(head) - len(tail)
    return f"{head_text}\n[reportgen: {cut} bytes of output.log not shown here]\n{tail_text}", cut


def console(run_dir: Path) -> dict[str, Any] | None:
    path = _file(run_dir, OUTPUT_LOG)
    if path is None:
        return None
    text, cut = _read_bounded(path, MAX_CONSOLE_BYTES)
    tail_path = _file(run_dir, TAIL)
    if tail_path is not None:  # a run stopped while its head was full: the rolling tail is still apart
        tail, _ = _read_bounded(tail_path, MAX_CONSOLE_BYTES // 2)
        text = f"{text}[reportgen: output was cut here; the run did not finish]\n{tail}"
    text = text[:-1] if text.endswith("\n") else text
    if not text.strip():  # the run printed nothing (or blank lines only): no panel, as wandb shows no logs
        return None
    return {"text": text, "lines": text.count("\n") + 1, "cut": cut}


def _jsonl(path: Path | None, limit_rows: int) -> list[dict[str, Any]]:
    from collections import deque

    rows: deque[dict[str, Any]] = deque(maxlen=limit_rows)  # the last rows; memory bounded however long the file
    if path is None:
        return []
    from ..storage.reader import iter_history_lines  # bounded lines, regular files only

    try:
        for _end, line in iter_history_lines(path):
            if line is None:
                continue  # longer than MAX_LINE: skipped
            try:
                row = loads(line)
            except ValueError:
                continue  # garbage: skipped (a torn last line is not yielded)
            if isinstance(row, dict):
                rows.append(row)
    except OSError:
        return []
    return list(rows)


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def alerts(run_dir: Path) -> list[dict[str, Any]]:
    out = []
    for row in _jsonl(_file(run_dir, ALERTS), MAX_ALERTS):
        level = str(row.get("level") or "INFO").upper()
        out.append({"title": str(row.get("title") or "")[:500], "text": str(row.get("text") or "")[:5000],
                    "level": level if level in ("INFO", "WARN", "ERROR") else "INFO",
                    "when": fmt_time(row["_timestamp"]) if _num(row.get("_timestamp")) else "",
                    "step": row.get("_step") if _num(row.get("_step")) else None})
    return out


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """At most MAX_POINTS points: per bucket the first, min and max (spikes never vanish)."""
    if len(points) <= MAX_POINTS:
        return points
    size = math.ceil(len(points) / (MAX_POINTS // 3))
    out = []
    for i in range(0, len(points), size):
        b = points[i:i + size]
        keep = {0, min(range(len(b)), key=lambda j: b[j][1]), max(range(len(b)), key=lambda j: b[j][1])}
        out.extend(b[j] for j in sorted(keep))
    if out[-1] != points[-1]:
        out.append(points[-1])
    return out


def _chart(title: str, unit: str, rows: list[dict[str, Any]], keys: list[str]) -> dict[str, Any] | None:
    series = []
    for i, key in enumerate(keys):
        pts = [(float(r["_runtime"]), float(r[key])) for r in rows if _num(r.get("_runtime")) and _num(r.get(key))]
        if pts:
            series.append({"key": key, "label": key[len("system/"):], "points": _thin(pts),
                           "color": COLORS[i % len(COLORS)], "last": pts[-1][1]})
    if not series:
        return None
    xs = [p[0] for s in series for p in s["points"]]
    ys = [p[1] for s in series for p in s["points"]]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(0.0, min(ys)), max(ys)
    if unit == "%":
        y1 = max(y1, 100.0)
    if x1 <= x0:  # one sample time: drawn in the middle, not half off the left edge
        x0, x1 = x0 - 1, x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    w, h = 600, 160
    for s in series:
        # one sample (a run shorter than the sampling interval): a polyline of one point draws
        # nothing, so it is drawn as a dot (the point twice, a wide round cap)
        pts = s["points"] * 2 if len(s["points"]) == 1 else s["points"]
        s["dot"] = len(s["points"]) == 1
        s["path"] = " ".join(f"{(x - x0) / (x1 - x0) * w:.1f},{h - (y - y0) / (y1 - y0) * h:.1f}"
                             for x, y in pts)
        s["last_text"] = _fmt(s["last"])
        del s["points"]
    return {"title": title, "unit": unit, "series": series, "w": w, "h": h, "ymax": _fmt(y1), "ymin": _fmt(y0),
            "xmax": _fmt_seconds(x1), "xmin": _fmt_seconds(x0)}


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _fmt_seconds(s: float) -> str:
    s = max(0.0, s)
    return f"{s:.0f} s" if s < 120 else (f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h")


def system_charts(run_dir: Path) -> list[dict[str, Any]]:
    rows = _jsonl(_file(run_dir, SYSTEM), 100_000)
    if not rows:
        return []
    devices = sorted({k for r in rows for k in r if DEVICE_IO.fullmatch(k)})[:8]
    charts = [c for c in (_chart(t, u, rows, keys + (devices if t == "Disk I/O" else []))
                          for t, u, keys in CHARTS) if c]
    gpus = sorted({k.split(".")[1] for r in rows for k in r if k.startswith("system/gpu.") and k.count(".") >= 2},
                  key=lambda g: (len(g), g))
    for title, unit, suffix in GPU_CHARTS:
        chart = _chart(title, unit, rows, [f"system/gpu.{g}.{suffix}" for g in gpus[:8]])
        if chart:
            charts.append(chart)
    return charts


def ending(meta: dict[str, Any], state: str, now: float | None = None) -> dict[str, Any] | None:
    """Why the run ended (or seems to have): the banner at the top of the page, the index tooltip."""
    now = time.time() if now is None else now
    beat = meta.get("heartbeat")
    if state == "finished":
        return None
    if state == "crashed":
        sig, error, code = meta.get("signal"), meta.get("error"), meta.get("exit_code")
        if isinstance(sig, str) and sig:
            reason = f"killed by {sig}"
        elif isinstance(error, str) and error:
            reason = error
        elif code is None:
            reason = "the process ended without finishing the run (killed?)"
            if _num(beat):
                reason += f"; last heartbeat {fmt_time(beat)}"
        else:
            reason = f"exit code {code}"
        tb = meta.get("traceback")
        return {"kind": "crashed", "reason": reason[:2000], "exit_code": code if _num(code) else None,
                "traceback": tb[-MAX_TRACEBACK:] if isinstance(tb, str) and tb else None}
    if state == "stale":
        when = fmt_time(beat) if _num(beat) else "unknown"
        ago = f" ({_fmt_seconds(now - beat)} ago)" if _num(beat) and now >= beat else ""
        return {"kind": "stale", "reason": f"no heartbeat since {when}{ago}: the writer stopped or hangs",
                "traceback": None, "exit_code": None}
    return None


def metadata(meta: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """The Environment box: (label, value) rows and the diff / requirements texts (bounded)."""
    out: list[tuple[str, str]] = []
    sysinfo = meta.get("system") if isinstance(meta.get("system"), dict) else {}
    git = meta.get("git") if isinstance(meta.get("git"), dict) else {}
    for label, value in (("os", sysinfo.get("os")), ("python", sysinfo.get("python")), ("cpu", sysinfo.get("cpu")),
                         ("cpu count", sysinfo.get("cpu_count")), ("memory", f"{sysinfo['memory_total_gb']} GB"
                          if _num(sysinfo.get("memory_total_gb")) else None),
                         ("gpu", sysinfo.get("gpu")), ("gpu count", sysinfo.get("gpu_count")),
                         ("git remote", git.get("remote"))):
        if value not in (None, ""):
            out.append((label, str(value)[:500]))
    files = []
    for title, ok, name in (("Uncommitted changes (files/diff.patch)", git.get("diff") == "files/diff.patch",
                             "diff.patch"),
                            ("Installed packages (files/requirements.txt)",
                             sysinfo.get("requirements") == "files/requirements.txt", "requirements.txt")):
        if ok:
            text, _ = _read_bounded(_file(run_dir, f"files/{name}"), 256 * 1024)
            if text:
                files.append({"title": title, "text": text, "lines": text.count("\n")})
    return {"rows": out, "files": files}


def run_story(run_dir: Path, meta: dict[str, Any], state: str) -> dict[str, Any]:
    with reading_inside(run_dir):  # (a run folder swapped for a link out of the runs root: nothing read)
        return {"ending": ending(meta, state), "console": console(run_dir), "alerts": alerts(run_dir),
                "system": system_charts(run_dir), "env": metadata(meta, run_dir)}


def index_fields(run_dir: Path, meta: dict[str, Any], state: str) -> dict[str, Any]:
    """What the runs table shows: why the run ended (state tooltip), alert count and last alert."""
    end = ending(meta, state)
    out: dict[str, Any] = {}
    if end:
        out["why"] = end["reason"]
    found = []
    if os.path.lexists(os.path.join(run_dir, ALERTS)):  # (most runs have none: no realpath per run and page)
        with reading_inside(run_dir):
            found = alerts(run_dir)
    if found:
        out["alerts"] = len(found)
        out["alert"] = f"[{found[-1]['level']}] {found[-1]['title']}"
    return out

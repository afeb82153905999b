"""Where a Chromium trace's CPU went: thread time (``tdur``) by process, thread and kind of work.

Pure functions over the JSON that ``browser.start_tracing()`` writes (benchmarks/trace_tabs.py records
it). Each event's *self* thread time is its ``tdur`` less that of the events nested in it on the same
thread, so the rows of a thread add up to its traced total; an event is sorted into the first row of
ROWS whose test its name passes (ROWS of the other threads: by the thread), the rest is "other".
Script events without a URL (the harness's injected scripts and its requestAnimationFrame polls) and
thread-pool tasks (named by the source file that posted them: autofill's form parsing, the font
service) are told apart by renaming them first (``event_name``).
"""
from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict

# Chromium process names (the trace's process_name metadata) -> the kinds bench_tabs.py's CPU split uses
PROCESS = {"Renderer": "renderer", "Browser": "browser", "GPU Process": "gpu",
           "Service: network.mojom.NetworkService": "network"}
THREADS = {"CrRendererMain": "main", "CrBrowserMain": "main", "Compositor": "compositor",
           "VizCompositorThread": "viz compositor", "Chrome_IOThread": "IO", "Chrome_ChildIOThread": "IO",
           "CompositorTileWorker": "raster workers", "ThreadPoolForegroundWorker": "thread pool",
           "ThreadPoolBackgroundWorker": "thread pool", "ThreadPoolSingleThreadForegroundBlocking": "thread pool",
           "ThreadPoolSingleThreadSharedForeground": "thread pool", "CrGpuMain": "main",
           "network.CrUtilityMain": "main"}
SCRIPTS = ("FunctionCall", "EvaluateScript", "v8.run")


def _starts(*prefixes: str):
    return lambda name: name.startswith(prefixes)


def _among(*names: str):
    return lambda name: name in names


# (row, test of an event's name); the first that passes takes the event. Names are Chromium's (156).
ROWS = [
    ("script run: the page's (FunctionCall, v8.run...)", lambda n: n in ("FunctionCall", "EvaluateScript", "v8.run", "v8.callFunction",
                                                                       "v8.evaluateModule", "AsyncTask Run",
                                                                       "BlinkScheduler_PerformMicrotaskCheckpoint")),
    ("script: harness (no URL: injected, rAF polls)", lambda n: n.endswith(" [no url]")),
    ("script streaming (parse as it downloads)", _starts("v8.parseOnBackground", "BackgroundCompileTask",
                                                         "BackgroundJSStreamManager", "V8.CompileCodeBackground")),
    ("script parse and compile (V8.Compile*)", _starts("V8.Compile", "V8.Parse", "V8.PreParse", "v8.compile",
                                                      "V8.CollectSourcePositions", "v8.produceCache")),
    ("script context (V8.DeserializeContext...)", _among("V8.DeserializeContext", "LocalWindowProxy::Initialize",
                                                        "LocalWindowProxy::CreateContext", "InstallConditionalFeatures",
                                                        "RenderFrameImpl::DidCreateScriptContext",
                                                        "ContextCreatedNotification", "v8.newInstance")),
    ("garbage collection", _starts("V8.GC", "MajorGC", "MinorGC", "BlinkGC", "V8.GCScavenger")),
    ("ParseHTML", _among("ParseHTML", "HTMLDocumentParser::PumpTokenizer", "HTMLParserScriptRunner::execute")),
    ("ParseAuthorStyleSheet (CSS parse)", _starts("CSSParserImpl::parseStyleSheet", "ParseAuthorStyleSheet",
                                                  "RuleSet::addRulesFromSheet", "StyleEngine::updateActiveStyleSheets")),
    ("UpdateLayoutTree (style recalc)", _among("Document::recalcStyle", "UpdateLayoutTree", "Document::rebuildLayoutTree",
                                               "Document::updateStyle", "Blink.Style.UpdateTime")),
    ("Layout", _among("LocalFrameView::performLayout", "Layout", "LocalFrameView::layout", "Blink.Layout.UpdateTime")),
    ("text shaping (in layout)", lambda n: "ShapeText" in n or n.startswith("HarfBuzz")),
    ("fonts: matching by IPC", _starts("FontDataService::", "FontRenderStyleForStrike", "FallbackFontForCharacter")),
    ("PrePaint", _among("Blink.PrePaint.UpdateTime", "PrePaint", "CullRectUpdate", "Blink.CompositingInputs.UpdateTime")),
    ("Paint (and layerization)", _among("Paint", "Blink.Paint.UpdateTime", "PaintArtifactCompositor::Update",
                                       "LocalFrameView::RunPaintLifecyclePhase")),
    ("lifecycle, Commit to the compositor", _among("WebFrameWidgetImpl::UpdateLifecycle", "Commit",
                                                   "ProxyMain::BeginMainFrame", "LocalFrameView::UpdateStyleAndLayout",
                                                   "LocalFrameView::DidFinishLifecycleUpdate",
                                                   "Document::UpdateStyleAndLayout")),
    ("timers (TimerFire)", _among("TimerFire")),
    ("requestAnimationFrame", _among("FireAnimationFrame")),
    ("events (EventDispatch)", _among("EventDispatch")),
    ("DOMContentLoaded observers (autofill forms...)", _among("RenderFrameImpl::DidDispatchDOMContentLoadedEvent")),
    ("raster (RasterTask)", _among("DisplayItemList::Raster", "RasterTask", "ZeroCopyRasterBuffer::Playback",
                                   "ThreadPool_RunTask [categorized_worker_pool.cc]")),
    ("draw quads (software compositor)", _starts("SoftwareRenderer::")),
    ("image/text decode", lambda n: "Decode" in n),
    ("autofill form parsing", lambda n: "autofill" in n),
    ("resource loading (requests, responses)", lambda n: n.startswith(("ResourceFetcher::", "ResponseBodyLoader",
                                                                        "URLLoader", "ResourceRequestSender",
                                                                        "ResourceLoad", "WebContentsImpl::ResourceLoad",
                                                                        "CorsURLLoader", "HttpNetworkTransaction",
                                                                        "network::URLLoader"))),
    ("navigation, page and frame life", lambda n: "Navigation" in n or n.startswith(("RenderFrameHost", "WebContentsImpl::",
                                                                                    "DocumentLoader::", "RenderFrameImpl::",
                                                                                    "AgentSchedulingGroup::", "~RenderFrameHost",
                                                                                    "RenderViewHost", "NavigationRequest"))),
    ("compositor frames and tiles (cc)", lambda n: n.startswith(("Scheduler::", "TileManager::", "LayerTree", "Graphics.Pipeline",
                                                                  "SingleThreadProxy::", "ProxyImpl::", "Display", "Surface",
                                                                  "ExternalBeginFrameSource", "DelayBasedBeginFrameSource",
                                                                  "UpdateLayer", "PropertyTree", "auto cc::", "auto viz::",
                                                                  "PictureLayer", "RasterSource", "TileTask", "cc::"))),
    ("IPC (mojo messages, socket events)", lambda n: n.startswith(("Receive mojo", "SimpleWatcher::", "Closed mojo",
                                                                    "EpollEvent", "ThreadPool_RunTask [simple_watcher"))),
    ("task scheduling", lambda n: n in ("ThreadControllerImpl::RunTask", "RunTask", "BlinkScheduler_OnTaskCompleted")
     or n.startswith("ThreadPool_RunTask")),
]


def event_name(event: dict) -> str:
    """The name an event is counted under: script events without a URL marked ``[no url]``, a thread-pool
    task named by the file that posted it (``ThreadPool_RunTask [autofill_manager.cc]``)."""
    name = event.get("name", "")
    args = event.get("args") or {}
    if name in SCRIPTS:
        data = args.get("data") if isinstance(args.get("data"), dict) else {}
        if not (data.get("url") or args.get("fileName")):
            return name + " [no url]"
    if name == "ThreadPool_RunTask" and args.get("src_file"):
        return f"{name} [{args['src_file'].rsplit('/', 1)[-1]}]"
    return name


def thread_group(process: str, thread: str) -> tuple[str, str]:
    """(process kind, thread) as the table shows them: ("renderer", "main"), ("browser", "thread pool")..."""
    kind = PROCESS.get(process, "other")
    base = re.sub(r"\d+$", "", thread or "?")
    return kind, THREADS.get(base, base)


def self_times(events: list[dict]) -> tuple[Counter, Counter]:
    """Thread CPU in µs: {(kind, thread, event name): self time} and {(kind, thread): traced total}.
    Complete events (ph X, with tdur, else dur) and begin/end pairs (ph B/E, their tts difference)."""
    processes, threads = {}, {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            processes[e["pid"]] = e["args"]["name"]
        elif e.get("ph") == "M" and e.get("name") == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    spans, open_ = defaultdict(list), defaultdict(list)
    for e in events:
        ph, key = e.get("ph"), (e.get("pid"), e.get("tid"))
        if ph == "X" and "dur" in e:
            spans[key].append((e["ts"], e["ts"] + e["dur"], e.get("tdur", e["dur"]), event_name(e)))
        elif ph == "B":
            open_[key].append(e)
        elif ph == "E" and open_[key]:
            b = open_[key].pop()
            cpu = e["tts"] - b["tts"] if "tts" in e and "tts" in b else e["ts"] - b["ts"]
            spans[key].append((b["ts"], e["ts"], cpu, event_name(b)))
    own, total = Counter(), Counter()
    for key, items in spans.items():
        group = thread_group(processes.get(key[0], "?"), threads.get(key, "?"))
        for name, cpu, top in _nested(items):
            own[(*group, name)] += cpu
            total[group] += top
    return own, total


def _nested(items: list[tuple]):
    """(name, self CPU, CPU if it is outermost else 0) of each (start, end, cpu, name) span of one thread."""
    stack: list[list] = []  # [end, cpu, name, cpu of the children]

    def close(item: list):
        if stack:
            stack[-1][3] += item[1]
        return item[2], max(0, item[1] - item[3]), 0 if stack else item[1]

    for start, end, cpu, name in sorted(items, key=lambda s: (s[0], -s[1])):
        while stack and stack[-1][0] <= start:
            yield close(stack.pop())
        stack.append([end, cpu, name, 0])
    while stack:
        yield close(stack.pop())


def median(readings: list[Counter]) -> Counter:
    """The median of each key over several self_times() readings (a key missing from one counts 0)."""
    keys = set().union(*readings)
    return Counter({k: statistics.median(r.get(k, 0) for r in readings) for k in keys})


def row_of(name: str) -> str:
    return next((row for row, test in ROWS if test(name)), "other")


def rows(own: Counter) -> Counter:
    """self_times()' first result summed by (kind, thread, row of ROWS)."""
    out = Counter()
    for (kind, thread, name), us in own.items():
        out[(kind, thread, row_of(name))] += us
    return out


def table(columns: list[tuple[str, int, Counter, Counter]], least_ms: float = 0.3, thread_ms: float = 1.0) -> str:
    """The text table: ms of thread CPU a tab. ``columns``: (label, tabs, self_times' two results).
    A thread appears when its total reaches thread_ms a tab in some column, a row when it reaches least_ms;
    under each thread, the three largest event names of its "other"."""
    per = [(label, n, rows(own), total, own) for label, n, own, total in columns]
    threads = Counter()
    for _, n, _, total, _ in per:
        for key, us in total.items():
            threads[key] = max(threads[key], us / n / 1000)
    head = "".join(f"{label:>11s}" for label, *_ in per)
    lines = ["ms of thread CPU a tab (Chromium trace, each event's self thread time; a thread's rows add up to "
             "its total)"]
    order = [row for row, _ in ROWS] + ["other"]
    for (kind, thread), most in sorted(threads.items(), key=lambda kv: -kv[1]):
        if most < thread_ms or kind == "other":
            continue
        lines.append(f"\n{kind + ' / ' + thread:48s}{head}")
        lines.append(f"  {'TOTAL':46s}" + "".join(f"{t.get((kind, thread), 0) / n / 1000:11.1f}" for _, n, _, t, _ in per))
        for row in order:
            vals = [r.get((kind, thread, row), 0) / n / 1000 for _, n, r, _, _ in per]
            if max(vals) >= least_ms:
                lines.append(f"  {row[:46]:46s}" + "".join(f"{v:11.1f}" for v in vals))
        other = Counter()
        for _, n, _, _, own in per:
            for (k, t, name), us in own.items():
                if (k, t) == (kind, thread) and row_of(name) == "other":
                    other[name] += us / n / 1000
        top = [f"{name[:40]} {ms:.1f}" for name, ms in other.most_common(3) if ms >= least_ms]
        if top:
            lines.append(f"    (other, summed over the columns: {'; '.join(top)})")
    return "\n".join(lines) + "\n"

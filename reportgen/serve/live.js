/* reportgen serve --watch: keeps an open page in step with the site being rebuilt.
   Injected by the dev server into HTML responses only; built sites never contain it.

   The page polls /__reportgen__/events?since=<generation> every 120-180 ms (every 2-3 s while
   hidden); the server answers at once with the site paths changed since then. A poll holds a
   connection for a millisecond, so any number of tabs share the browser's six connections per
   host (a long-poll or an EventSource per tab would hold one each, and tab 7 would stall).
   Tabs of the same server share each answer over a BroadcastChannel: a tab that hears one
   puts its own next poll off, so N tabs cost about one poll per interval, not N.
   This page then, without reloading (the page side is RG.live: assets/live.js, live-patch.js)
   - loads changed data files again, in one batch, and redraws each affected chart once, in place
     (zoom, scroll and selection kept),
   - patches its own HTML in place: text and attributes, new runs (table rows, chart lines), new
     charts and sections, new media; it reloads (restoring the scroll position and typed filters)
     only for what it cannot patch: a new stylesheet or script, changed assets, a stateful part
     that went away, a restarted server,
   - shows a banner while the last rebuild failed. */
(function () {
  "use strict";
  var me = document.currentScript;
  var generation = Number(me && me.getAttribute("data-generation")) || 0;
  var boot = (me && me.getAttribute("data-boot")) || "";
  var EVENTS = "/__reportgen__/events";
  var SCROLL_KEY = "reportgen-live-scroll";
  var baseline = null; // the body as the server sent it, before any script changed it
  var baselineHead = ""; // the stylesheets and scripts its head asked for
  var failures = 0;
  var live = (window.RGLive = { generation: generation, updates: 0, reloads: 0, lastChanged: [] });
  var INPUTS = "input[id]:not([data-control]):not([type=hidden]):not([type=password]):not([type=file])," +
    "select[id]:not([data-control]),textarea[id]"; // data-control ones live in the URL hash

  function pagePath() {
    var p = decodeURIComponent(location.pathname).replace(/^\/+/, "");
    return p === "" || /\/$/.test(p) ? p + "index.html" : p;
  }

  /* ---- banner ------------------------------------------------------------------ */
  function banner(kind, text) {
    var el = document.getElementById("rg-live-banner");
    if (!text) { if (el) el.parentNode.removeChild(el); return; }
    if (!el) {
      el = document.createElement("div");
      el.id = "rg-live-banner";
      el.setAttribute("role", "alert");
      el.style.cssText = "position:fixed;left:0;right:0;top:0;z-index:2147483647;padding:10px 16px;" +
        "font:13px/1.4 system-ui,sans-serif;color:#fff;box-shadow:0 2px 8px rgba(0,0,0,.25);" +
        "white-space:pre-wrap;max-height:40vh;overflow:auto";
      document.body.appendChild(el);
    }
    el.className = "rg-live-" + kind;
    el.style.background = kind === "error" ? "#b42318" : "#475467";
    var title = kind === "error" ? "Rebuild failed; showing the last good site.\n" : "";
    el.textContent = title + text;
  }

  /* ---- reload, keeping the scroll position -------------------------------------- */
  function reload(why) {
    live.reloads++;
    live.reloading = true;
    try {
      var inputs = {};
      document.querySelectorAll(INPUTS).forEach(function (el) {
        inputs[el.id] = (el.type === "checkbox" || el.type === "radio") ? el.checked : el.value;
      });
      sessionStorage.setItem(SCROLL_KEY, JSON.stringify({ path: pagePath(), x: scrollX, y: scrollY, why: why,
                                                          inputs: inputs }));
    } catch (e) { /* storage disabled: reload anyway */ }
    location.reload();
  }
  function restoreScroll() {
    var saved;
    try { saved = JSON.parse(sessionStorage.getItem(SCROLL_KEY) || "null"); } catch (e) { saved = null; }
    if (!saved || saved.path !== pagePath()) return;
    sessionStorage.removeItem(SCROLL_KEY);
    live.reloadedBecause = saved.why || null; // for tests and curious users
    var go = function () { scrollTo(saved.x, saved.y); };
    go();
    window.addEventListener("load", function () {
      // after the page's scripts started: put typed filters etc. back, as if typed again
      Object.keys(saved.inputs || {}).forEach(function (id) {
        var el = document.getElementById(id), v = saved.inputs[id];
        if (!el || !el.matches(INPUTS)) return;
        var box = el.type === "checkbox" || el.type === "radio";
        if (box ? el.checked === v : el.value === v) return;
        if (box) el.checked = v; else el.value = v;
        el.dispatchEvent(new Event("input", { bubbles: true }));
        el.dispatchEvent(new Event("change", { bubbles: true }));
      });
      go();
    });
  }

  /* ---- data files ---------------------------------------------------------------- */
  /* Changed data files this page has loaded are loaded again (RG.live.reloadData in assets/live.js:
     all at once, then each affected chart redraws once, in place). Files of charts in (or near) the
     viewport first; the others when they scroll into view. A file that changes again while it waits
     is loaded once, in its newest version. */
  var pending = {}; // site path -> true
  var busy = false;
  var io = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    if (entries.some(function (e) { return e.isIntersecting; })) pump();
  }, { rootMargin: "200px 0px" }) : null;

  function chartsOf(path) { // charts whose data id is part of this data file's path
    var segs = path.replace(/\.js$/, "").split("/");
    return Array.prototype.filter.call(document.querySelectorAll(".rg-chart[data-chart]"), function (el) {
      return segs.indexOf(el.getAttribute("data-chart")) >= 0;
    });
  }
  function nearView(el) {
    if (el.hidden) return false;
    var r = el.getBoundingClientRect();
    return r.bottom > -200 && r.top < innerHeight + 200;
  }
  function due() { // pending paths to load now: not a chart's, or a chart's near the viewport
    return Object.keys(pending).filter(function (p) {
      var charts = chartsOf(p);
      if (!charts.length) return true;
      var near = charts.some(nearView);
      if (!near && io) charts.forEach(function (el) { io.observe(el); });
      return near;
    });
  }
  function pump() {
    if (busy || !window.RG || !RG.live) return;
    var now = due();
    if (!now.length) return;
    now.forEach(function (p) { delete pending[p]; });
    busy = true;
    RG.live.reloadData(now, generation, function () {
      live.dataLoads = (live.dataLoads || 0) + now.length;
      live.drawnAt = Date.now(); // wall-clock ms, for benchmarks
      busy = false;
      pump();
    });
  }
  function reloadData(paths) {
    var have = RG.live.loadedScripts();
    paths.forEach(function (p) { if (have[p]) pending[p] = true; });
    pump();
  }

  function updatePage() {
    return fetch(location.href, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var P = RG.live;
      P.why = null;
      var why = !baseline ? "no baseline" : P.headSignature(doc) !== baselineHead ? "head changed" :
        !P.morph(baseline, doc.body, document.body, false) ? (P.why || "page structure changed") : null;
      if (why) {
        live.reloadReason = why;
        reload(why);
        return false;
      }
      var acts = { site: null, charts: [], panels: [] };
      P.morph(baseline, doc.body, document.body, true, acts);
      if (acts.site !== null) RG.live.applySite(acts.site);
      if (acts.sweep) RG.sweep.apply(acts.sweep);
      acts.charts.forEach(function (el) { RG.charts.adopt(el); });
      acts.panels.forEach(function (el) {
        try { RGPanels.setupPanel(el); } catch (err) { console.warn("reportgen panel " + el.id + ": " + err); }
      });
      live.patches = (live.patches || 0) + 1;
      baseline = doc.body;
      baselineHead = P.headSignature(doc);
      if (doc.title !== document.title) document.title = doc.title;
      return true;
    });
  }

  /* ---- the event loop --------------------------------------------------------------- */
  function apply(state) {
    if (state.boot !== boot || state.reload) { reload(state.reload ? "fell behind" : "server restarted"); return Promise.resolve(false); }
    if (state.generation === generation) return Promise.resolve(true); // polled, nothing new
    var changed = state.changed || [];
    live.eventAt = Date.now(); // wall-clock ms, for benchmarks
    generation = live.generation = state.generation;
    live.lastChanged = changed;
    banner("error", state.error);
    if (changed.some(function (p) { return /^assets\//.test(p); })) { reload("assets changed"); return Promise.resolve(false); }
    var t0 = Date.now(), patched = changed.indexOf(pagePath()) >= 0;
    var step = patched ? updatePage() : Promise.resolve(true);
    return step.then(function (ok) {
      if (!ok) return false;
      reloadData(changed.filter(function (p) { return /\.js$/.test(p); }));
      live.updates++;
      // for benchmarks: [when the news arrived, ms spent patching the page's HTML] (last 100)
      (live.timings = live.timings || []).push([t0, Date.now() - t0, patched ? 1 : 0]);
      if (live.timings.length > 100) live.timings.shift();
      return true;
    });
  }

  var POLL_MS = 120, HIDDEN_POLL_MS = 2000;
  var timer = null, polling = false;
  var channel = null;
  try { channel = "BroadcastChannel" in window ? new BroadcastChannel("reportgen-live") : null; } catch (e) { channel = null; }
  function interval() { // jittered, so that tabs do not poll in step
    return (document.hidden ? HIDDEN_POLL_MS : POLL_MS) * (1 + 0.5 * Math.random());
  }
  function schedule(ms) {
    if (live.reloading) return;
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }
  function handle(state) {
    polling = true;
    return apply(state).then(function () {
      polling = false;
      schedule(interval());
    });
  }
  function poll() {
    timer = null;
    if (polling) return;
    polling = true;
    live.polls = (live.polls || 0) + 1;
    var since = generation;
    fetch(EVENTS + "?since=" + since, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (state) {
      if (failures > 0) banner("info", null);
      failures = 0;
      if (channel) channel.postMessage({ since: since, state: state });
      return handle(state);
    }).catch(function () {
      polling = false;
      failures++;
      if (failures >= 2) banner("info", "Lost the connection to reportgen serve; retrying\u2026");
      schedule(Math.min(5000, 500 * failures));
    });
  }
  if (channel) channel.onmessage = function (e) { // another tab of this origin polled
    var m = e.data, state = m && m.state;
    if (!state || state.boot !== boot || polling || live.reloading || failures > 0) return;
    live.shared = (live.shared || 0) + 1;
    if (state.generation === generation && !state.reload) { schedule(interval()); return; } // nothing new
    if (m.since !== generation || state.reload) { schedule(0); return; } // other news: ask for ours
    handle(state).catch(function () { polling = false; schedule(0); });
  };
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer !== null && !polling) schedule(0); // back in view: catch up at once
  });

  live.morph = function () { return RG.live.morph.apply(null, arguments); }; // for tests

  document.addEventListener("DOMContentLoaded", function () {
    baseline = document.body.cloneNode(true); // before reportgen.js makes tables sortable etc.
    baselineHead = RG.live.headSignature(document); // before data scripts are added to the head
    restoreScroll();
    poll();
  });
})();

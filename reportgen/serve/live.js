/* reportgen serve --watch: keeps an open page in step with the site being rebuilt.
   Injected by the dev server into HTML responses only; built sites never contain it.

   The page polls /__reportgen__/events?since=<generation> about four times a second (every 2 s while
   hidden); the server answers at once with the site paths changed since then. A poll holds a
   connection for a millisecond, so any number of tabs share the browser's six connections per
   host (a long-poll or an EventSource per tab would hold one each, and tab 7 would stall).
   Tabs of the same server share each answer over a BroadcastChannel: a tab that hears one
   puts its own next poll off, so N tabs cost about one poll per interval, not N.
   This page then
   - loads changed data files again (charts subscribed to them update in place,
     keeping zoom, scroll and selection),
   - patches its own HTML in place when only text or attributes changed (summary values,
     durations, states), and reloads (restoring the scroll position) when its structure
     changed (a new chart, a new run, new assets),
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
  /* Changed data files this page has loaded are loaded again, one at a time so that each
     chart redraws before the next file arrives: charts in (or near) the viewport first;
     the others when they scroll into view. A file that changes again while it waits is
     loaded once, in its newest version. */
  var pending = {}; // site path -> true
  var busy = false;
  var io = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    if (entries.some(function (e) { return e.isIntersecting; })) pump();
  }, { rootMargin: "200px 0px" }) : null;

  function loadedScripts() {
    var out = {};
    document.querySelectorAll("script[src]:not([data-rg-live])").forEach(function (s) {
      out[decodeURIComponent(new URL(s.src, location.href).pathname).replace(/^\//, "")] = true;
    });
    return out;
  }
  function chartsOf(path) { // charts whose data id is part of this data file's path
    var segs = path.split("/");
    return Array.prototype.filter.call(document.querySelectorAll(".rg-chart[data-chart]"), function (el) {
      return segs.indexOf(el.getAttribute("data-chart")) >= 0;
    });
  }
  function nearView(el) {
    if (el.hidden) return false;
    var r = el.getBoundingClientRect();
    return r.bottom > -200 && r.top < innerHeight + 200;
  }
  function nextPath() {
    var best = null, bestTop = Infinity;
    Object.keys(pending).forEach(function (p) {
      var charts = chartsOf(p);
      if (!charts.length) { if (best === null || bestTop > -Infinity) { best = p; bestTop = -Infinity; } return; }
      charts.forEach(function (el) {
        if (!nearView(el)) { if (io) io.observe(el); return; }
        var top = Math.abs(el.getBoundingClientRect().top);
        if (top < bestTop) { best = p; bestTop = top; }
      });
    });
    return best;
  }
  function pump() {
    if (busy) return;
    var p = nextPath();
    if (p === null) return;
    delete pending[p];
    busy = true;
    var again = document.createElement("script");
    again.src = "/" + p.split("/").map(encodeURIComponent).join("/") + "?rg-live=" + generation;
    again.setAttribute("data-rg-live", "");
    again.onload = again.onerror = function () {
      if (again.parentNode) again.parentNode.removeChild(again);
      live.dataLoads = (live.dataLoads || 0) + 1;
      // let the chart that just got its data draw before the next file arrives
      requestAnimationFrame(function () { setTimeout(function () { busy = false; pump(); }, 0); });
    };
    document.head.appendChild(again);
  }
  function reloadData(paths) {
    var have = loadedScripts();
    paths.forEach(function (p) { if (have[p]) pending[p] = true; });
    pump();
  }

  /* ---- patching the page's HTML in place ------------------------------------------ */
  function chartSignature(root) {
    return Array.prototype.map.call(root.querySelectorAll(".rg-chart"), function (el) {
      var spec = el.querySelector("script.rg-spec");
      return [el.id, el.getAttribute("data-src"), el.getAttribute("data-runs"),
              spec ? spec.textContent : ""].join("\u0000");
    }).join("\u0001");
  }
  function headSignature(doc) {
    return Array.prototype.map.call(doc.querySelectorAll("head link[href], head script[src]:not([data-generation])"),
      function (el) { return el.getAttribute("href") || el.getAttribute("src"); }).join(" ");
  }
  function replaceChildren(liveEl, fresh) {
    while (liveEl.firstChild) liveEl.removeChild(liveEl.firstChild);
    fresh.childNodes.forEach(function (n) { liveEl.appendChild(document.importNode(n, true)); });
  }
  /* Parts that scripts made interactive (or hold references to, by id) must not be replaced wholesale. */
  var STATEFUL = ".rg-chart, table, input, select, textarea, details, canvas, video, audio, iframe, [id]";
  function hasState(el) {
    return el.nodeType === 1 && (el.matches(STATEFUL) || !!el.querySelector(STATEFUL));
  }
  function keyOf(n) { return n.nodeType === 1 && n.hasAttribute("data-run") ? n.getAttribute("data-run") : null; }

  /* The page's site JSON (RG.site) changed. When only per-run live fields moved (state,
     duration, summary, warnings) they are copied into RG.site; the runs table re-renders
     through RG.table.refresh() when the runtime offers it. Otherwise (or when the state or
     summary changed and nothing can show it) the page reloads. */
  var LIVE_FIELDS = ["state", "duration", "s", "warn", "m"];  // groups16: m = per-metric min/max/last
  function patchSite(oldText, newText, apply) {
    var a, b;
    try { a = JSON.parse(oldText); b = JSON.parse(newText); } catch (e) { return false; }
    if (!window.RG || !RG.site || !Array.isArray(RG.site.runs) || !a.runs || !b.runs) return false;
    var strip = function (site) {
      return JSON.stringify(site, function (k, v) {
        return this && this.f !== undefined && LIVE_FIELDS.indexOf(k) >= 0 ? undefined : v;
      });
    };
    if (strip(a) !== strip(b)) return false;
    var visible = false;
    for (var i = 0; i < b.runs.length; i++) {
      var cur = RG.site.runs[i], r = b.runs[i];
      if (!cur || cur.f !== r.f) return false;
      LIVE_FIELDS.forEach(function (k) {
        if (JSON.stringify(cur[k]) === JSON.stringify(r[k])) return;
        if (k !== "duration") visible = true;
        if (apply) cur[k] = r[k];
      });
    }
    var refresh = RG.table && typeof RG.table.refresh === "function";
    if (refresh && apply) RG.table.refresh();
    return refresh || !visible; // only durations moved: not worth a reload
  }

  /* Three-way: what changed from `old` (served before) to `fresh` (served now) is applied to
     `liveEl` (the page, possibly changed by scripts since). Returns false when not possible.
     Call it first with apply=false (a dry run), so a page is never half patched and then reloaded. */
  function morph(old, fresh, liveEl, apply) {
    if (!liveEl || old.nodeType !== fresh.nodeType || old.nodeName !== fresh.nodeName) return false;
    if (old.nodeName === "SCRIPT") { // data scripts are read once, at start
      if (old.textContent === fresh.textContent) return true;
      if (old.id === "rg-site" && patchSite(old.textContent, fresh.textContent, apply)) return true;
      live.why = "site data changed";
      return false;
    }
    if (old.nodeType === 3 || old.nodeType === 8) {
      if (apply && old.nodeValue !== fresh.nodeValue) liveEl.nodeValue = fresh.nodeValue;
      return true;
    }
    if (old.nodeType !== 1) return true;
    if (liveEl.nodeName !== old.nodeName) return false;
    if (old.classList.contains("rg-chart")) return true; // same signature: its data updates it
    var names = {};
    Array.prototype.forEach.call(old.attributes, function (a) { names[a.name] = true; });
    Array.prototype.forEach.call(fresh.attributes, function (a) { names[a.name] = true; });
    Object.keys(names).forEach(function (name) {
      var before = old.getAttribute(name), after = fresh.getAttribute(name);
      if (before === after || !apply) return;
      if (after === null) liveEl.removeAttribute(name); else liveEl.setAttribute(name, after);
    });
    var oc = old.childNodes, fc = fresh.childNodes, lc = liveEl.childNodes;
    var sameShape = oc.length === fc.length;
    for (var i = 0; sameShape && i < oc.length; i++) {
      if (oc[i].nodeName !== fc[i].nodeName || keyOf(oc[i]) !== keyOf(fc[i])) sameShape = false;
    }
    if (!sameShape) {
      if (hasState(old) || hasState(fresh) || lc.length !== oc.length) return false;
      if (apply) replaceChildren(liveEl, fresh);
      return true;
    }
    for (var j = 0; j < oc.length; j++) {
      var key = keyOf(oc[j]), target = null;
      if (key !== null) {
        for (var k = 0; k < lc.length; k++) { if (keyOf(lc[k]) === key) { target = lc[k]; break; } }
      } else {
        target = lc[j];
      }
      if (!morph(oc[j], fc[j], target, apply)) return false;
    }
    return true;
  }

  function updatePage() {
    return fetch(location.href, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var why = !baseline ? "no baseline" : headSignature(doc) !== baselineHead ? "head changed" :
        chartSignature(doc.body) !== chartSignature(baseline) ? "charts changed" :
        !morph(baseline, doc.body, document.body, false) ? (live.why || "page structure changed") : null;
      live.why = null;
      if (!why) morph(baseline, doc.body, document.body, true);
      if (why) {
        live.reloadReason = why;
        reload(why);
        return false;
      }
      baseline = doc.body;
      baselineHead = headSignature(doc);
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
    var step = changed.indexOf(pagePath()) >= 0 ? updatePage() : Promise.resolve(true);
    return step.then(function (ok) {
      if (!ok) return false;
      reloadData(changed.filter(function (p) { return /\.js$/.test(p); }));
      live.updates++;
      return true;
    });
  }

  var POLL_MS = 250, HIDDEN_POLL_MS = 2000;
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

  live.morph = morph; // exposed for tests

  document.addEventListener("DOMContentLoaded", function () {
    baseline = document.body.cloneNode(true); // before reportgen.js makes tables sortable etc.
    baselineHead = headSignature(document); // before data scripts are added to the head
    restoreScroll();
    poll();
  });
})();

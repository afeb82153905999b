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
  /* Changed data files this page has loaded are loaded again (RG.live.reloadData in assets/live.js:
     all at once, then each affected chart redraws once, in place). Files of charts in (or near) the
     viewport first; the others when they scroll into view. A file that changes again while it waits
     is loaded once, in its newest version. */
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
    var have = loadedScripts();
    paths.forEach(function (p) { if (have[p]) pending[p] = true; });
    pump();
  }

  /* ---- patching the page's HTML in place ------------------------------------------ */
  function headSignature(doc) {
    return Array.prototype.map.call(doc.querySelectorAll("head link[href], head script[src]:not([data-generation]):not([data-rg-live])"),
      function (el) { return el.getAttribute("href") || el.getAttribute("src"); }).join(" ");
  }
  function chartSignature(el) {
    var spec = el.querySelector("script.rg-spec");
    return [el.getAttribute("data-runs"), el.getAttribute("data-x"), spec ? spec.textContent : ""].join("\u0000");
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
  /* Children are matched by a key where they have one: a run row, an element id, a section's title. */
  function keyOf(n) {
    if (n.nodeType !== 1) return null;
    if (n.hasAttribute("data-run")) return "run:" + n.getAttribute("data-run");
    if (n.id) return "id:" + n.id;
    if (n.classList.contains("rg-section")) {
      var h = n.querySelector(".rg-section-title");
      return "section:" + (h && h.firstChild ? String(h.firstChild.nodeValue).trim() : "");
    }
    return null;
  }
  function describe(el) { // for RGLive.reloadedBecause
    return el.nodeName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).split(" ")[0] : "");
  }
  /* old and fresh children (both as the server sent them) also match by class */
  function alignKey(n) {
    var k = keyOf(n);
    return k !== null || n.nodeType !== 1 ? k : "class:" + n.getAttribute("class");
  }
  function kids(list) {
    return Array.prototype.filter.call(list, function (n) { return n.nodeType === 1; })
      .map(function (n) { return describe(n) + (keyOf(n) ? "[" + keyOf(n) + "]" : ""); }).join(" ").slice(0, 300);
  }
  function sameNode(a, b) { return a.nodeName === b.nodeName && alignKey(a) === alignKey(b); }
  function sameShape(oc, fc) { // children in the same places (classes may have changed)
    if (oc.length !== fc.length) return false;
    for (var i = 0; i < oc.length; i++) if (oc[i].nodeName !== fc[i].nodeName || keyOf(oc[i]) !== keyOf(fc[i])) return false;
    return true;
  }
  /* A new node can be put into the page as it is when it brings no script or stylesheet the page
     has not loaded yet (inserted <script src> would not run). */
  function insertable(n) {
    if (n.nodeType !== 1) return n.nodeType === 3 || n.nodeType === 8;
    var have = loadedScripts();
    var ok = true;
    n.querySelectorAll("script[src], link[href]").forEach(function (el) {
      var url = el.getAttribute("src") || el.getAttribute("href");
      var path = decodeURIComponent(new URL(url, location.href).pathname).replace(/^\//, "");
      if (el.nodeName === "SCRIPT" && !have[path]) ok = false;
      if (el.nodeName === "LINK" && !document.querySelector('link[href="' + url.replace(/"/g, '\\"') + '"]')) ok = false;
    });
    if (n.matches("script[src], link[href]")) ok = false;
    return ok;
  }
  /* Old children matched to fresh ones: fresh index -> old index, or -1 for a node to insert; old
     children matched by none are removed. The same places when the shape holds (classes may have
     changed); otherwise the longest common subsequence by tag and key (a run's row, an id, a section's
     title, else the class). null when the lists are too long to compare. */
  function align(oc, fc) {
    var map = [], i, j, n = oc.length, m = fc.length;
    if (sameShape(oc, fc)) { for (i = 0; i < n; i++) map.push(i); return map; }
    if (n * m > 250000) return null;
    var L = [];
    for (i = 0; i <= n; i++) { L.push(new Int32Array(m + 1)); }
    for (i = n - 1; i >= 0; i--) {
      for (j = m - 1; j >= 0; j--) {
        L[i][j] = sameNode(oc[i], fc[j]) ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
      }
    }
    for (j = 0; j < m; j++) map.push(-1);
    i = 0; j = 0;
    while (i < n && j < m) {
      if (sameNode(oc[i], fc[j])) { map[j] = i; i++; j++; }
      else if (L[i + 1][j] >= L[i][j + 1]) i++;
      else j++;
    }
    return map;
  }

  /* Three-way: what changed from `old` (served before) to `fresh` (served now) is applied to
     `liveEl` (the page, possibly changed by scripts since). Returns false when not possible.
     Call it first with apply=false (a dry run), so a page is never half patched and then reloaded.
     With apply, `acts` collects what the page runtime must do afterwards (charts, panels, site JSON). */
  function morph(old, fresh, liveEl, apply, acts) {
    acts = acts || { site: null, charts: [], panels: [] };
    if (!liveEl || old.nodeType !== fresh.nodeType || old.nodeName !== fresh.nodeName) return false;
    if (old.nodeName === "SCRIPT") { // data scripts are read once, at start
      if (old.textContent === fresh.textContent) return true;
      if (old.id === "rg-site" && window.RG && RG.live && RG.live.canApplySite(fresh.textContent)) {
        if (apply) { liveEl.textContent = fresh.textContent; acts.site = fresh.textContent; }
        return true;
      }
      live.why = "site data changed";
      return false;
    }
    if (old.nodeType === 3 || old.nodeType === 8) {
      if (apply && old.nodeValue !== fresh.nodeValue) liveEl.nodeValue = fresh.nodeValue;
      return true;
    }
    if (old.nodeType !== 1) return true;
    if (liveEl.nodeName !== old.nodeName) return false;
    if (old.classList.contains("rg-chart")) { // its data updates it; new runs or a new spec: adopt
      if (chartSignature(old) === chartSignature(fresh)) return true;
      if (!window.RG || !RG.charts || !RG.charts.adopt) return false;
      if (apply) {
        ["data-runs", "data-x"].forEach(function (name) {
          var v = fresh.getAttribute(name);
          if (v === null) liveEl.removeAttribute(name); else liveEl.setAttribute(name, v);
        });
        var spec = liveEl.querySelector("script.rg-spec"), fspec = fresh.querySelector("script.rg-spec");
        if (spec && fspec) spec.textContent = fspec.textContent;
        acts.charts.push(liveEl);
      }
      return true;
    }
    if (old.classList.contains("rgp-panel")) { // new media: the panel is set up again
      if (old.outerHTML === fresh.outerHTML) return true;
      if (!window.RGPanels || !RGPanels.setupPanel || !insertable(fresh)) return false;
      if (apply) {
        var panel = document.importNode(fresh, true);
        liveEl.parentNode.replaceChild(panel, liveEl);
        acts.panels.push(panel);
      }
      return true;
    }
    var names = {};
    Array.prototype.forEach.call(old.attributes, function (a) { names[a.name] = true; });
    Array.prototype.forEach.call(fresh.attributes, function (a) { names[a.name] = true; });
    Object.keys(names).forEach(function (name) {
      var before = old.getAttribute(name), after = fresh.getAttribute(name);
      if (before === after || !apply) return;
      if (after === null) liveEl.removeAttribute(name); else liveEl.setAttribute(name, after);
    });
    var oc = old.childNodes, fc = fresh.childNodes, lc = liveEl.childNodes;
    var map = align(oc, fc);
    if (map === null) {
      if (hasState(old) || hasState(fresh) || lc.length !== oc.length) {
        live.why = live.why || "page structure changed at " + describe(old) + ": " + kids(oc) + " -> " + kids(fc);
        return false;
      }
      if (apply) replaceChildren(liveEl, fresh);
      return true;
    }
    var targets = [];
    for (var i = 0; i < oc.length; i++) { // the live node of each old child
      var key = keyOf(oc[i]), target = null;
      if (key !== null) {
        for (var k = 0; k < lc.length; k++) { if (keyOf(lc[k]) === key) { target = lc[k]; break; } }
      } else {
        target = lc[i];
      }
      targets.push(target);
    }
    var kept = {};
    map.forEach(function (o) { if (o >= 0) kept[o] = true; });
    for (var r = 0; r < oc.length; r++) { // old children gone from the fresh page
      if (kept[r]) continue;
      if (!targets[r] || hasState(oc[r])) { live.why = "page structure changed: " + describe(oc[r]) + " went away"; return false; }
      if (apply && targets[r].parentNode) targets[r].parentNode.removeChild(targets[r]);
    }
    var after = null; // where the next inserted node goes: after the live node of the last matched child
    for (var j = 0; j < fc.length; j++) {
      if (map[j] >= 0) {
        if (!morph(oc[map[j]], fc[j], targets[map[j]], apply, acts)) return false;
        after = targets[map[j]];
        continue;
      }
      if (!insertable(fc[j])) { live.why = "new content brings new scripts"; return false; }
      if (!apply) continue;
      var node = document.importNode(fc[j], true);
      var before = after ? after.nextSibling : liveEl.firstChild;
      liveEl.insertBefore(node, before);
      after = node;
      if (node.nodeType === 1) {
        if (node.matches(".rg-chart")) acts.charts.push(node);
        node.querySelectorAll(".rg-chart").forEach(function (c) { acts.charts.push(c); });
        if (node.matches(".rgp-panel")) acts.panels.push(node);
        node.querySelectorAll(".rgp-panel").forEach(function (c) { acts.panels.push(c); });
      }
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
        !morph(baseline, doc.body, document.body, false) ? (live.why || "page structure changed") : null;
      live.why = null;
      if (why) {
        live.reloadReason = why;
        reload(why);
        return false;
      }
      var acts = { site: null, charts: [], panels: [] };
      morph(baseline, doc.body, document.body, true, acts);
      if (acts.site !== null) RG.live.applySite(acts.site);
      acts.charts.forEach(function (el) { RG.charts.adopt(el); });
      acts.panels.forEach(function (el) {
        try { RGPanels.setupPanel(el); } catch (err) { console.warn("reportgen panel " + el.id + ": " + err); }
      });
      live.patches = (live.patches || 0) + 1;
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

  live.morph = morph; // exposed for tests

  document.addEventListener("DOMContentLoaded", function () {
    baseline = document.body.cloneNode(true); // before reportgen.js makes tables sortable etc.
    baselineHead = headSignature(document); // before data scripts are added to the head
    restoreScroll();
    poll();
  });
})();

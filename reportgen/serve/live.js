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
    // only a reload can have saved one: a tab opened fresh skips sessionStorage (its first use is a
    // synchronous round trip to the browser process, which is busy when many tabs open at once)
    var nav = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (nav && nav.type !== "reload") return;
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
  var timer = null, polling = false, missed = false;
  var channel = null;
  try { channel = "BroadcastChannel" in window ? new BroadcastChannel("reportgen-live") : null; } catch (e) { channel = null; }
  /* One tab polls for all tabs of this server (tabs12, issue 12). With twenty tabs each polling and
     sharing every answer, each answer woke every tab: ~130 wake-ups a second, about a third of a
     core of the browser's CPU with nothing changing, taken from the tabs being opened. Now the tabs
     elect a leader with the Web Locks API (one holder of the lock per origin; when its tab closes the
     next tab in the queue gets it): the leader polls and shares an answer only when it has news (or
     lost the server); the other tabs wait on the lock and their channel, using no CPU. A tab the
     reader looks at takes the lead (steals the lock) so that a hidden leader, whose polls the
     browser slows down, never delays a visible tab. Each tab still polls once when it starts, for
     what changed since its HTML was served. Without Web Locks (they exist only in secure contexts,
     so not on http://<LAN address>) or BroadcastChannel, every tab polls and shares as before. */
  var LOCK = "reportgen-live";
  var locks = channel && navigator.locks && typeof navigator.locks.request === "function" ? navigator.locks : null;
  var leader = !locks;
  live.leader = leader;
  function interval() { // jittered, so that tabs do not poll in step
    return (document.hidden ? HIDDEN_POLL_MS : POLL_MS) * (1 + 0.5 * Math.random());
  }
  function schedule(ms, once) { // `once`: a follower's own catch-up poll
    if (live.reloading || (!leader && !once)) return;
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }
  var request = 0; // the newest lock request of this tab: an older one (stolen by a newer one of
  // ours, e.g. a tab that is shown and hears of a hidden leader at once) neither leads nor follows
  function lead(steal) {
    var id = ++request;
    locks.request(LOCK, steal ? { steal: true } : {}, function () {
      if (id !== request) return undefined; // superseded while queued: let the lock go at once
      leader = live.leader = true;
      live.leads = (live.leads || 0) + 1;
      if (!polling) schedule(0);
      hiddenLead();
      return new Promise(function () { /* held until the tab goes (or another tab steals it) */ });
    }).catch(function () { // another tab took the lead: follow, and queue for the lock again
      if (id !== request) return; // stolen by this tab's own newer request
      leader = live.leader = false;
      clearTimeout(timer);
      timer = null;
      if (!live.reloading) lead(false);
    });
  }
  /* The lock passes to the next tab in its queue when the leader's tab closes, and that tab may be
     hidden (its polls slowed to HIDDEN_POLL_MS) while the reader looks at another one, e.g. in a
     second window. A hidden leader says so; a visible follower that hears it takes the lead. */
  function hiddenLead() {
    if (leader && locks && document.hidden && channel) channel.postMessage({ hiddenLeader: true });
  }
  function handle(state) {
    polling = true;
    return apply(state).then(function () {
      polling = false;
      if (missed) { missed = false; schedule(0, true); } else schedule(interval());
    });
  }
  function news(since, state) {
    return state.boot !== boot || state.reload || state.generation !== since;
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
      if (failures > 0) {
        banner("info", null);
        if (channel && leader && locks) channel.postMessage({ lost: 0 });
      }
      failures = 0;
      // with a leader, only news is shared (the others need nothing else); without, every answer,
      // which tells the other tabs to put their own polls off
      if (channel && (!locks || news(since, state))) channel.postMessage({ since: since, state: state });
      return handle(state);
    }).catch(function () {
      polling = false;
      failures++;
      if (failures >= 2) {
        banner("info", "Lost the connection to reportgen serve; retrying\u2026");
        if (channel && leader && locks) channel.postMessage({ lost: failures });
      }
      if (leader) schedule(Math.min(5000, 500 * failures));
      else if (failures < 3) schedule(500 * failures, true); // a follower's first poll failed: try again
    });
  }
  if (channel) channel.onmessage = function (e) { // another tab of this origin polled
    var m = e.data, state = m && m.state;
    if (m && m.hiddenLeader) { // the leader's tab is hidden: a tab in front takes over
      if (!document.hidden && !leader && live.following && !live.reloading) lead(true);
      return;
    }
    if (m && typeof m.lost === "number" && !leader) { // the leader lost (or found again) the server
      banner("info", m.lost ? "Lost the connection to reportgen serve; retrying\u2026" : null);
      return;
    }
    if (!state || live.reloading || failures > 0) return;
    if (state.boot !== boot) { if (!polling) schedule(0, true); return; } // a restarted server: see for ourselves
    if (polling) { if (news(generation, state)) missed = true; return; } // ask again once this poll is done
    live.shared = (live.shared || 0) + 1;
    if (!state.reload && state.generation <= generation) { schedule(interval()); return; } // nothing new here
    if (m.since !== generation || state.reload) { schedule(0, true); return; } // other news: ask for ours
    handle(state).catch(function () { polling = false; schedule(0, true); });
  };
  function start() {
    poll(); // what changed since this page's HTML was served (every tab, leader or not)
    if (!locks) return;
    live.following = true;
    lead(!document.hidden); // a tab the reader looks at leads; a hidden one waits its turn
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { hiddenLead(); return; } // sent to the back: a tab in front may lead
    if (locks && !leader && live.following && !live.reloading) lead(true); // in front now: take the lead
    else if (leader && timer !== null && !polling) schedule(0); // back in view: catch up at once
  });

  /* Data files asked for together come in one response (/__reportgen__/data?f=<path>&f=..., the files
     joined; RG.loadAll and the loader's batch() in assets/), not one request each: a request costs the
     browser process, the network process and the renderer a few ms each, times twenty tabs. */
  var BATCH = "/__reportgen__/data";
  (window.RG = window.RG || {}).batchSrc = function (srcs) {
    return BATCH + "?" + srcs.map(function (s) {
      return "f=" + encodeURIComponent(new URL(s, location.href).pathname);
    }).join("&");
  };
  RG.batchSrc.path = BATCH;

  live.reload = reload; // for tests: what a change the page cannot patch does

  live.morph = function () { return RG.live.morph.apply(null, arguments); }; // for tests

  document.addEventListener("DOMContentLoaded", function () {
    baseline = document.body.cloneNode(true); // before reportgen.js makes tables sortable etc.
    baselineHead = RG.live.headSignature(document); // before data scripts are added to the head
    restoreScroll();
    // polling and the election start once the page has loaded and is idle: twenty tabs opened at once
    // each draw their first screen first (the first poll asks for everything since the HTML anyway)
    var go = function () {
      if (window.requestIdleCallback) requestIdleCallback(start, { timeout: 500 }); else setTimeout(start, 50);
    };
    if (document.readyState === "complete") go(); else window.addEventListener("load", go);
  });
})();

/* reportgen charts: lazy rendering of .rg-chart elements with Vega-Lite, driven by RG.state.
   Data: data/runs/<run-file>.js (every metric's points, x columns, min-max band, NaN marks) and
   data/smooth/<run-file>.js (debiased EMA over the raw series, per slider weight, for downsampled
   metrics only; the others are smoothed in the page), loaded only for the runs shown (and smoothing
   only when the slider is used); decoded by assets/loader.js. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var C = (RG.charts = {});
  var all = [];
  var MAX_BANDS = 8;  // min-max bands are drawn when at most this many runs are shown (else they blur)
  var OVERVIEW_POINTS = 6000, MIN_FOLD = 24;  // points per overview chart, and the least per run

  /* The x axis option with this key, else the page's, else Step. */
  function optionFor(key) {
    var opts = RG.site.xopts;
    for (var i = 0; i < opts.length; i++) if (opts[i].key === key) return opts[i];
    for (i = 0; i < opts.length; i++) if (opts[i].key === RG.state.x) return opts[i];
    return opts[0];
  }
  /* The x axis option in use; `dx` is the chart's own default (its define_metric step_metric),
     used while the selector is on Step. */
  function xOption(dx) {
    var key = RG.state.x;
    if (dx && key === "_step") key = dx;
    return optionFor(key);
  }
  function weightIndex(w) {
    if (w === undefined) w = RG.state.smooth;
    if (!w) return -1;
    var ws = RG.site.weights, best = 0;
    for (var i = 0; i < ws.length; i++) if (Math.abs(ws[i] - w) < Math.abs(ws[best] - w)) best = i;
    return best;
  }
  function own(o, k) { return o && Object.prototype.hasOwnProperty.call(o, k) && o[k] !== null && o[k] !== undefined; }
  /* A chart's settings in effect: its URL entry (state `pp`), else its workspace defaults
     (data-settings, from workspace.json), else the page's controls. See docs/site.md. */
  C.settingsOf = function (ch) {
    var pp = (RG.state.pp || {})[ch.panel] || {}, ws = ch.defaults || {};
    function pick(k, page) { return own(pp, k) ? pp[k] : own(ws, k) ? ws[k] : page; }
    var xkey = pick("x", null), smooth = pick("smooth", RG.state.smooth);
    var xo = xkey ? optionFor(xkey) : xOption(ch.dx);
    return { xo: xo, x: xo.key, log: !!pick("log", RG.state.log), smooth: smooth, wi: weightIndex(smooth),
             outliers: !!pick("outliers", RG.state.outliers), ymin: pick("ymin", null), ymax: pick("ymax", null) };
  };
  function pageSettings(dx) {  // for callers without a chart (and the unit tests)
    var xo = xOption(dx);
    return { xo: xo, x: xo.key, log: !!RG.state.log, smooth: RG.state.smooth, wi: weightIndex(),
             outliers: !!RG.state.outliers, ymin: null, ymax: null };
  }
  C.pageSettings = pageSettings;

  /* Runs of this chart that are shown: selected in the state (by default its most recent runs) and
     passing the table filters. */
  C.visibleRuns = function (runs) {
    var sel = RG.state.runs;
    if (sel === null && RG.site.kind === "compare") sel = [];
    // bounded default selection (runs-data.js); grouped charts aggregate every run passing the filters
    if (sel === null && RG.defaultRuns && !(RG.groups && RG.groups.active())) sel = RG.defaultRuns(runs);
    // pinned runs are drawn last (on top) by C.drawOrder (chart-spec.js)
    return runs.filter(function (f) {
      if (!RG.runsByFile[f]) return false;
      if (sel !== null && sel.indexOf(f) < 0) return false;
      return !RG.table || RG.table.passes(f);
    });
  };

  /* Shows or hides a chart for the runs it draws now (C.visibleRuns) and returns them. With no runs
     ticked, a chart of a page with the runs table draws its own most recent runs, which need not be
     the runs the table ticks (the most recent of all): the chart then says so under it ("The latest
     3 runs that logged opt/lr: none of them ticked in the table"), so that what is drawn is never
     a silent exception to the ticks. Known from the page's own data at first paint (runs_data.py). */
  C.show = function (el, runs) {
    runs = runs || C.visibleRuns(chartOf(el).runs);
    if (el.hidden !== (runs.length === 0)) el.hidden = runs.length === 0;  // (callers: C.syncSections)
    var text = "";
    if (runs.length && RG.state.runs === null && RG.site.kind !== "compare" && RG.defaultRuns
        && document.getElementById("rg-runs") && !(RG.groups && RG.groups.active())) {
      text = C.defaultNote(el.dataset.key, runs, RG.defaultRuns());
    }
    var note = el.querySelector(".rg-chart-default");
    if (!text) { if (note) note.hidden = true; return runs; }
    if (!note) {
      note = document.createElement("p");
      note.className = "rg-chart-default";
      var view = el.querySelector(".rg-chart-view");
      el.insertBefore(note, view ? view.nextSibling : el.firstChild);
    }
    note.textContent = text;
    note.hidden = false;
    return runs;
  };
  /* The note of a chart of `key` drawing `runs` by default while the table ticks `ticked` ("": all
     of them are ticked). */
  C.defaultNote = function (key, runs, ticked) {
    var off = runs.filter(function (f) { return ticked.indexOf(f) < 0; }).length, n = runs.length;
    if (!off) return "";
    return (n === 1 ? "The latest run" : "The latest " + n + " runs") + " that logged " + key + ": "
      + (off < n ? off + " of them not ticked" : n === 1 ? "not ticked" : "none of them ticked") + " in the table";
  };

  /* Long-format rows for the "rows" dataset. */
  C.xOption = xOption;
  C.weightIndex = weightIndex;
  /* with more runs shown than RG.site.limits.maxFullRuns (site/config.py), charts draw the per-metric
     overview files (liteSamples points per run) */
  C.useOverview = function (runs) { return runs.length > RG.site.limits.maxFullRuns; };
  /* Data ids a chart needs: one file per run (few runs) or the metric's overview files. */
  C.idsFor = function (metric, runs, wi) {
    if (wi === undefined) wi = weightIndex();
    var ids = [];
    if (C.useOverview(runs)) return window.RGLoader.overviewIds(metric, runs, wi);  // site/overviews.py
    runs.forEach(function (f) {  // one file per run holds every metric (data/runs/<run>.js), and
      // data/smooth/<run>.js when it says so (downsampled metrics): known once the run file is loaded
      ids = ids.concat(window.RGLoader.runIds(RG.loaded, f, wi));
    });
    return ids;
  };
  /* {p: series payload, ss: smoothed values}: decoded from the binary data files by assets/loader.js */
  function series(metric, f, overview, wi) {
    return window.RGLoader.series(RG.loaded, metric, f, overview, wi);
  }

  /* Indices of at most about `keep` points of a series that keep its first and last point, each
     group's minimum and maximum of every drawn value series in `vs` (the line, and the raw line
     under a smoothed one: a spike survives, as in the build's downsampling) and every gap (null
     or non-finite point). null: keep all. */
  C.foldIndex = function (vs, bad, keep) {
    var n = vs[0].length;
    if (n <= keep) return null;
    var groups = Math.max(1, Math.floor((keep - 2) / (2 * vs.length))), out = [0];
    for (var g = 0; g < groups; g++) {
      var a = 1 + Math.floor(g * (n - 2) / groups), b = 1 + Math.floor((g + 1) * (n - 2) / groups);
      var pick = {};
      for (var i = a; i < b; i++) if (vs[0][i] === null || bad[i]) pick[i] = true;
      vs.forEach(function (v) {
        var lo = -1, hi = -1;
        for (var i = a; i < b; i++) {
          if (v[i] === null || bad[i]) continue;
          if (lo < 0 || v[i] < v[lo]) lo = i;
          if (hi < 0 || v[i] > v[hi]) hi = i;
        }
        if (lo >= 0) pick[lo] = true;
        if (hi >= 0) pick[hi] = true;
      });
      Object.keys(pick).map(Number).sort(function (p, q) { return p - q; }).forEach(function (i) { out.push(i); });
    }
    out.push(n - 1);
    return out;
  };

  /* Rows of one metric for `runs` (in drawing order) under settings `st` (C.settingsOf); `suffix`
     is added to each run's label (" · key" in a panel overlaying several keys). */
  C.rowsFor = function (metric, runs, dx, st, suffix) {
    st = st || pageSettings(dx);
    var xo = st.xo, temporal = xo.key === "_timestamp", log = st.log, wi = st.wi;
    var rows = [], bands = runs.length <= MAX_BANDS, overview = C.useOverview(runs);
    // Overview charts draw about OVERVIEW_POINTS points in all (min-max folded per run): with 110
    // runs at 100 points each, the first screen took ~15% longer for no visible detail.
    var keep = overview ? Math.max(MIN_FOLD, Math.floor(OVERVIEW_POINTS / runs.length)) : Infinity;
    runs.forEach(function (f) {
      var got = series(metric, f, overview, wi), p = got.p, ss = got.ss;
      if (!p) return;
      var xs = p.x[xo.key];
      if (!xs) return;
      var bad = {};
      (p.nf || []).forEach(function (m) { bad[m[0]] = m[1]; });
      var label = RG.runsByFile[f].label + (suffix || ""), start = rows.length, sorted = true, prev = -Infinity;
      var idx = C.foldIndex(ss ? [ss, p.y] : [p.y], bad, keep), count = idx ? idx.length : p.y.length;
      // smoothed points still dominated by the first raw values (debiased EMA warm-up): not used to fit y
      var warm = ss && window.RGFit ? Math.ceil(window.RGFit.warmup(RG.site.weights[wi]) * p.y.length / Math.max(p.n || 0, p.y.length)) : 0;
      for (var k = 0; k < count; k++) {
        var i = idx ? idx[k] : k, x = xs[i];
        if (x === null || x === undefined) continue;
        if (temporal) x = x * 1000;
        var y = p.y[i], s = ss ? ss[i] : y;
        var lo = bands && p.lo ? p.lo[i] : null, hi = bands && p.hi ? p.hi[i] : null;
        var cut = null;
        if (log) {  // no position on a log axis: dropped (the hover box says so, docs/site.md)
          if ((y !== null && y <= 0) || (s !== null && s <= 0)) cut = 1;
          if (y !== null && y <= 0) y = null;
          if (s !== null && s <= 0) s = null;
          if (lo !== null && lo <= 0) lo = null;
          if (hi !== null && hi <= 0) hi = null;
        }
        if (x < prev) sorted = false;
        prev = x;
        var row = { run: label, x: x, y: y, s: s, lo: lo, hi: hi, bad: bad[i] || null };
        if (cut) row.cut = 1;
        if (i < warm) row.warm = 1;
        rows.push(row);
      }
      // Lines join points in row order (the spec turns Vega's per-series sort off, see
      // reportgen/site/charts.py); a clock set back or a resumed run's _runtime is sorted here.
      if (!sorted) {
        var mine = rows.splice(start).sort(function (a, b) { return a.x - b.x; });
        for (var j = 0; j < mine.length; j++) rows.push(mine[j]);
      }
    });
    return rows;
  };

  /* Which optional layers a chart needs for these rows (fewer layers render faster). */
  /* The layers `rows` need. Rows with a value but no neighbour to draw a line to (a metric logged
     once, a point between gaps: a line of one point draws nothing) are marked `lone` and drawn
     as dots (the "lone" layer, site/charts.py; chart-lite.js draws the same). Each run's rows are
     consecutive and sorted by x (C.rowsFor). */
  C.layersFor = function (rows, st) {
    var need = { band: false, raw: (st ? st.wi : weightIndex()) >= 0, nonfinite: false, main: true, lone: false };
    function has(r, run) { return !!r && r.run === run && r.s !== null && r.s !== undefined; }
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (r.lo !== null) need.band = true;
      if (r.bad !== null) need.nonfinite = true;
      r.lone = has(r, r.run) && !has(rows[i - 1], r.run) && !has(rows[i + 1], r.run);
      if (r.lone) need.lone = true;
    }
    return need;
  };

  function parseKeys(el) {
    if (el.dataset.keys) {
      try { return JSON.parse(el.dataset.keys); } catch (e) { return []; }
    }
    return [{ key: el.dataset.key, id: el.dataset.chart, runs: JSON.parse(el.dataset.runs || "[]") }];
  }

  /* A chart's own spec, or the page's shared one with the chart's key as its title (page weight:
     run_data.share_specs). */
  function specOf(el) {
    var own = el.querySelector("script.rg-spec");
    if (own) return JSON.parse(own.textContent);
    var spec = JSON.parse(document.getElementById("rg-spec-base").textContent);
    spec.title.text = el.dataset.key;
    return spec;
  }
  C.specOf = specOf;

  function chartOf(el) {
    if (!el._rg) {
      var keys = parseKeys(el), runs = [];
      keys.forEach(function (k) { k.runs.forEach(function (f) { if (runs.indexOf(f) < 0) runs.push(f); }); });
      var defaults = null;
      try { defaults = JSON.parse(el.dataset.settings || "null"); } catch (e) { defaults = null; }
      el._rg = { el: el, metric: keys.length ? keys[0].id : null, keys: keys, multi: keys.length > 1, runs: runs,
                 panel: el.dataset.panel || el.dataset.key, defaults: defaults, view: null,
                 key: null, token: 0, seen: false, dx: el.dataset.x || null,
                 base: specOf(el) };
      el._rg.onData = function () { if (el._rg.seen) C.draw(el); };
    }
    return el._rg;
  }
  C.chartOf = chartOf;

  C.draw = function (el) {
    var ch = chartOf(el);
    // the widths the chart is drawn at, read here, before this draw changes the page: charts drawn one
    // after the other when their data arrives then never force a layout each (the page's is done once)
    var view = el.querySelector(".rg-chart-view");
    ch.size = { el: el.clientWidth, view: view ? view.clientWidth : el.clientWidth - 30 };
    ch.seen = true;
    var was = el.hidden, runs = C.show(el);
    if (el.hidden !== was) C.syncSections();
    if (!runs.length) return;
    if (el.dataset.rendered !== "done") el.dataset.rendered = "pending";
    var st = C.settingsOf(ch), ids = [];
    function want() {  // the data ids needed, given what is loaded (a run file tells whether it has smoothing)
      ch.keys.forEach(function (k) {
        C.idsFor(k.id, C.visibleRuns(k.runs), st.wi).forEach(function (id) { if (ids.indexOf(id) < 0) ids.push(id); });
      });
      // groups16 hook: grouped lines (assets/groups.js) aggregate every run's overview series
      if (!ch.multi && RG.groups && RG.groups.active()) RG.groups.idsFor(ch.metric, runs).forEach(function (id) { if (ids.indexOf(id) < 0) ids.push(id); });
      return ids.length;
    }
    var token = ++ch.token;
    (function fetch(had) {
      RG.loadAll(ids, function () {
        if (token !== ch.token) return;  // a newer state superseded this draw
        if (want() > had) { fetch(ids.length); return; }  // smoothing files the run files named
        ids.forEach(function (id) { RG.subscribe(id, ch.onData); });
        render(ch, runs, C.settingsOf(ch));
      });
    })(want());
  };

  C.yFit = function (rows, st) {
    return window.RGFit.yDomain(rows, { smooth: st.wi >= 0, log: st.log, outliers: st.outliers, ymin: st.ymin, ymax: st.ymax }) ||
      (st.log ? [1, 10] : [0, 1]);
  };

  function render(ch, runs, st) {
    var el = ch.el, hidden = ch.hidden || (ch.hidden = Object.create(null));  // run labels as keys: "constructor" too
    // groups16 hook: one line + band per group instead of one line per run (assets/groups.js);
    // an overlaid panel (several keys) is not grouped
    var grouped = !ch.multi && RG.groups && RG.groups.active();
    var order = C.drawOrder(runs), rows = [];
    if (!grouped || RG.groups.needsRuns()) ch.keys.forEach(function (k) {
      var mine = order.filter(function (f) { return k.runs.indexOf(f) >= 0; });
      rows = rows.concat(C.rowsFor(k.id, mine, ch.dx, st, ch.multi ? " · " + k.key : ""));
    });
    var grp = grouped ? RG.groups.rows(ch, runs, rows) : null;
    if (grp) rows = grp.rows;
    rows = rows.filter(function (r) { return !hidden[r.run]; });
    var hiddenList = Object.keys(hidden).filter(function (k) { return hidden[k]; });
    var need = C.layersFor(rows, st), series = C.seriesOf(ch, runs), ydom = C.yFit(rows, st);
    var key = [st.x, st.log, runs.join(","), series.colors.join(","), JSON.stringify(need), grp ? grp.key : ""].join("|");
    var raw = st.wi >= 0 ? 0.25 : 0;
    ch.st = st;
    ch.ydom = ydom;
    if (ch.view || !RG.lite || !RG.lite.usable(ch, st, grp, hiddenList)) {  // the hover box is the Vega view's
      RG.hover.index(ch, rows, series);
      if (grp) RG.groups.hover(ch, grp);
    }
    if (ch.view && ch.key === key) {  // same axes and runs: update in place, keeping zoom
      // run labels as the view was given them at its embed (theme-vega.js vegaSafe): a run named
      // "constructor" keeps its colour and is dimmed in the legend when switched off
      var safe = RG.vegaSafe || function (v) { return v; };
      ch.view.data("rows", safe(rows));
      ch.view.signal("rawOpacity", raw);
      ch.view.signal("hidden", safe(hiddenList));
      ch.view.signal("ydom", ydom);
      ch.view.runAsync();
      return;
    }
    var spec = C.specFor(ch.base, runs, ch.size.el - 30, need, ch.dx, st, series);
    if (grp) RG.groups.spec(spec, grp);  // groups16 hook: colours by group, faint member runs
    var target = el.querySelector(".rg-chart-view");
    // issue 12: without a Vega view yet, the chart is drawn by assets/chart-lite.js (no Vega runtime);
    // the reader reaching for it (pointer, touch, focus) upgrades it to the Vega view (C.upgrade)
    if (!ch.view && RG.lite && RG.lite.usable(ch, st, grp, hiddenList)) {
      var geom = RG.lite.draw(ch, target, spec, rows, series, ydom, st, need);
      ch.lite = { runs: runs, width: ch.size.view, geom: geom };  // geom: the crosshair (hover.js)
      el.dataset.draw = "lite";
      bindUpgrade(el);
      C.resized.observe(target);
      el.dataset.rendered = "done";
      el.dispatchEvent(new CustomEvent("rg:rendered", { bubbles: true }));
      return;
    }
    spec.params.forEach(function (p) {
      if (p.name === "hidden") p.value = hiddenList;
      if (p.name === "ydom") p.value = ydom;
    });
    spec.datasets = { rows: rows };
    // live18: a chart re-embedded because its runs changed (serve --watch) keeps its zoom (see C.adopt)
    var keep = ch.view && ch.keepZoom ? zoomState(ch.view) : null;
    ch.keepZoom = false;
    if (ch.view) { ch.view.finalize(); ch.view = null; }
    var token = ch.token;
    // logLevel 1 (errors only): Vega warns once per chart that a legend of more than 12 runs is cut
    // short, which is the intended display ("… N more"), not a problem to report in the console.
    var opts = { actions: false, renderer: "canvas", logLevel: 1, patch: function (vg) {
      (vg.legends || []).forEach(function (l) {  // legend clicks reach the view (see C.toggleRun)
        l.encode = l.encode || {};
        ["symbols", "labels"].forEach(function (part) {
          var e = (l.encode[part] = l.encode[part] || {});
          e.interactive = true;
          e.update = e.update || {};
          e.update.opacity = { signal: "indexof(hidden, datum.value) >= 0 ? 0.45 : 1" };
          e.update.cursor = { value: "pointer" };
        });
      });
      return vg;
    } };
    window.vegaEmbed(target, spec, opts).then(function (res) {
      if (token !== ch.token && ch.view) { res.view.finalize(); return; }
      ch.view = res.view;
      ch.key = key;
      ch.lite = null;
      el.dataset.draw = "vega";
      if (keep) { try { res.view.setState(keep); } catch (e) { /* another spec shape: start unzoomed */ } }
      RG.views[el.id] = res.view;
      if (C.zoom) C.zoom.attach(ch);  // assets/chart-panel.js: zoom kept in the URL hash
      RG.hover.attach(ch);
      res.view.addEventListener("click", function (event, item) {  // legend entry: switch the run off/on
        var d = item && item.datum, role = item && item.mark && item.mark.role;
        if (!d || !role || role.indexOf("legend") !== 0 || d.value === undefined) return;
        C.toggleRun(el, String(d.value));
      });
      el.dataset.rendered = "done";
      el.dispatchEvent(new CustomEvent("rg:rendered", { bubbles: true }));
    }).catch(function (err) {
      el.dataset.rendered = "error";
      target.textContent = "Chart failed to render: " + err;
      console.error(err);
    });
  }

  /* The full Vega view for a lite chart (assets/chart-lite.js), when the reader reaches for it. */
  C.upgrade = function (el) {
    var ch = chartOf(el);
    if (ch.full) return;
    ch.full = true;
    if (ch.seen) C.draw(el);
  };
  function bindUpgrade(el) {
    if (el._rgUpgrade) return;
    el._rgUpgrade = function () { C.upgrade(el); };
    ["pointerenter", "focusin"].forEach(function (t) { el.addEventListener(t, el._rgUpgrade); });
    el.addEventListener("touchstart", el._rgUpgrade, { passive: true });
  }
  /* Lite charts follow their panel's width (Vega views do so themselves): redrawn when it changed
     (the window, a scrollbar appearing, the layout around them). */
  C.resized = new window.ResizeObserver(function (entries) {
    entries.forEach(function (e) {
      var el = e.target.closest(".rg-chart"), ch = el && el._rg;
      if (ch && ch.lite && !ch.view && Math.round(e.contentRect.width) !== Math.round(ch.lite.width)) C.draw(el);
    });
  });

  /* Switch one run (by label) off or on in one chart; the legend keeps its entry, marked. */
  C.toggleRun = function (el, label) {
    var ch = chartOf(el);
    ch.hidden = ch.hidden || Object.create(null);  // a run named "toString" is not hidden from the start
    ch.hidden[label] = !ch.hidden[label];
    C.draw(el);
  };

  C.reset = function (el) {
    var ch = chartOf(el);
    if (ch.view) { ch.view.finalize(); ch.view = null; ch.key = null; }
    if (ch.seen) C.draw(el);
  };
  /* Reset zoom: every chart back to its fitted axes, and no zoom in the hash. */
  C.resetZoom = function () {
    if (RG.state.zoom && Object.keys(RG.state.zoom).length) RG.setState({ zoom: {} }, true);
    all.forEach(C.reset);
  };
  C.all = function () { return all; };

  /* A section whose charts are all hidden (none of the runs drawn logged them) is hidden with them,
     not left as a heading over nothing; panels other than charts keep it shown. */
  C.syncSections = function () {
    document.querySelectorAll(".rg-section").forEach(function (sec) {
      var charts = sec.querySelectorAll(".rg-chart");
      if (!charts.length || sec.querySelector(".rgp-panel")) return;
      sec.classList.toggle("rg-section-empty", Array.prototype.every.call(charts, function (c) { return c.hidden; }));
    });
  };

  /* Every run each chart can show, once the runs table's data file is loaded (runs-data.js):
     byMetric maps a metric id to run files. Charts whose shown runs did not change are left alone. */
  C.setRuns = function (byMetric) {
    all.forEach(function (el) {
      var ch = chartOf(el), before = C.visibleRuns(ch.runs).join("\n");
      ch.runs = [];
      ch.keys.forEach(function (k) {  // an overlaid panel shows the union of its keys' runs
        k.runs = byMetric[k.id] || [];
        k.runs.forEach(function (f) { if (ch.runs.indexOf(f) < 0) ch.runs.push(f); });
      });
      var now = C.visibleRuns(ch.runs);
      if (ch.seen && now.join("\n") !== before) C.draw(el);
      else C.show(el, now);
    });
    C.syncSections();
  };

  /* Called on every state change: charts already drawn update; others just show/hide. */
  C.refreshAll = function () {
    all.forEach(function (el) {
      var ch = chartOf(el);
      if (ch.seen) C.draw(el);
      else C.show(el);
    });
    C.syncSections();
  };

  /* live18 (serve --watch) hooks. refresh(ids): these data ids were loaded again; charts drawn from
     any of them redraw in place (zoom kept). adopt(el): a chart element the live page added, or whose
     data-runs / spec it changed (a new run): (re)read it and draw it when seen, keeping its zoom. */
  function zoomState(view) {  // the zoom selection's store and its per-channel extents (zoom_x, zoom_<y field>)
    var st = view.getState({ data: function (n) { return n === "zoom_store"; }, signals: function (n) { return /^zoom_/.test(n); } });
    var sig = {};
    Object.keys(st.signals || {}).forEach(function (n) { if (Array.isArray(st.signals[n])) sig[n] = st.signals[n]; });
    return Object.keys(sig).length ? { signals: sig, data: st.data } : null;
  }
  C.refresh = function (ids) {
    var want = {};
    ids.forEach(function (id) { want[id] = true; });
    all.forEach(function (el) {
      var ch = chartOf(el);
      if (!ch.seen) return;
      var hit = ch.keys.some(function (k) {
        return C.idsFor(k.id, C.visibleRuns(k.runs)).some(function (id) { return want[id]; });
      });
      if (hit) C.draw(el);
    });
  };
  C.adopt = function (el) {
    var ch = chartOf(el), keys = parseKeys(el), runs = [];
    keys.forEach(function (k) { k.runs.forEach(function (f) { if (runs.indexOf(f) < 0) runs.push(f); }); });
    ch.keepZoom = !!ch.view && runs.join("\n") !== ch.runs.join("\n");  // the runs change: it is re-embedded
    ch.keys = keys;
    ch.runs = runs;
    ch.base = specOf(el);
    if (all.indexOf(el) < 0) { all.push(el); observe(el); }
    if (ch.seen || !C.io) C.draw(el);
    else C.show(el);
    C.syncSections();
  };

  function initControls() {
    var xs = document.getElementById("rg-x");
    if (!xs) return;
    RG.site.xopts.forEach(function (o) {
      var opt = document.createElement("option");
      opt.value = o.key;
      opt.textContent = o.label;
      xs.appendChild(opt);
    });
    var slider = document.getElementById("rg-smooth"), out = document.getElementById("rg-smooth-value");
    var log = document.getElementById("rg-log");
    slider.max = String(RG.site.weights.length);
    function sync() {
      xs.value = xOption().key;
      var wi = weightIndex();
      slider.value = String(wi + 1);
      out.textContent = wi >= 0 ? String(RG.site.weights[wi]) : "off";
      log.checked = !!RG.state.log;
    }
    sync();
    RG.onState(sync);
    xs.addEventListener("change", function () { RG.setState({ x: xs.value }); });
    slider.addEventListener("input", function () {
      var i = Number(slider.value);
      RG.setState({ smooth: i > 0 ? RG.site.weights[i - 1] : 0 });
    });
    log.addEventListener("change", function () { RG.setState({ log: log.checked }); });
    document.getElementById("rg-reset").addEventListener("click", C.resetZoom);
  }

  C.init = function () {
    if (C.panels) C.panels.beforeInit();  // assets/chart-panel.js: overlaid panels from the URL, controls
    all = Array.prototype.slice.call(document.querySelectorAll(".rg-chart"));
    initControls();
    RG.onState(C.refreshAll);
    window.addEventListener("rg:reset-zoom", C.resetZoom);  // look18's keyboard shortcut (docs/site.md)
    window.addEventListener("rg:theme", function () { all.forEach(function (el) { if (chartOf(el).seen) C.reset(el); }); });
    window.addEventListener("rg:panel-resize", function (e) {  // a panel resized or full screen: redraw at its width
      var el = e.detail && e.detail.el, charts = el ? (el.matches(".rg-chart") ? [el] : el.querySelectorAll(".rg-chart")) : [];
      Array.prototype.forEach.call(charts, function (c) { if (chartOf(c).seen) C.reset(c); });
    });
    all.forEach(function (el) { C.show(el); });
    C.syncSections();
    if (C.panels) C.panels.afterInit(all);
    if (!("IntersectionObserver" in window)) { all.forEach(C.draw); return; }
    // tabs12 (issue 12): charts in the viewport are drawn at once; those within 300 px of it (drawn
    // ahead, so that scrolling finds them ready) wait until the page's first charts are drawn, the
    // reader has scrolled or the page has been loaded 2 s, and the page is idle, so they never delay
    // the first screen (and many tabs opened at once each show theirs sooner).
    C.io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting && !chartOf(e.target).seen) C.draw(e.target); });
    });
    C.near = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting) ahead(e.target); });
    }, { rootMargin: "300px 0px" });
    all.forEach(observe);
  };
  function observe(el) {
    if (C.io) { C.io.observe(el); C.near.observe(el); }
  }
  /* Draw `el` (near the viewport) once no chart is still being drawn, the reader has scrolled or the
     page has been loaded 2 s (whenSettled), and the page is idle. */
  function ahead(el, since) {
    if (chartOf(el).seen) return;
    since = since || Date.now();
    if (document.querySelector(".rg-chart[data-rendered='pending']") && Date.now() - since < 3000) {
      setTimeout(function () { ahead(el, since); }, 60);  // (a chart that never finishes holds it 3 s at most)
      return;
    }
    var idle = window.requestIdleCallback || function (fn) { return setTimeout(fn, 50); };
    whenSettled(function () {
      idle(function () { if (!chartOf(el).seen) C.draw(el); }, { timeout: 1000 });
    });
  }
  /* Drawing ahead is work the reader may never need, so it waits for a sign that the reader goes on
     (a scroll, a wheel, a key or a touch) or until the page has been loaded AHEAD_AFTER_MS. Twenty
     tabs opened at once (a restored session, issue 12) then each draw their first screen before any
     of them draws what is below it, on a machine whose cores they share. A chart scrolled into view
     is drawn at once whatever happens here (C.io). */
  var AHEAD_AFTER_MS = 2000, settleWaiters = null;
  function whenSettled(fn) {
    var nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    var since = nav && nav.loadEventEnd ? Math.max(0, performance.now() - nav.loadEventEnd) : 0;  // loaded that long ago
    if (settleWaiters) { settleWaiters.push(fn); return; }
    settleWaiters = [fn];
    var EVENTS = ["scroll", "wheel", "keydown", "touchstart", "pointerdown"], timer;
    function go() {
      clearTimeout(timer);
      EVENTS.forEach(function (name) { window.removeEventListener(name, go, true); });
      var waiting = settleWaiters;
      settleWaiters = null;
      if (waiting) waiting.forEach(function (f) { f(); });
    }
    EVENTS.forEach(function (name) { window.addEventListener(name, go, { capture: true, passive: true }); });
    timer = setTimeout(go, Math.max(0, AHEAD_AFTER_MS - since));
  }
})();

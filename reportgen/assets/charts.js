/* reportgen charts: lazy rendering of .rg-chart elements with Vega-Lite, driven by RG.state.
   Data: data/metrics/<metric-id>/<run-file>.js (points, x columns, min-max band, NaN marks) and
   data/smooth/<metric-id>/<run-file>.js (debiased EMA over the raw series, one row per slider
   weight), loaded only for the runs shown (and smoothing only when the slider is used). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var C = (RG.charts = {});
  var all = [];
  var MAX_BANDS = 8;  // min-max bands are drawn when at most this many runs are shown (else they blur)
  var OVERVIEW_POINTS = 6000, MIN_FOLD = 24;  // points per overview chart, and the least per run

  /* The x axis option in use; `dx` is the chart's own default (its define_metric step_metric),
     used while the selector is on Step. */
  function xOption(dx) {
    var opts = RG.site.xopts, key = RG.state.x;
    if (dx && key === "_step") key = dx;
    for (var i = 0; i < opts.length; i++) if (opts[i].key === key) return opts[i];
    key = RG.state.x;
    for (i = 0; i < opts.length; i++) if (opts[i].key === key) return opts[i];
    return opts[0];
  }
  function weightIndex() {
    var w = RG.state.smooth;
    if (!w) return -1;
    var ws = RG.site.weights, best = 0;
    for (var i = 0; i < ws.length; i++) if (Math.abs(ws[i] - w) < Math.abs(ws[best] - w)) best = i;
    return best;
  }
  /* Runs of this chart that are shown: selected in the state and passing the table filters. */
  C.visibleRuns = function (runs) {
    var sel = RG.state.runs;
    if (sel === null && RG.site.kind === "compare") sel = [];
    var out = runs.filter(function (f) {
      if (!RG.runsByFile[f]) return false;
      if (sel !== null && sel.indexOf(f) < 0) return false;
      return !RG.table || RG.table.passes(f);
    });
    // groups16 hook: runs pinned in the runs table are drawn last, on top (assets/run-style.js)
    if (RG.runPinned) out = out.filter(function (f) { return !RG.runPinned(f); }).concat(out.filter(RG.runPinned));
    return out;
  };

  /* Long-format rows for the "rows" dataset. */
  C.xOption = xOption;
  C.weightIndex = weightIndex;
  /* with more runs shown than RG.site.limits.maxFullRuns (site/config.py), charts draw the per-metric
     overview files (liteSamples points per run) */
  C.useOverview = function (runs) { return runs.length > RG.site.limits.maxFullRuns; };
  /* Data ids a chart needs: one file per run (few runs) or the metric's overview files. */
  C.idsFor = function (metric, runs) {
    var wi = weightIndex(), ids = [];
    if (C.useOverview(runs)) {
      ids.push("overview/" + metric);
      if (wi >= 0) ids.push("overview-smooth/" + metric);
      return ids;
    }
    runs.forEach(function (f) {
      ids.push("metrics/" + metric + "/" + f);
      if (wi >= 0) ids.push("smooth/" + metric + "/" + f);
    });
    return ids;
  };
  function series(metric, f, overview, wi) {
    var p, sm;
    if (overview) {
      var o = RG.loaded["overview/" + metric], os = wi >= 0 ? RG.loaded["overview-smooth/" + metric] : null;
      p = o && o.runs[f];
      sm = os && os.runs[f] ? { s: os.runs[f] } : null;
    } else {
      p = RG.loaded["metrics/" + metric + "/" + f];
      sm = wi >= 0 ? RG.loaded["smooth/" + metric + "/" + f] : null;
    }
    return { p: p, ss: sm ? sm.s[wi] : null };
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

  C.rowsFor = function (metric, runs, dx) {
    var xo = xOption(dx), temporal = xo.key === "_timestamp", log = RG.state.log, wi = weightIndex();
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
      var label = RG.runsByFile[f].label, start = rows.length, sorted = true, prev = -Infinity;
      var idx = C.foldIndex(ss ? [ss, p.y] : [p.y], bad, keep), count = idx ? idx.length : p.y.length;
      for (var k = 0; k < count; k++) {
        var i = idx ? idx[k] : k, x = xs[i];
        if (x === null || x === undefined) continue;
        if (temporal) x = x * 1000;
        var y = p.y[i], s = ss ? ss[i] : y;
        var lo = bands && p.lo ? p.lo[i] : null, hi = bands && p.hi ? p.hi[i] : null;
        if (log) {
          if (y !== null && y <= 0) y = null;
          if (s !== null && s <= 0) s = null;
          if (lo !== null && lo <= 0) lo = null;
          if (hi !== null && hi <= 0) hi = null;
        }
        if (x < prev) sorted = false;
        prev = x;
        rows.push({ run: label, x: x, y: y, s: s, lo: lo, hi: hi, bad: bad[i] || null });
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

  /* The base spec from the page with the view state applied (x field, log scale, colours). */
  /* Which optional layers a chart needs for these rows (fewer layers render faster). */
  C.layersFor = function (rows) {
    var need = { band: false, raw: weightIndex() >= 0, nonfinite: false, main: true };
    for (var i = 0; i < rows.length && !(need.band && need.nonfinite); i++) {
      if (rows[i].lo !== null) need.band = true;
      if (rows[i].bad !== null) need.nonfinite = true;
    }
    return need;
  };

  C.specFor = function (base, runs, width, need, dx) {
    var spec = JSON.parse(JSON.stringify(base));
    if (need) spec.layer = spec.layer.filter(function (l) { return need[l.name] !== false; });
    var xo = xOption(dx), temporal = xo.key === "_timestamp";
    var x = spec.encoding.x;
    x.title = xo.label;
    if (temporal) {
      x.type = "temporal";
      x.scale = {};
      delete x.axis.format;
    }
    var color = spec.encoding.color;
    color.scale.domain = runs.map(function (f) { return RG.runsByFile[f].label; });
    color.scale.range = runs.map(function (f) { return RG.runColor ? RG.runColor(f) : RG.runsByFile[f].color; });  // groups16: colour chosen in the table
    if (runs.length === 1) color.legend = null;
    else {  // as many legend columns as fit the chart's width, so labels never run off the side
      var longest = 0;
      color.scale.domain.forEach(function (l) { longest = Math.max(longest, l.length); });
      var labelPx = Math.min(color.legend.labelLimit, longest * 6.6 + 4);
      color.legend.labelLimit = Math.max(60, Math.min(color.legend.labelLimit, (width || 400) - 40));
      color.legend.columns = Math.max(1, Math.min(runs.length, Math.floor((width || 400) / (labelPx + 34))));
      if (color.legend.columns === 1) color.legend.labelLimit = Math.max(60, (width || 400) - 40);
    }
    spec.params.forEach(function (p) { if (p.name === "rawOpacity") p.value = weightIndex() >= 0 ? 0.25 : 0; });
    spec.layer.forEach(function (l) {
      var enc = l.encoding || {};
      if (enc.y && enc.y.scale) enc.y.scale.type = RG.state.log ? "log" : "linear";
      (enc.tooltip || []).forEach(function (t) {
        if (t.field === "x") { t.title = xo.label; if (temporal) { t.type = "temporal"; t.format = "%Y-%m-%d %H:%M:%S"; } }
      });
    });
    return spec;
  };

  function chartOf(el) {
    if (!el._rg) {
      el._rg = { el: el, metric: el.dataset.chart, runs: JSON.parse(el.dataset.runs || "[]"), view: null,
                 key: null, token: 0, seen: false, dx: el.dataset.x || null,
                 base: JSON.parse(el.querySelector("script.rg-spec").textContent) };
      el._rg.onData = function () { if (el._rg.seen) C.draw(el); };
    }
    return el._rg;
  }

  C.draw = function (el) {
    var ch = chartOf(el);
    ch.seen = true;
    var runs = C.visibleRuns(ch.runs);
    el.hidden = runs.length === 0;
    if (!runs.length) return;
    if (el.dataset.rendered !== "done") el.dataset.rendered = "pending";
    var ids = C.idsFor(ch.metric, runs);
    // groups16 hook: grouped lines (assets/groups.js) aggregate every run's overview series
    if (RG.groups && RG.groups.active()) RG.groups.idsFor(ch.metric).forEach(function (id) { if (ids.indexOf(id) < 0) ids.push(id); });
    var token = ++ch.token;
    RG.loadAll(ids, function () {
      if (token !== ch.token) return;  // a newer state superseded this draw
      ids.forEach(function (id) { RG.subscribe(id, ch.onData); });
      render(ch, runs);
    });
  };

  function render(ch, runs) {
    var el = ch.el, hidden = ch.hidden || (ch.hidden = {});
    // groups16 hook: one line + band per group instead of one line per run (assets/groups.js)
    var grouped = RG.groups && RG.groups.active();
    var rows = grouped && !RG.groups.needsRuns() ? [] : C.rowsFor(ch.metric, runs, ch.dx);
    var grp = grouped ? RG.groups.rows(ch, runs, rows) : null;
    if (grp) rows = grp.rows;
    rows = rows.filter(function (r) { return !hidden[r.run]; });
    var hiddenList = Object.keys(hidden).filter(function (k) { return hidden[k]; });
    var need = C.layersFor(rows);
    var key = [RG.state.x, RG.state.log, runs.join(","), JSON.stringify(need), grp ? grp.key : "", JSON.stringify(RG.state.colors || {})].join("|");
    var raw = weightIndex() >= 0 ? 0.25 : 0;
    RG.hover.index(ch, rows, runs);
    if (grp) RG.groups.hover(ch, grp);
    if (ch.view && ch.key === key) {  // same axes and runs: update in place, keeping zoom
      ch.view.data("rows", rows);
      ch.view.signal("rawOpacity", raw);
      ch.view.signal("hidden", hiddenList);
      ch.view.runAsync();
      return;
    }
    var spec = C.specFor(ch.base, runs, el.clientWidth - 30, need, ch.dx);
    if (grp) RG.groups.spec(spec, grp);  // groups16 hook: colours by group, faint member runs
    spec.params.forEach(function (p) { if (p.name === "hidden") p.value = hiddenList; });
    spec.datasets = { rows: rows };
    var target = el.querySelector(".rg-chart-view");
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
      RG.views[el.id] = res.view;
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

  /* Switch one run (by label) off or on in one chart; the legend keeps its entry, marked. */
  C.toggleRun = function (el, label) {
    var ch = chartOf(el);
    ch.hidden = ch.hidden || {};
    ch.hidden[label] = !ch.hidden[label];
    C.draw(el);
  };

  C.reset = function (el) {
    var ch = chartOf(el);
    if (ch.view) { ch.view.finalize(); ch.view = null; ch.key = null; }
    if (ch.seen) C.draw(el);
  };

  /* Called on every state change: charts already drawn update; others just show/hide. */
  C.refreshAll = function () {
    all.forEach(function (el) {
      var ch = chartOf(el);
      if (ch.seen) C.draw(el);
      else el.hidden = C.visibleRuns(ch.runs).length === 0;
    });
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
    document.getElementById("rg-reset").addEventListener("click", function () { all.forEach(C.reset); });
  }

  C.init = function () {
    all = Array.prototype.slice.call(document.querySelectorAll(".rg-chart"));
    initControls();
    RG.onState(C.refreshAll);
    all.forEach(function (el) { el.hidden = C.visibleRuns(chartOf(el).runs).length === 0; });
    if (!("IntersectionObserver" in window)) { all.forEach(C.draw); return; }
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting && !chartOf(e.target).seen) { C.draw(e.target); }
      });
    }, { rootMargin: "300px 0px" });
    all.forEach(function (el) { io.observe(el); });
  };
})();

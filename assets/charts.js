/* reportgen charts: lazy rendering of .rg-chart elements with Vega-Lite, driven by RG.state.
   Data: data/metrics/<metric-id>/<run-file>.js (points, x columns, min-max band, NaN marks) and
   data/smooth/<metric-id>/<run-file>.js (debiased EMA over the raw series, one row per slider
   weight), loaded only for the runs shown (and smoothing only when the slider is used). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var C = (RG.charts = {});
  var all = [];
  var MAX_TIPS = 20000;

  function xOption() {
    var opts = RG.site.xopts, key = RG.state.x;
    for (var i = 0; i < opts.length; i++) if (opts[i].key === key) return opts[i];
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
    return runs.filter(function (f) {
      if (!RG.runsByFile[f]) return false;
      if (sel !== null && sel.indexOf(f) < 0) return false;
      return !RG.table || RG.table.passes(f);
    });
  };

  /* Long-format rows for the "rows" dataset. */
  C.rowsFor = function (metric, runs) {
    var xo = xOption(), temporal = xo.key === "_timestamp", log = RG.state.log, wi = weightIndex();
    var rows = [];
    runs.forEach(function (f) {
      var p = RG.loaded["metrics/" + metric + "/" + f];
      if (!p) return;
      var xs = p.x[xo.key];
      if (!xs) return;
      var sm = wi >= 0 ? RG.loaded["smooth/" + metric + "/" + f] : null;
      var ss = sm ? sm.s[wi] : null;
      var bad = {};
      (p.nf || []).forEach(function (m) { bad[m[0]] = m[1]; });
      var label = RG.runsByFile[f].label;
      for (var i = 0; i < p.y.length; i++) {
        var x = xs[i];
        if (x === null || x === undefined) continue;
        if (temporal) x = x * 1000;
        var y = p.y[i], s = ss ? ss[i] : y;
        var lo = p.lo ? p.lo[i] : null, hi = p.hi ? p.hi[i] : null;
        if (log) {
          if (y !== null && y <= 0) y = null;
          if (s !== null && s <= 0) s = null;
          if (lo !== null && lo <= 0) lo = null;
          if (hi !== null && hi <= 0) hi = null;
        }
        rows.push({ run: label, x: x, y: y, s: s, lo: lo, hi: hi, bad: bad[i] || null, tip: false });
      }
    });
    var every = Math.max(1, Math.ceil(rows.length / MAX_TIPS));
    for (var j = 0; j < rows.length; j += every) rows[j].tip = true;
    return rows;
  };

  /* The base spec from the page with the view state applied (x field, log scale, colours). */
  C.specFor = function (base, runs) {
    var spec = JSON.parse(JSON.stringify(base));
    var xo = xOption(), temporal = xo.key === "_timestamp";
    var x = spec.encoding.x;
    x.title = xo.label;
    if (temporal) {
      x.type = "temporal";
      x.scale = {};
      delete x.axis.format;
    }
    var color = spec.encoding.color;
    color.scale.domain = runs.map(function (f) { return RG.runsByFile[f].label; });
    color.scale.range = runs.map(function (f) { return RG.runsByFile[f].color; });
    if (runs.length === 1) color.legend = null;
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
                 key: null, token: 0, seen: false,
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
    var wi = weightIndex();
    var ids = [];
    runs.forEach(function (f) {
      ids.push("metrics/" + ch.metric + "/" + f);
      if (wi >= 0) ids.push("smooth/" + ch.metric + "/" + f);
    });
    var token = ++ch.token;
    RG.loadAll(ids, function () {
      if (token !== ch.token) return;  // a newer state superseded this draw
      ids.forEach(function (id) { RG.subscribe(id, ch.onData); });
      render(ch, runs);
    });
  };

  function render(ch, runs) {
    var el = ch.el, rows = C.rowsFor(ch.metric, runs);
    var key = [RG.state.x, RG.state.log, runs.join(",")].join("|");
    var raw = weightIndex() >= 0 ? 0.25 : 0;
    if (ch.view && ch.key === key) {  // same axes and runs: update in place, keeping zoom
      ch.view.data("rows", rows);
      ch.view.signal("rawOpacity", raw);
      ch.view.runAsync();
      return;
    }
    var spec = C.specFor(ch.base, runs);
    spec.datasets = { rows: rows };
    var target = el.querySelector(".rg-chart-view");
    if (ch.view) { ch.view.finalize(); ch.view = null; }
    var token = ch.token;
    window.vegaEmbed(target, spec, { actions: false, renderer: "canvas" }).then(function (res) {
      if (token !== ch.token && ch.view) { res.view.finalize(); return; }
      ch.view = res.view;
      ch.key = key;
      RG.views[el.id] = res.view;
      el.dataset.rendered = "done";
      el.dispatchEvent(new CustomEvent("rg:rendered", { bubbles: true }));
    }).catch(function (err) {
      el.dataset.rendered = "error";
      target.textContent = "Chart failed to render: " + err;
      console.error(err);
    });
  }

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

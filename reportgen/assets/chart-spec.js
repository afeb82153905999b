/* reportgen metric-chart spec for the page: the base spec (reportgen/site/charts.py) with the
   chart's settings applied (x field, log scale, colours, legend, theme), its series (one per run,
   or run x key in a panel overlaying keys) and the drawing order of the runs. Used by charts.js. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var C = RG.charts;
  if (!C) return;

  /* Drawing order (later = on top): live and crashed runs first, so a run still writing or one
     that blew up never covers the others; pinned runs (groups' `pin` state) last. */
  C.drawOrder = function (runs) {
    var pins = RG.state.pin || [], rank = { running: 0, crashed: 0 };
    function r(f) {
      if (pins.indexOf(f) >= 0) return 2;
      var info = RG.runsByFile[f];
      return info && rank[info.state] === 0 ? 0 : 1;
    }
    return runs.map(function (f, i) { return [r(f), i, f]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; }).map(function (t) { return t[2]; });
  };
  function runColor(f) {
    return typeof RG.runColor === "function" ? (RG.runColor(f) || RG.runsByFile[f].color) : RG.runsByFile[f].color;
  }
  var DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3]];
  /* Series of a chart, in legend order: one per run, or run x key when it overlays keys. */
  C.seriesOf = function (ch, runs) {
    var labels = [], colors = [], dashes = [];
    runs.forEach(function (f) {
      ch.keys.forEach(function (k, i) {
        if (k.runs.indexOf(f) < 0) return;
        labels.push(RG.runsByFile[f].label + (ch.multi ? " · " + k.key : ""));
        colors.push(runColor(f));
        dashes.push(DASHES[i % DASHES.length]);
      });
    });
    return { labels: labels, colors: colors, dashes: ch.multi ? dashes : null };
  };

  /* The base spec from the page with the view state applied (x field, log scale, colours, y range). */
  C.specFor = function (base, runs, width, need, dx, st, series) {
    st = st || C.pageSettings(dx);
    var spec = JSON.parse(JSON.stringify(base));
    if (need) spec.layer = spec.layer.filter(function (l) { return need[l.name] !== false; });
    var xo = st.xo, temporal = xo.key === "_timestamp";
    var x = spec.encoding.x;
    x.title = xo.label;
    if (xo.key === "_step") x.axis.tickMinStep = 1;  // steps are whole: no 0.5 ticks on a short run
    if (temporal) {
      x.type = "temporal";
      x.scale = {};
      delete x.axis.format;
      delete x.axis.labelExpr;
    }
    var color = spec.encoding.color;
    series = series || { labels: runs.map(function (f) { return RG.runsByFile[f].label; }),
                         colors: runs.map(runColor), dashes: null };
    color.scale.domain = series.labels;
    color.scale.range = series.colors;
    var overlay = !!series.dashes;
    if (series.labels.length === 1) color.legend = null;
    else {  // a compact legend: one row, as many entries as fit, then "… N more" (the runs table has them all)
      var longest = 0, n = series.labels.length;
      series.labels.forEach(function (l) { longest = Math.max(longest, l.length); });
      var labelPx = Math.min(color.legend.labelLimit, longest * 6.6 + 4);
      color.legend.labelLimit = Math.max(60, Math.min(color.legend.labelLimit, (width || 400) - 40));
      // one row: with more runs than fit, Vega shows symbolLimit - 1 entries and "… N entries"
      var fit = Math.max(1, Math.floor((width || 400) / (labelPx + 34)));
      color.legend.columns = Math.min(n, fit);
      color.legend.symbolLimit = overlay ? n : Math.min(n, fit);  // run x key: the table cannot tell keys apart
      if (!overlay && fit < 2 && n > fit) color.legend = null;  // room for "… N entries" alone (a phone)
      if (color.legend && color.legend.columns === 1) color.legend.labelLimit = Math.max(60, (width || 400) - 40);
    }
    if (overlay) {  // dashed per key; the same legend options, so Vega-Lite merges both into one legend
      spec.encoding.strokeDash = { field: "run", type: "nominal", title: null,
                                   scale: { domain: series.labels, range: series.dashes },
                                   legend: color.legend ? JSON.parse(JSON.stringify(color.legend)) : null };
      if (color.legend && typeof spec.height === "number") {  // taller by the legend's extra rows, the plot keeps its size
        spec.height += (Math.ceil(series.labels.length / color.legend.columns) - 1) * 16;
      }
    }
    spec.params.forEach(function (p) {
      if (p.name === "rawOpacity") p.value = st.wi >= 0 ? 0.25 : 0;
    });
    if (RG.theme && typeof RG.theme.vegaConfig === "function") {  // dark mode (look18): its colours win
      var cfg = RG.theme.vegaConfig() || {};
      Object.keys(cfg).forEach(function (k) {
        var a = spec.config[k], b = cfg[k];
        spec.config[k] = a && b && typeof a === "object" && typeof b === "object" ? Object.assign({}, a, b) : b;
      });
    }
    spec.layer.forEach(function (l) {
      var enc = l.encoding || {};
      if (enc.y && enc.y.scale) {
        enc.y.scale.type = st.log ? "log" : "linear";
        if (st.log) delete enc.y.scale.zero;  // Vega-Lite warned once per chart: "zero" does not work with log
      }
      (enc.tooltip || []).forEach(function (t) {
        if (t.field === "x") { t.title = xo.label; if (temporal) { t.type = "temporal"; t.format = "%Y-%m-%d %H:%M:%S"; } }
      });
    });
    return spec;
  };

})();

/* reportgen lite charts (issue 12): metric line charts drawn on a <canvas> by this file, without
   starting the Vega runtime. A page's charts are first drawn this way (the same rows, colours,
   y range, legend and theme colours as the Vega-Lite spec charts.js would embed); the full Vega view
   replaces a chart when the reader reaches for it (pointer enters it, a touch, keyboard focus in
   it): tooltips, zoom, legend clicks and the PNG/SVG/CSV actions are Vega's. Charts whose settings
   this renderer does not draw (grouped lines, runs switched off in the legend, a zoom kept in the
   URL, a time x axis) go to Vega at once. window.RG_CHARTS = "vega" (set before the page's scripts)
   draws every chart with Vega from the start. See docs/site.md "Charts: lite first, Vega on use". */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var L = (RG.lite = {});

  /* ---- pure helpers (tests/js/chart-lite.test.js) ---- */

  /* "Nice" ticks (1, 2, 5 x 10^k) inside [lo, hi], about `count` of them, at least `minStep` apart
     (1 on a Step axis: no tick between two steps, as Vega-Lite's tickMinStep). */
  L.ticks = function (lo, hi, count, minStep) {
    if (!(isFinite(lo) && isFinite(hi)) || hi <= lo) return isFinite(lo) ? [lo] : [];
    var raw = (hi - lo) / Math.max(1, count), step = Math.pow(10, Math.floor(Math.log10(raw))), err = raw / step;
    if (err >= 7.07) step *= 10; else if (err >= 3.16) step *= 5; else if (err >= 1.41) step *= 2;
    if (minStep && step < minStep) step = minStep;
    var out = [], a = Math.ceil(lo / step - 1e-9), b = Math.floor(hi / step + 1e-9);
    for (var i = a; i <= b; i++) out.push(Number((i * step).toPrecision(12)));
    return out;
  };
  /* The domain widened to whole tick steps (Vega's `nice` on the y scale; a log scale to whole
     powers of ten), so the axis starts and ends on a labelled tick. */
  L.nice = function (dom, count, log) {
    var lo = dom[0], hi = dom[1];
    if (!(isFinite(lo) && isFinite(hi)) || hi <= lo) return [lo, hi];
    if (log) {  // (a power of ten past the data's: 1.5e308 -> 1e309 = Infinity, 5e-324 -> 0: the data's own end)
      if (!(lo > 0)) return [lo, hi];
      var p0 = Math.pow(10, Math.floor(Math.log10(lo))), p1 = Math.pow(10, Math.ceil(Math.log10(hi)));
      return [p0 > 0 ? p0 : lo, isFinite(p1) ? p1 : hi];
    }
    for (var i = 0; i < 3; i++) {
      var t = L.ticks(lo, hi, count), step = t.length > 1 ? t[1] - t[0] : 0;
      if (!step) break;
      var a = Math.floor(lo / step + 1e-9) * step, b = Math.ceil(hi / step - 1e-9) * step;
      a = Number(a.toPrecision(12)); b = Number(b.toPrecision(12));
      if (a === lo && b === hi) break;
      lo = a; hi = b;
    }
    return [lo, hi];
  };
  /* Ticks of a log axis: powers of ten, with 2 and 5 between them when the range spans few decades. */
  L.logTicks = function (lo, hi) {
    // (hi = Infinity looped for ever: a chart of a metric near the largest double, on a log axis, hung the page)
    if (!(lo > 0 && hi > lo && isFinite(hi))) return lo > 0 && isFinite(lo) ? [lo] : [];
    var a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi)), out = [];
    var mult = b - a <= 1 ? [1, 2, 3, 5, 7] : b - a <= 3 ? [1, 2, 5] : [1];
    var every = Math.max(1, Math.ceil((b - a) / 6));
    for (var e = a; e <= b; e++) {
      if ((e - a) % every) continue;
      mult.forEach(function (m) {
        var v = Number((m * Math.pow(10, e)).toPrecision(12));
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
      });
    }
    return out.length ? out : [lo, hi];
  };
  /* Axis label as the Vega spec's TICK_LABEL (site/charts.py): from 1,000 up 4 significant digits
     and an SI suffix ("1.5k", "12.5k", "2M"), below it 4 significant digits ("0.25", "500"). */
  var SI = ["", "k", "M", "G", "T", "P", "E"];
  function trim(s) { return s.indexOf("e") < 0 && s.indexOf(".") >= 0 ? s.replace(/0+$/, "").replace(/\.$/, "") : s; }
  L.tickLabel = function (v) {
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1000) {
      var k = Math.min(SI.length - 1, Math.floor(Math.log10(a) / 3)), m = v / Math.pow(1000, k);
      var s = trim(m.toPrecision(4));
      if (Math.abs(Number(s)) >= 1000 && k + 1 < SI.length) { k += 1; s = trim((v / Math.pow(1000, k)).toPrecision(4)); }
      return s.replace("-", "\u2212") + SI[k];
    }
    return String(Number(v.toPrecision(4))).replace("-", "\u2212");
  };
  /* A linear or log scale from `domain` to pixel range [r0, r1]. */
  L.scale = function (domain, r0, r1, log) {
    var d0 = log ? Math.log(domain[0]) : domain[0], d1 = log ? Math.log(domain[1]) : domain[1];
    var k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
    return function (v) { return r0 + ((log ? Math.log(v) : v) - d0) * k; };
  };
  /* Runs of consecutive points [[x, y], ...] of one series (a null, non-finite or, on a log axis,
     non-positive value breaks the line, as Vega-Lite's line mark does). */
  L.segments = function (rows, field, log) {
    var out = [], cur = null;
    rows.forEach(function (r) {
      var v = r[field];
      if (v === null || v === undefined || !isFinite(v) || (log && v <= 0)) { cur = null; return; }
      if (!cur) { cur = []; out.push(cur); }
      cur.push([r.x, v]);
    });
    return out;
  };
  /* The x range of the rows (Vega: zero false, nice false), widened when all x are equal. */
  L.xDomain = function (rows) {
    var lo = Infinity, hi = -Infinity;
    rows.forEach(function (r) { if (r.x < lo) lo = r.x; if (r.x > hi) hi = r.x; });
    if (lo === Infinity) return [0, 1];
    if (lo === hi) return [lo - 1, hi + 1];
    return [lo, hi];
  };

  /* ---- when a chart is drawn lite ---- */

  L.usable = function (ch, st, grouped, hiddenList) {
    if (window.RG_CHARTS === "vega" || ch.full || grouped || (hiddenList && hiddenList.length)) return false;
    if (st.x === "_timestamp") return false;  // time axis: Vega's time ticks
    var z = RG.state && RG.state.zoom;
    if (z && z[ch.panel]) return false;  // a zoom from the URL: Vega's zoomable view
    return !!document.createElement("canvas").getContext;
  };

  /* ---- drawing ---- */

  function cfg(spec, part, key, dflt) {
    var c = (spec.config || {})[part];
    return c && c[key] !== undefined && c[key] !== null ? c[key] : dflt;
  }

  /* Draw `rows` into ch's view element (a canvas of the Vega chart's size); `spec` is what
     C.specFor built for Vega (legend, colours, theme config), `series` the chart's series. */
  L.draw = function (ch, target, spec, rows, series, ydom, st, need) {
    var width = Math.max(120, Math.floor(ch.size ? ch.size.view : target.clientWidth));  // read by charts.js
    var height = typeof spec.height === "number" ? spec.height : 220;
    var canvas = target.querySelector("canvas.rg-lite");
    if (!canvas) {
      target.textContent = "";
      canvas = document.createElement("canvas");
      canvas.className = "rg-lite";
      canvas.setAttribute("role", "img");
      target.appendChild(canvas);
    }
    canvas.setAttribute("aria-label", "line chart of " + ((spec.title && spec.title.text) || "metric"));
    var dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    canvas.style.display = "block";
    var g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    var bg = (spec.config || {}).background;
    if (bg && bg !== "transparent") { g.fillStyle = bg; g.fillRect(0, 0, width, height); }

    var font = (spec.config || {}).font || "sans-serif";
    var labelColor = cfg(spec, "axis", "labelColor", "#3b4352"), titleColor = cfg(spec, "axis", "titleColor", "#5b6576");
    var gridColor = cfg(spec, "axis", "gridColor", "#eceff3"), domainColor = cfg(spec, "axis", "domainColor", "#9aa4b2");
    var tickColor = cfg(spec, "axis", "tickColor", "#9aa4b2");
    var legendColor = cfg(spec, "legend", "labelColor", "#3b4352"), headColor = cfg(spec, "title", "color", "#1d2433");
    var pad = 5, log = !!st.log;

    // legend entries (Vega: one row of `columns`, then "… N entries" when symbolLimit cuts it short)
    var leg = spec.encoding && spec.encoding.color && spec.encoding.color.legend;
    var dashes = series.dashes, labels = series.labels, colors = series.colors;
    var legendRows = 0, shown = [];
    if (leg) {
      var limit = leg.symbolLimit || labels.length;
      shown = labels.length > limit ? labels.slice(0, Math.max(1, limit - 1)) : labels.slice();
      legendRows = Math.ceil((shown.length + (labels.length > shown.length ? 1 : 0)) / Math.max(1, leg.columns || 1));
    }
    var title = spec.title && spec.title.text ? String(spec.title.text) : "";
    var top = pad + (title ? 14 : 4);
    var bottom = height - (legendRows ? 70 + (legendRows - 1) * 16 : pad + 32);  // as Vega lays it out
    ydom = L.nice(ydom, 10, log);  // Vega's nice (count 10), ticks at 5
    var yt = log ? L.logTicks(ydom[0], ydom[1]) : L.ticks(ydom[0], ydom[1], 5);
    g.font = "11px " + font;
    var ylabels = yt.map(L.tickLabel), lw = 0;
    ylabels.forEach(function (s) { lw = Math.max(lw, g.measureText(s).width); });
    var left = pad + Math.ceil(lw) + 9, right = width - pad - 2;
    if (bottom - top < 30) bottom = top + 30;
    var xd = L.xDomain(rows), xs = L.scale(xd, left, right, false), ys = L.scale(ydom, bottom, top, log);
    var xt = L.ticks(xd[0], xd[1], Math.max(2, Math.min(6, Math.floor((right - left) / 60))), st.x === "_step" ? 1 : 0);

    // grid, then axes (Vega-Lite: grid under the marks, domain lines on the left and bottom)
    g.lineWidth = 1;
    g.strokeStyle = gridColor;
    g.beginPath();
    yt.forEach(function (v) { var y = Math.round(ys(v)) + 0.5; g.moveTo(left, y); g.lineTo(right, y); });
    xt.forEach(function (v) { var x = Math.round(xs(v)) + 0.5; g.moveTo(x, top); g.lineTo(x, bottom); });
    g.stroke();

    // marks, clipped to the plot
    g.save();
    g.beginPath();
    g.rect(left, top, right - left, bottom - top);
    g.clip();
    var byRun = Object.create(null);  // keyed by run labels: a run may be named "constructor"
    rows.forEach(function (r) { (byRun[r.run] = byRun[r.run] || []).push(r); });
    // one series' line: a path through its rows' `field` values, broken where L.segments breaks it.
    // `fast` (many points): the width is made of 1-device-pixel strokes side by side. Rasterising a
    // wide anti-aliased stroke of a polyline with thousands of vertices is Skia's slow path (without a
    // GPU: ~27 ms a chart of 10 x 1,000 points, most of a cold first screen); hairlines are 4-7x cheaper
    // and look the same at this width.
    var dpr0 = window.devicePixelRatio || 1;
    function line(rs, field, color, w, alpha, dash, fast) {
      var path = new Path2D(), open = false, lone = null, dots = [];
      for (var k = 0; k < rs.length; k++) {
        var v = rs[k][field];
        if (v === null || v === undefined || !isFinite(v) || (log && v <= 0)) {
          if (lone) dots.push(lone);  // a single point between gaps: a dot (the Vega "lone" layer)
          open = false; lone = null;
          continue;
        }
        var X = xs(rs[k].x), Y = ys(v);
        if (open) { path.lineTo(X, Y); lone = null; } else { path.moveTo(X, Y); open = true; lone = [X, Y]; }
      }
      if (lone) dots.push(lone);
      if (dots.length) {  // Vega's point of size 30: radius 3
        g.fillStyle = color;
        g.globalAlpha = alpha;
        var dotPath = new Path2D();
        dots.forEach(function (d) { dotPath.moveTo(d[0] + (w > 1 ? 3 : 2), d[1]); dotPath.arc(d[0], d[1], w > 1 ? 3 : 2, 0, 2 * Math.PI); });
        g.fill(dotPath);
      }
      g.strokeStyle = color;
      g.setLineDash(dash && dash.length > 1 && dash[1] ? dash : []);
      var n = Math.max(1, Math.round(w * dpr0));
      if (!fast || n < 2 || w <= 1) {
        g.lineWidth = w;
        g.globalAlpha = alpha;
        g.stroke(path);
        return;
      }
      g.lineWidth = 1 / dpr0;
      g.globalAlpha = 1 - Math.pow(1 - alpha, 1 / n);  // n overlapping passes add up to `alpha`
      var step = (w - 1 / dpr0) / (n - 1);
      for (var i = 0; i < n; i++) {
        var off = -((w - 1 / dpr0) / 2) + i * step;
        g.translate(0, off);
        g.stroke(path);
        g.translate(0, -off);
      }
    }
    if (need.band) labels.forEach(function (label, i) {
      var rs = (byRun[label] || []).filter(function (r) { return r.lo !== null && r.hi !== null && (!log || (r.lo > 0 && r.hi > 0)); });
      if (!rs.length) return;
      g.fillStyle = colors[i];
      g.globalAlpha = 0.16;
      g.beginPath();
      rs.forEach(function (r, k) { if (k) g.lineTo(xs(r.x), ys(r.hi)); else g.moveTo(xs(r.x), ys(r.hi)); });
      for (var k = rs.length - 1; k >= 0; k--) g.lineTo(xs(rs[k].x), ys(rs[k].lo));
      g.closePath();
      g.fill();
    });
    var fast = rows.length > 2 * (right - left);  // more points than pixels to spare: hairline strokes
    if (need.raw) labels.forEach(function (label, i) { line(byRun[label] || [], "y", colors[i], 1, 0.25, dashes && dashes[i], fast); });
    labels.forEach(function (label, i) { line(byRun[label] || [], "s", colors[i], 1.6, 0.85, dashes && dashes[i], fast); });
    g.globalAlpha = 1;
    if (need.nonfinite) {  // NaN/Infinity: red dashed rules across the plot (site/charts.py NONFINITE_COLOR)
      g.strokeStyle = "#e03131";
      g.lineWidth = 1.2;
      g.setLineDash([4, 3]);
      g.beginPath();
      rows.forEach(function (r) { if (r.bad !== null) { var X = Math.round(xs(r.x)) + 0.5; g.moveTo(X, top); g.lineTo(X, bottom); } });
      g.stroke();
    }
    g.restore();
    g.setLineDash([]);
    g.globalAlpha = 1;

    // axis lines, ticks and labels
    g.strokeStyle = domainColor;
    g.beginPath();
    g.moveTo(left - 0.5, top); g.lineTo(left - 0.5, bottom + 0.5); g.lineTo(right, bottom + 0.5);
    g.stroke();
    g.strokeStyle = tickColor;
    g.beginPath();
    yt.forEach(function (v) { var y = Math.round(ys(v)) + 0.5; g.moveTo(left - 5, y); g.lineTo(left, y); });
    xt.forEach(function (v) { var x = Math.round(xs(v)) + 0.5; g.moveTo(x, bottom); g.lineTo(x, bottom + 5); });
    g.stroke();
    g.fillStyle = labelColor;
    g.textBaseline = "middle";
    g.textAlign = "right";
    yt.forEach(function (v, i) { g.fillText(ylabels[i], left - 7, Math.min(bottom - 4, Math.max(top + 4, ys(v)))); });
    g.textBaseline = "top";
    xt.forEach(function (v, i) {
      var x = xs(v);
      g.textAlign = i === xt.length - 1 && x > right - 12 ? "right" : i === 0 && x < left + 12 ? "left" : "center";
      g.fillText(L.tickLabel(v), x, bottom + 6);
    });
    var xTitle = spec.encoding && spec.encoding.x && spec.encoding.x.title;
    if (xTitle) {
      g.fillStyle = titleColor;
      g.font = "500 11px " + font;
      g.textAlign = "center";
      g.fillText(String(xTitle), (left + right) / 2, bottom + 21);
    }
    if (title) {
      g.fillStyle = headColor;
      g.font = "600 13px " + font;
      g.textAlign = "left";
      g.textBaseline = "top";
      g.fillText(fit(g, title, width - 2 * pad), pad, 2);
    }

    // legend: stroke symbols and labels, one row of columns under the x axis title
    if (legendRows) {
      g.font = "11px " + font;
      g.textAlign = "left";
      g.textBaseline = "middle";
      var cols = Math.max(1, leg.columns || 1), labelLimit = leg.labelLimit || 200;
      var items = shown.map(function (l) { return fit(g, l, labelLimit); });
      if (labels.length > shown.length) items.push("\u2026 " + (labels.length - shown.length) + " entries");
      var colW = [];
      items.forEach(function (t, i) { var c = i % cols; colW[c] = Math.max(colW[c] || 0, 22 + g.measureText(t).width + 12); });
      items.forEach(function (t, i) {
        var c = i % cols, r = Math.floor(i / cols), x = left, y = bottom + 56 + r * 16;
        for (var k = 0; k < c; k++) x += colW[k];
        if (i < shown.length) {
          g.strokeStyle = colors[i];
          g.lineWidth = 2.5;
          g.setLineDash(dashes && dashes[i] && dashes[i][1] ? dashes[i] : []);
          g.beginPath(); g.moveTo(x, y); g.lineTo(x + 16, y); g.stroke();
          g.setLineDash([]);
        }
        g.fillStyle = legendColor;
        g.fillText(t, i < shown.length ? x + 22 : x, y);
      });
    }
    // where things are drawn (plot box in CSS px, x and y domains, y and x ticks): for tests and tools
    canvas.dataset.plot = JSON.stringify({ box: [left, top, right, bottom], x: xd, y: ydom, yt: yt, xt: xt, log: log });
    return { left: left, top: top, right: right, bottom: bottom, x: xs, y: ys, xDomain: xd };
  };
  function fit(g, text, max) {
    if (g.measureText(text).width <= max) return text;
    var s = text;
    while (s.length > 1 && g.measureText(s + "\u2026").width > max) s = s.slice(0, -1);
    return s + "\u2026";
  }

  if (typeof module !== "undefined" && module.exports) module.exports = L;
})();

/* reportgen chart math without the DOM (tested by tests/js/chart-fit.test.js):
   - yDomain: the y range that fits what a chart draws (the smoothed lines when smoothing is on, so
     a raw spike under a smoothed line does not set the axis; with "ignore outliers", the 5th-95th
     percentile of the drawn values plus a margin; a panel's own y min/max win);
   - the codecs of the map-valued URL hash keys: per-panel settings (`pp`), zoom (`zoom`) and
     overlaid panels (`ov`), see docs/site.md. */
(function (root) {
  "use strict";
  var F = {};
  var LOW = 0.05, HIGH = 0.95, ROBUST_MARGIN = 0.1;

  function finite(v) { return typeof v === "number" && isFinite(v); }

  /* Raw points a debiased EMA of weight w needs before its first value weighs less than 10%:
     before that, the "smoothed" line is still mostly the first raw values (a step-0 spike). */
  F.warmup = function (w) {
    if (!(w > 0 && w < 1)) return 0;
    for (var n = 0; n < 10000; n++) if ((1 - w) * Math.pow(w, n) / (1 - Math.pow(w, n + 1)) < 0.1) return n;
    return n;
  };
  /* Values a chart draws: the main line (s), and, without smoothing, the min-max band too; with
     smoothing, each line's warm-up points (r.warm) are left out unless nothing else is drawn. */
  F.drawnValues = function (rows, smooth, log) {
    var out = [], warm = [];
    function add(v, to) { if (finite(v) && (!log || v > 0)) to.push(v); }
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      add(r.s, smooth && r.warm ? warm : out);
      if (!smooth) { add(r.lo, out); add(r.hi, out); }
    }
    return out.length ? out : warm;
  };

  /* q-th quantile (0..1) of a sorted array, linear interpolation (numpy's default). */
  F.quantile = function (sorted, q) {
    if (!sorted.length) return null;
    var pos = (sorted.length - 1) * q, i = Math.floor(pos), f = pos - i;
    return i + 1 < sorted.length ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i];
  };

  /* [lo, hi] for the y scale, or null (nothing drawn and no range set). opts: {smooth, log,
     outliers, ymin, ymax}; ymin/ymax are numbers or null. Under log only positive values count. */
  F.yDomain = function (rows, opts) {
    var vals = F.drawnValues(rows, !!opts.smooth, !!opts.log);
    var lo = null, hi = null;
    if (vals.length) {
      if (opts.outliers && vals.length >= 10) {
        vals.sort(function (a, b) { return a - b; });
        lo = F.quantile(vals, LOW);
        hi = F.quantile(vals, HIGH);
        var pad = (hi - lo) * ROBUST_MARGIN;
        if (opts.log) { var r = Math.pow(hi / lo, ROBUST_MARGIN); lo /= r; hi *= r; }
        else { lo -= pad; hi += pad; }
      } else {
        lo = Infinity; hi = -Infinity;
        for (var i = 0; i < vals.length; i++) { if (vals[i] < lo) lo = vals[i]; if (vals[i] > hi) hi = vals[i]; }
      }
    }
    var okMin = finite(opts.ymin) && (!opts.log || opts.ymin > 0), okMax = finite(opts.ymax) && (!opts.log || opts.ymax > 0);
    if (okMin) lo = opts.ymin;
    if (okMax) hi = opts.ymax;
    if (lo === null && hi === null) return null;
    if (lo === null) lo = opts.log ? hi / 10 : hi - 1;
    if (hi === null) hi = opts.log ? lo * 10 : lo + 1;
    if (hi < lo) { var t = lo; lo = hi; hi = t; }
    if (hi === lo) {  // a flat line: a small range around it
      if (opts.log) { lo /= 1.1; hi *= 1.1; }
      else { var d = Math.abs(lo) * 0.05 || 1; if (!okMin) lo -= d; if (!okMax) hi += d; if (hi === lo) hi = lo + 1; }
    }
    return [lo, hi];
  };

  /* ---- hash codecs: "," between entries, ";" between fields, ":" between name and value ---- */
  function enc(s) { return encodeURIComponent(String(s)).replace(/%2F/g, "/"); }
  function dec(s) { return decodeURIComponent(s); }
  F.enc = enc;

  function num(v) {
    var n = Number(v);
    return v === "" || v === null || !isFinite(n) ? null : n;
  }
  function short(n) {  // a zoom bound with 6 significant digits: "0.123457", "1500"
    return String(Number(Number(n).toPrecision(6)));
  }
  /* Per-panel settings: {panel: {ymin, ymax, log, smooth, x, outliers}}.
     "train/loss;log:1;ymin:0,acc;smooth:0.9". Unknown or malformed fields are ignored. */
  var SETTINGS = {
    ymin: { parse: num, format: function (v) { return finite(v) ? String(v) : null; } },
    ymax: { parse: num, format: function (v) { return finite(v) ? String(v) : null; } },
    log: { parse: function (v) { return v === "1"; }, format: function (v) { return typeof v === "boolean" ? (v ? "1" : "0") : null; } },
    outliers: { parse: function (v) { return v === "1"; }, format: function (v) { return typeof v === "boolean" ? (v ? "1" : "0") : null; } },
    smooth: { parse: function (v) { var n = num(v); return n !== null && n >= 0 && n < 1 ? n : null; },
              format: function (v) { return finite(v) ? String(v) : null; } },
    x: { parse: function (v) { return v || null; }, format: function (v) { return v ? v : null; } }
  };
  F.SETTINGS = Object.keys(SETTINGS);
  F.parsePanels = function (v) {
    var out = {};
    (v || "").split(",").forEach(function (entry) {
      if (!entry) return;
      var parts = entry.split(";"), name;
      try { name = dec(parts[0]); } catch (e) { return; }
      var st = {};
      parts.slice(1).forEach(function (p) {
        var i = p.indexOf(":"), k = p.slice(0, i), raw;
        if (i < 0 || !SETTINGS[k]) return;
        try { raw = dec(p.slice(i + 1)); } catch (e) { return; }
        var val = SETTINGS[k].parse(raw);
        if (val !== null && val !== undefined) st[k] = val;
      });
      if (name && Object.keys(st).length) out[name] = st;
    });
    return out;
  };
  F.formatPanels = function (m) {
    var entries = Object.keys(m || {}).sort().map(function (name) {
      var st = m[name], fields = [];
      F.SETTINGS.forEach(function (k) {
        if (!Object.prototype.hasOwnProperty.call(st, k)) return;
        var s = SETTINGS[k].format(st[k]);
        if (s !== null) fields.push(k + ":" + enc(s));
      });
      return fields.length ? enc(name) + ";" + fields.join(";") : null;
    }).filter(Boolean);
    return entries.length ? entries.join(",") : null;
  };

  /* Zoom: {panel: {x: xkey, xd: [a, b], yd: [c, d]}} as "loss;_step;0;1500;0.1;2.5". */
  F.parseZoom = function (v) {
    var out = {};
    (v || "").split(",").forEach(function (entry) {
      var p = entry.split(";");
      if (p.length !== 6) return;
      var name, xkey;
      try { name = dec(p[0]); xkey = dec(p[1]); } catch (e) { return; }
      var n = p.slice(2).map(num);
      if (n.some(function (x) { return x === null; }) || !name || !xkey) return;
      out[name] = { x: xkey, xd: [n[0], n[1]], yd: [n[2], n[3]] };
    });
    return out;
  };
  F.formatZoom = function (m) {
    var entries = Object.keys(m || {}).sort().map(function (name) {
      var z = m[name];
      if (!z || !z.xd || !z.yd) return null;
      return [enc(name), enc(z.x)].concat(z.xd.concat(z.yd).map(short)).join(";");
    }).filter(Boolean);
    return entries.length ? entries.join(",") : null;
  };

  /* Overlaid panels: [[key, key], ...] as "train/loss+val/loss,acc+val/acc". */
  F.parseOverlays = function (v) {
    var out = [];
    (v || "").split(",").forEach(function (entry) {
      try {
        var keys = entry.split("+").filter(Boolean).map(dec);
        if (keys.length) out.push(keys);
      } catch (e) { /* a bad escape: skip this panel */ }
    });
    return out;
  };
  F.formatOverlays = function (list) {
    return list && list.length ? list.map(function (keys) { return keys.map(enc).join("+"); }).join(",") : null;
  };
  F.overlayName = function (keys) { return keys.join("+"); };

  root.RGFit = F;
  if (typeof module !== "undefined" && module.exports) module.exports = F;
})(typeof window !== "undefined" ? window : globalThis);

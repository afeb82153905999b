/* reportgen data scripts (JSONP: file:// forbids fetch). A data file is a script calling
   <channel>.receive(id, payload); load(id, src, cb) adds its <script> once and calls cb(payload)
   when it ran, or cb(null, error) when it could not be loaded, so nothing waits forever.
   Used by the charts (RG.loadData) and the media panels (RGPanels.load). The chart data files'
   binary columns are decoded here too (series()), once per payload and metric. */
(function (root) {
  "use strict";
  function channel(doc, loaded) {
    var waiting = {};
    loaded = loaded || {};
    function done(id, payload, error) {
      var cbs = waiting[id] || [];
      delete waiting[id];
      cbs.forEach(function (cb) { cb(payload, error); });
    }
    return {
      loaded: loaded,
      has: function (id) { return Object.prototype.hasOwnProperty.call(loaded, id); },
      receive: function (id, payload) { loaded[id] = payload; done(id, payload, null); },
      load: function (id, src, cb) {
        if (Object.prototype.hasOwnProperty.call(loaded, id)) { cb(loaded[id], null); return; }
        if (waiting[id]) { waiting[id].push(cb); return; }
        waiting[id] = [cb];
        add(id, src);
      },
      /* Several files in one request (reportgen serve, tabs12): items = [[id, src]], url(srcs) = the
         URL of one script made of those files (or null). Ids it did not deliver (or all of them, when
         it failed) are then loaded on their own; load() calls made meanwhile wait for either. */
      batch: function (items, url) {
        var todo = items.filter(function (it) {
          return !Object.prototype.hasOwnProperty.call(loaded, it[0]) && !waiting[it[0]];
        });
        for (var i = 0; i < todo.length; i += BATCH) one(todo.slice(i, i + BATCH));
        function one(part) {
          var src = part.length > 1 && url(part.map(function (it) { return it[1]; }));
          if (!src) return;
          part.forEach(function (it) { waiting[it[0]] = []; });
          var d = doc || root.document, s = d.createElement("script");
          function rest() { part.forEach(function (it) { if (waiting[it[0]]) add(it[0], it[1]); }); }
          s.src = src;
          s.async = true;
          s.onload = rest;
          s.onerror = rest;
          d.head.appendChild(s);
        }
      }
    };
    function add(id, src) {
      var d = doc || root.document, s = d.createElement("script");
      s.src = src;
      s.async = true;
      s.onerror = function () {
        if (root.console) root.console.warn("reportgen: could not load " + src);
        done(id, null, new Error("could not load " + src));
      };
      d.head.appendChild(s);
    }
  }
  var BATCH = 32;  // files per batched request (the URL stays short)
  /* ---- decoding the site's data files (reportgen/site/encode.py, docs/site.md "Data files") ----
     A column is {t, b, o, s}: base64 of little-endian f2/f4/f8/u1 values (times s when given), or
     d1/d2/d4 int differences (summed), plus the offset o; t "a" is the sequence o + i * d (n values,
     no bytes). e: integer columns are divided by 10 ** e (exact decimals). Non-finite values (and the
     positions in z) become null. */
  var HALF = null;
  function halfTable() {
    var t = new Float64Array(65536);
    for (var h = 0; h < 65536; h++) {
      var s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
      t[h] = e === 0 ? s * f * Math.pow(2, -24) : e === 31 ? (f ? NaN : s * Infinity)
        : s * (1 + f / 1024) * Math.pow(2, e - 15);
    }
    return t;
  }
  function bytes(b64) {
    var str = root.atob(b64), n = str.length, u = new Uint8Array(n);
    for (var i = 0; i < n; i++) u[i] = str.charCodeAt(i);
    return u.buffer;
  }
  function col(c) {
    if (!c) return null;
    var o = c.o || 0, t = c.t, v, i, out, x, P = c.e ? Number("1e" + c.e) : 0;  // 10 ** e, exact
    if (t === "a") {  // arithmetic sequence: no bytes
      out = new Array(c.n);
      for (i = 0; i < c.n; i++) { x = o + i * c.d; out[i] = P ? x / P : x; }
      return out;
    }
    var buf = bytes(c.b);
    if (t === "f2") {
      HALF = HALF || halfTable();
      var h = new Uint16Array(buf);
      v = new Float64Array(h.length);
      for (i = 0; i < h.length; i++) v[i] = HALF[h[i]];
    } else {
      v = new ({ f4: Float32Array, f8: Float64Array, u1: Uint8Array, d1: Int8Array, d2: Int16Array,
                 d4: Int32Array }[t])(buf);
    }
    out = new Array(v.length);
    if (t.charAt(0) === "d") {
      var acc = o;
      for (i = 0; i < v.length; i++) { acc += v[i]; out[i] = P ? acc / P : acc; }
      if (c.z) c.z.forEach(function (j) { out[j] = null; });  // not finite (kind in the series' nf)
      return out;
    }
    var sc = c.s || 1;
    for (i = 0; i < v.length; i++) { x = v[i]; out[i] = isFinite(x) ? o + x * sc : null; }
    return out;
  }
  /* one decoded series: {key, run, n, x: {axis: values}, y, nf, lo, hi, c} (what charts draw) */
  function decodeSeries(m, x, run) {
    var y = col(m.y), lo = null, hi = null, counts = m.c ? col(m.c) : null;
    if (counts) {  // the band: each bucket's min and max, taken from its kept points (they include both)
      var b, j, k = 0, a, lo1, hi1;
      lo = new Array(y.length); hi = new Array(y.length);
      for (b = 0; b < counts.length; b++) {
        lo1 = null; hi1 = null;
        for (j = k; j < k + counts[b]; j++) {
          a = y[j];
          if (a === null) continue;
          if (lo1 === null || a < lo1) lo1 = a;
          if (hi1 === null || a > hi1) hi1 = a;
        }
        for (j = k; j < k + counts[b]; j++) { lo[j] = lo1; hi[j] = hi1; }
        k += counts[b];
      }
    }
    return { key: m.key, run: run, n: m.n, x: x, y: y, nf: m.nf || [], lo: lo, hi: hi, c: counts };
  }
  /* obj[name] computed on first read (then a plain value); enumerable, so JSON and for-in see it */
  function lazy(obj, name, make) {
    Object.defineProperty(obj, name, { enumerable: true, configurable: true, get: function () {
      var v = make();
      Object.defineProperty(obj, name, { value: v, enumerable: true, writable: true, configurable: true });
      return v;
    } });
  }
  /* Decoded series cached on their payload, keyed by run ids and metric names: prototype-free (a
     run folder may be named "constructor", "toString"...) */
  function memo(obj) {
    if (!obj._rg) Object.defineProperty(obj, "_rg", { value: Object.create(null), enumerable: false });
    return obj._rg;
  }
  function own(o, k) { return o && Object.prototype.hasOwnProperty.call(o, k) ? o[k] : null; }
  /* metric `mid` of a run file's payload (data/runs/<run>.js) */
  function runSeries(run, mid) {
    var m = own(run.m, mid), cache = memo(run);
    if (!m) return null;
    if (cache[mid]) return cache[mid];
    var table = cache[""] || (cache[""] = Object.create(null)), r = null, x = {};
    Object.keys(run.x).forEach(function (name) {  // each x axis decoded when a chart first uses it
      lazy(x, name, function () {
        var tx = table[name] || (table[name] = col(run.x[name]));
        r = r || col(m.r);
        return r.map(function (i) { return tx[i]; });
      });
    });
    return (cache[mid] = decodeSeries(m, x, run.run));
  }
  /* run `f` of an overview payload (data/overview/<metric-id>.js) */
  function liteSeries(ov, f) {
    var m = own(ov.runs, f), cache = memo(ov);
    if (!m) return null;
    if (cache[f]) return cache[f];
    var x = {};
    Object.keys(m.x).forEach(function (name) { lazy(x, name, function () { return col(m.x[name]); }); });
    var p = decodeSeries(m, x, f);
    p.key = ov.key;
    return (cache[f] = p);
  }
  /* Smoothed values of series p at weight index wi: stored (built over the raw series) at each
     bucket's first point and the last point; in between, interpolated along the step. */
  function smoothed(enc, nw, p, wi, holder, key) {
    var cache = memo(holder), ck = key + "|" + wi;
    if (cache[ck]) return cache[ck];
    var all = cache[key] || (cache[key] = col(enc)), na = all.length / nw, k = p.y.length, anchors = [];
    if (p.c) {
      var pos = 0;
      for (var b = 0; b < p.c.length; b++) { if (p.c[b]) anchors.push(pos); pos += p.c[b]; }
      if (anchors[anchors.length - 1] !== k - 1) anchors.push(k - 1);
    } else for (var i = 0; i < k; i++) anchors.push(i);
    if (anchors.length !== na) return null;  // stale pair of files (a rebuild in between): no smoothing
    var sx = p.x._step, out = new Array(k), a, j;
    for (a = 0; a < na; a++) {
      var i0 = anchors[a], i1 = a + 1 < na ? anchors[a + 1] : i0, s0 = all[wi * na + a], s1 = all[wi * na + Math.min(a + 1, na - 1)];
      if (s1 === null) s1 = s0;
      for (j = i0; j < (i1 > i0 ? i1 : i0 + 1); j++) {
        var t = i1 > i0 && sx[i1] !== sx[i0] ? (sx[j] - sx[i0]) / (sx[i1] - sx[i0]) : 0;
        out[j] = s0 === null ? null : s0 + (s1 - s0) * t;
      }
    }
    for (j = 0; j < k; j++) if (p.y[j] === null) out[j] = null;
    return (cache[ck] = out);
  }
  /* The overview file holding run f's series of a metric (site/overviews.py): one file per metric,
     or with many runs (RG.site.ovShards > 1) shard fnv1a32(f) % ovShards of it. */
  function shards() { return (root.RG && root.RG.site && root.RG.site.ovShards) || 1; }
  function fnv(f) {
    var h = 0x811c9dc5;
    for (var i = 0; i < f.length; i++) { h ^= f.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
    return h;
  }
  function overviewId(kind, metric, f, n) {
    if (n === undefined) n = shards();
    return n > 1 ? kind + "/" + metric + "~" + (fnv(f) % n) : kind + "/" + metric;
  }
  /* Data ids of the overview files (and their smoothing when wi >= 0) the runs' series are in. */
  function overviewIds(metric, runs, wi) {
    var ids = [], seen = {}, n = shards();
    function add(id) { if (!seen[id]) { seen[id] = true; ids.push(id); } }
    (n > 1 ? runs : [""]).forEach(function (f) {
      add(overviewId("overview", metric, f, n));
      if (wi >= 0) add(overviewId("overview-smooth", metric, f, n));
    });
    return ids;
  }
  /* Smoothing of a series kept whole (no buckets: every raw point is there), computed in the page
     (assets/smooth.js) at weight w[wi] of its payload: the same debiased EMA the build computes. */
  function computed(p, w, wi, holder, key) {
    if (p.c || p.y.length !== p.n || !w || !(wi < w.length) || !root.RGSmooth) return null;
    var cache = memo(holder), ck = "~" + key + "|" + wi;
    return cache[ck] || (cache[ck] = root.RGSmooth.ema(p.y, w[wi]));
  }
  /* What one chart line needs: {p: decoded series, ss: smoothed values or null}. `loaded` maps data
     ids to payloads; overview charts read the metric's overview files, others the run's files.
     Smoothing: stored (data/smooth, data/overview-smooth) for downsampled series, computed here
     for the others. */
  function series(loaded, metric, f, overview, wi) {
    var p = null, ss = null, sp;
    if (overview) {
      var o = loaded[overviewId("overview", metric, f)];
      p = o ? liteSeries(o, f) : null;
      sp = wi >= 0 ? loaded[overviewId("overview-smooth", metric, f)] : null;
      if (p && sp && own(sp.runs, f)) ss = smoothed(sp.runs[f], sp.w.length, p, wi, sp, f);
      else if (p && wi >= 0) ss = computed(p, o.w, wi, o, f);
    } else {
      var r = loaded["runs/" + f];
      p = r ? runSeries(r, metric) : null;
      sp = wi >= 0 ? loaded["smooth/" + f] : null;
      if (p && sp && own(sp.m, metric)) ss = smoothed(sp.m[metric], sp.w.length, p, wi, sp, metric);
      else if (p && wi >= 0) ss = computed(p, r.w, wi, r, metric);
    }
    return { p: p, ss: ss };
  }
  /* Data ids of run f's files that a chart needs at weight index wi: its data/runs file, and its
     data/smooth file when smoothing is on and the run file (once loaded) says it has one. */
  function runIds(loaded, f, wi) {
    var r = loaded["runs/" + f], ids = ["runs/" + f];
    if (wi >= 0 && r && r.s) ids.push("smooth/" + f);
    return ids;
  }
  var L = { channel: channel, col: col, series: series, overviewId: overviewId, overviewIds: overviewIds, fnv: fnv,
            runIds: runIds };
  root.RGLoader = L;
  if (typeof module !== "undefined" && module.exports) module.exports = L;
})(typeof window !== "undefined" ? window : globalThis);

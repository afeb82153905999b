/* reportgen grouped charts: one line per group of runs (mean or median) with a band (min-max,
   ±1 std or ±1 standard error), the group's runs faint or hidden. Runs are grouped by their
   group, tags, sweep or any config key. State in the URL hash: g (what to group by: "group",
   "tag", "sweep" or "c.<config key>"), gagg (mean|median), gband (minmax|std|sem|none),
   gruns (hide|faint: the group's own runs hidden, the default, or drawn faintly).
   The band never depends on how a chart samples its runs: it is computed from every run's
   fixed-resolution overview series (data/overview/<metric>.js, LITE_SAMPLES points per run, the
   same file whether the chart draws 3 runs from full files or 200 from the overview), averaged
   per run on GROUP_BINS fixed x bins over the group's x range, then across the group's runs per bin.
   charts.js calls idsFor / rows / hover / spec through a small hook in its draw and render. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var G = (RG.groups = {});
  var GROUP_BINS = 50;
  var AGGS = ["mean", "median"], BANDS = ["minmax", "std", "sem", "none"], SHOW = ["hide", "faint"];  // first = default (as wandb: group lines only)

  function choice(list) {
    return { def: list[0], parse: function (v) { return list.indexOf(v) >= 0 ? v : list[0]; },
             format: function (v) { return v && v !== list[0] ? v : null; } };
  }
  RG.stateKey("g", { def: "", parse: function (v) { return v || ""; }, format: function (v) { return v || null; } });
  RG.stateKey("gagg", choice(AGGS));
  RG.stateKey("gband", choice(BANDS));
  RG.stateKey("gruns", choice(SHOW));

  G.active = function () { return !!RG.state.g && !!RG.site && RG.site.kind !== "run"; };

  /* The group name of a run entry (RG.site.runs[i]) for a group-by key. */
  G.keyOf = function (r, by) {
    var v;
    if (by === "group") v = r.group;
    else if (by === "tag") v = (r.tags || []).slice().sort().join(", ");
    else if (by === "sweep") v = r.sweep;
    else if (by.indexOf("c.") === 0) v = r.c && Object.prototype.hasOwnProperty.call(r.c, by.slice(2)) ? r.c[by.slice(2)] : undefined;
    return v === undefined || v === null || v === "" ? "(none)" : String(v);
  };

  /* [{label, color, files}] in the order groups first appear among `runs`. */
  G.partition = function (runs, by) {
    var out = [], at = Object.create(null);
    runs.forEach(function (f) {
      var r = RG.runsByFile[f], k = by + ": " + G.keyOf(r, by);
      if (!at[k]) { at[k] = { label: k, color: RG.runColor ? RG.runColor(f) : r.color, files: [] }; out.push(at[k]); }
      at[k].files.push(f);
    });
    return out;
  };

  /* Whether the chart's own run lines are drawn (faintly) under the group lines. */
  G.needsRuns = function () { return RG.state.gruns !== "hide"; };

  G.idsFor = function (metric, runs) {  // the overview files (or shards) holding these runs (loader.js)
    return window.RGLoader.overviewIds(metric, runs || [], RG.charts.weightIndex());
  };

  function median(a) {
    var s = a.slice().sort(function (p, q) { return p - q; }), n = s.length;
    return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
  /* Centre and band of one bin's values (one per run). */
  G.stats = function (vals, agg, band) {
    var n = vals.length, mean = 0;
    vals.forEach(function (v) { mean += v / n; });
    var c = agg === "median" ? median(vals) : mean, lo = null, hi = null;
    if (band === "minmax") { lo = Math.min.apply(null, vals); hi = Math.max.apply(null, vals); }
    else if (band === "std" || band === "sem") {
      var ss = 0;
      vals.forEach(function (v) { ss += (v - mean) * (v - mean); });
      var sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0, w = band === "sem" ? sd / Math.sqrt(n) : sd;
      lo = c - w; hi = c + w;
    }
    return { c: c, lo: lo, hi: hi };
  };

  /* Per run: [x, value] pairs of its overview series on the chosen x axis (smoothed if on). */
  function points(metric, f, xo, wi) {
    // the overview file's series, decoded by the data loader (assets/loader.js)
    var got = window.RGLoader.series(RG.loaded, metric, f, true, wi), p = got.p;
    if (!p || !p.x[xo.key]) return [];
    var ys = wi >= 0 && got.ss ? got.ss : p.y, xs = p.x[xo.key], out = [];
    for (var i = 0; i < ys.length; i++) {
      var x = xs[i], y = ys[i];
      if (x === null || x === undefined || y === null || !isFinite(y)) continue;
      if (RG.state.log && y <= 0) continue;
      out.push([xo.key === "_timestamp" ? x * 1000 : x, y]);
    }
    return out;
  }

  /* The group lines and bands of one group: rows {run, x, y, s, lo, hi, bad, n}. */
  G.aggregate = function (label, series, agg, band) {
    var xmin = Infinity, xmax = -Infinity, rows = [];
    series.forEach(function (pts) { pts.forEach(function (p) { if (p[0] < xmin) xmin = p[0]; if (p[0] > xmax) xmax = p[0]; }); });
    if (!(xmax >= xmin)) return rows;
    var width = (xmax - xmin) / GROUP_BINS || 1, bins = [];
    for (var b = 0; b < GROUP_BINS; b++) bins.push([]);
    series.forEach(function (pts) {
      // a run's value in a bin: the mean of its points there, else (a bin between two of its
      // points) interpolated at the bin's centre; nothing outside the run's own x range
      var sum = {}, cnt = {};
      pts.forEach(function (p) {
        var b = Math.min(GROUP_BINS - 1, Math.floor((p[0] - xmin) / width));
        sum[b] = (sum[b] || 0) + p[1]; cnt[b] = (cnt[b] || 0) + 1;
      });
      var j = 0;
      for (var b = 0; b < GROUP_BINS && pts.length; b++) {
        if (cnt[b]) { bins[b].push(sum[b] / cnt[b]); continue; }
        var xc = xmin + (b + 0.5) * width;
        while (j < pts.length - 1 && pts[j + 1][0] < xc) j++;
        var a = pts[j], z = pts[j + 1];
        if (!z || a[0] > xc || z[0] < xc) continue;
        bins[b].push(z[0] === a[0] ? a[1] : a[1] + (z[1] - a[1]) * (xc - a[0]) / (z[0] - a[0]));
      }
    });
    bins.forEach(function (vals, b) {
      if (!vals.length) return;
      var st = G.stats(vals, agg, band), x = xmax === xmin ? xmin : xmin + (b + 0.5) * width;
      rows.push({ run: label, x: x, y: st.c, s: st.c, lo: st.lo, hi: st.hi, bad: null, n: vals.length });
    });
    return rows;
  };

  /* Hook (charts.js render): the chart's rows when grouped. `drawn` are the runs' own rows. */
  G.rows = function (ch, runs, drawn) {
    var xo = RG.charts.xOption(ch.dx), wi = RG.charts.weightIndex(), st = RG.state;
    var groups = G.partition(runs, st.g), rows = [], byLabel = Object.create(null);  // run labels as keys
    runs.forEach(function (f) { byLabel[RG.runsByFile[f].label] = f; });
    var groupOf = Object.create(null);
    groups.forEach(function (g) {
      g.files.forEach(function (f) { groupOf[f] = g.label; });
      var series = g.files.map(function (f) { return points(ch.metric, f, xo, wi); });
      rows = rows.concat(G.aggregate(g.label, series, st.gagg, st.gband));
    });
    var members = [];
    if (st.gruns !== "hide") {
      drawn.forEach(function (r) {
        var f = byLabel[r.run];
        if (f) members.push({ run: groupOf[f], m: r.run, x: r.x, y: r.s, s: r.s, lo: null, hi: null, bad: null });
      });
    }
    return { groups: groups, rows: members.concat(rows), key: [st.g, st.gagg, st.gband, st.gruns].join("/") };
  };

  /* Hook (charts.js render): the hover box lists the groups. */
  G.hover = function (ch, grp) {
    var by = Object.create(null);  // group labels as keys
    grp.rows.forEach(function (r) { if (r.m === undefined) (by[r.run] = by[r.run] || []).push(r); });
    ch.byRun = by;
    ch.labels = grp.groups.map(function (g) { return g.label; });
    ch.colors = grp.groups.map(function (g) { return g.color; });
  };

  /* Hook (charts.js render): colours by group, and a faint layer for the group's runs. */
  G.spec = function (spec, grp) {
    var color = spec.encoding.color;
    color.scale.domain = grp.groups.map(function (g) { return g.label; });
    color.scale.range = grp.groups.map(function (g) { return g.color; });
    if (color.legend) color.legend.columns = Math.max(1, Math.min(color.legend.columns, grp.groups.length));
    spec.layer.forEach(function (l) { l.transform = [{ filter: "datum.m == null" }].concat(l.transform || []); });
    if (RG.state.gruns !== "hide") {
      spec.layer.unshift({ name: "members", transform: [{ filter: "datum.m != null" }],
        mark: { type: "line", strokeWidth: 1, opacity: 0.18, clip: true },
        encoding: { y: { field: "s", type: "quantitative", title: null, scale: { type: RG.state.log ? "log" : "linear", zero: false } },
                    detail: { field: "m" } } });
    }
    spec.layer.forEach(function (l) {
      if (l.name === "band") l.mark.opacity = 0.22;
      if (l.name === "main") l.mark.strokeWidth = 2.2;
    });
  };

  /* The controls, added to the page's chart toolbar. */
  function option(sel, value, text) {
    var o = document.createElement("option");
    o.value = value; o.textContent = text; sel.appendChild(o);
  }
  function select(id, label, opts) {
    var lab = document.createElement("label"), sel = document.createElement("select");
    sel.id = id;
    lab.appendChild(document.createTextNode(label + " "));
    opts.forEach(function (o) { option(sel, o[0], o[1]); });
    lab.appendChild(sel);
    return lab;
  }
  G.init = function () {
    var bar = document.querySelector(".rg-controls");
    if (!bar || !RG.site || RG.site.kind === "run" || RG.site.runs.length < 2) return;
    var by = [["", "none"]], runs = RG.site.runs;
    if (runs.some(function (r) { return r.group; })) by.push(["group", "group"]);
    if (runs.some(function (r) { return r.tags && r.tags.length; })) by.push(["tag", "tags"]);
    if (runs.some(function (r) { return r.sweep; })) by.push(["sweep", "sweep"]);
    (RG.site.cols.config || []).forEach(function (k) { by.push(["c." + k, "config: " + k]); });
    var box = document.createElement("span");
    box.className = "rg-group-controls";
    // layout in reportgen.css (.rg-group-controls), so a phone's folded controls bar can hide it
    box.appendChild(select("rg-group-by", "Group by", by));
    box.appendChild(select("rg-group-agg", "Line", [["mean", "mean"], ["median", "median"]]));
    box.appendChild(select("rg-group-band", "Band", [["minmax", "min–max"], ["std", "±1 std"], ["sem", "±1 std. error"], ["none", "none"]]));
    box.appendChild(select("rg-group-runs", "Runs", [["hide", "hidden"], ["faint", "faint"]]));
    // appended last (serve --watch patches the page's static HTML by position: nothing may be
    // inserted before it), shown before the hint by flex order
    var hint = bar.querySelector(".rg-hint");
    bar.appendChild(box);
    if (hint) hint.style.order = "1";
    var ids = { g: "rg-group-by", gagg: "rg-group-agg", gband: "rg-group-band", gruns: "rg-group-runs" };
    function sync() {
      Object.keys(ids).forEach(function (k) {
        var el = document.getElementById(ids[k]);
        el.value = RG.state[k];
        if (k !== "g") el.parentNode.hidden = !RG.state.g;
      });
    }
    Object.keys(ids).forEach(function (k) {
      document.getElementById(ids[k]).addEventListener("change", function (e) {
        var patch = {}; patch[k] = e.target.value; RG.setState(patch);
      });
    });
    sync();
    RG.onState(sync);
  };
})();
(function () {  // after reportgen.js has read the site JSON (its DOMContentLoaded listener runs first)
  if (typeof document === "undefined") return;  // loaded without a page (tests/js)
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { window.RG.groups.init(); });
  else window.RG.groups.init();
})();

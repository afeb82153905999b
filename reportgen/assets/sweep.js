/* Sweep page: fills the Vega-Lite specs built by reportgen/site/sweep_pages.py with the
   sweep's runs and the chosen metric / axes. The scatter's box and the parallel-coordinates axis
   ranges (assets/sweep-brush.js) both filter the runs table and fade the runs outside them in
   both charts. The all-runs page (sweeps/_all.html) takes a selection as #runs=a,b,… (the runs
   table's "Analyse selection"): only those runs, and correlations recomputed for them.
   Data comes from the page's JSON block; text goes in with textContent only. At 1,000 runs the
   page stays as light as the index: the runs table is drawn from that data a page of PAGE rows at a
   time (the rows brushed in, in site order), the charts are drawn on canvas, and the parallel
   coordinates are one mark of line segments (a Vega-Lite line split by run made a group and a
   dataflow of its own for every run: 1.3 s of the page's 2 s at 1,000 runs). A brush fades the runs
   outside it through a field of the charts' data (`kept`), changed on the segments and points whose
   run came in or went out, once an animation frame: a signal of the kept ids tested by every item
   (indexof) re-encoded all 13,000 segments against up to 1,000 ids at every drag step.
   A parameter and a metric may share a name (a config learning_rate and a logged one): their values
   are apart in the rows, S.fields.params[name] (p<i>) and S.fields.metrics[name] (m<i>), and every
   axis, column and option is named by S.labels[field] ("config: x" and "summary: x" for such a name). */
(function () {
  "use strict";
  var el = document.getElementById("rg-sweep");
  if (!el || !window.vegaEmbed) return;
  var S = JSON.parse(el.textContent);
  var views = {}, box = null, ranges = {}, brush = null, boxAgain = null;
  if (window.RG) RG.sweep = { views: views };  // for tests and the benchmark
  var FADE = "datum.kept";  // set on the charts' data by fade() as runs are brushed in or out
  var picked = S.all && window.RG && RG.parseHash ? RG.parseHash(location.hash).runs : null;
  function prepare() {
    if (!S.all) return;  // the all-runs view: correlations computed here, for the runs shown
    if (picked && picked.length) S.rows = S.rows.filter(function (r) { return picked.indexOf(r.f) >= 0; });
    document.getElementById("rg-sweep-nruns").textContent = String(S.rows.length);
    S.importance = selectionImportance();
  }
  prepare();

  /* Pearson correlation of each numeric parameter with each metric over the runs shown (the
     random-forest importance is built for sweep pages only: not for every build's all-runs view). */
  function selectionImportance() {
    var out = Object.create(null);
    S.metrics.forEach(function (m) {
      var rows = [];
      S.params.forEach(function (k) {
        var xs = [], ys = [];
        S.rows.forEach(function (r) {
          var x = r[pf(k)], y = r[mf(m)];
          if (typeof x === "number" && typeof y === "number") { xs.push(x); ys.push(y); }
        });
        var c = pearson(xs, ys);
        if (c !== null) rows.push({ param: k, importance: null, correlation: c });
      });
      if (S.rows.length >= 3 && rows.length) out[m] = rows;
    });
    return out;
  }
  function scaled(vs) {  // at most 1 in size (the same correlation: squares of 1e308 were Infinity, the result NaN)
    var top = vs.reduce(function (m, v) { return Math.max(m, Math.abs(v)); }, 0);
    return top > 1 ? vs.map(function (v) { return v / top; }) : vs;
  }
  function pearson(xs, ys) {
    var n = xs.length, mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    if (n < 3) return null;
    xs = scaled(xs); ys = scaled(ys);
    for (var i = 0; i < n; i++) { mx += xs[i] / n; my += ys[i] / n; }
    for (i = 0; i < n; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) * (xs[i] - mx); syy += (ys[i] - my) * (ys[i] - my); }
    return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
  }
  function $(id) { return document.getElementById(id); }
  function clone(x) { return JSON.parse(JSON.stringify(x)); }
  function pf(param) { return S.fields.params[param]; }  // a parameter's field in the rows
  function mf(metric) { return S.fields.metrics[metric]; }  // a metric's
  /* A name as a chart title or label: Vega-Lite writes tooltip titles (and sweep.js the axis labels)
     into Vega expressions as JSON, where U+2028/U+2029 are line breaks that fail to parse (a
     parameter named "a\u2028b" left the parallel coordinates empty): shown as spaces. */
  function title(k) { return String(k).replace(/[\u2028\u2029]/g, " "); }
  function label(f) { return title(S.labels[f]); }  // a field's name as shown

  function embed(name, target, spec, data) {
    if (views[name]) { views[name].finalize(); }
    if (name !== "importance") {  // runs outside the brushed ranges fade (their data's `kept`)
      data[spec.data.name].forEach(function (d) { d.kept = isKept(d); });
      spec.encoding.opacity = { condition: { test: FADE, value: name === "parallel" ? 0.65 : 1 }, value: 0.08 };
    }
    spec.data = { values: data[spec.data.name] };  // inline: one dataflow run, no empty first draw
    var t0 = performance.now();
    return window.vegaEmbed(target, spec, { actions: false, renderer: "canvas" }).then(function (res) {
      views[name] = res.view;
      performance.measure("rg:sweep:" + name, { start: t0 });  // seen in the benchmark's profile
    });
  }

  function drawImportance(metric) {
    var own = Object.prototype.hasOwnProperty.call(S.importance, metric);  // a metric named "constructor"
    var rows = (own ? S.importance[metric] : []).map(function (d) {
      // named as the parameter's axis, column and option are ("config: x" beside a metric "x")
      var f = pf(d.param);
      return { param: f !== undefined ? label(f) : title(d.param), importance: d.importance,
               correlation: d.correlation === null ? 0 : d.correlation };
    });
    $("rg-sweep-imp-for").textContent = metric ? "for " + label(mf(metric)) : "";
    var target = $("rg-sweep-importance");
    if (!rows.length) {
      if (views.importance) { views.importance.finalize(); delete views.importance; }
      target.textContent = "Not enough runs with a value of this metric (3 or more, with varying parameters).";
      return Promise.resolve();
    }
    target.textContent = "";
    // the band height times the parameters, as a number: a step height beside a "container"
    // width made Vega-Lite warn on every draw ('Dropping "fit-y" because spec has discrete height')
    var spec = clone(S.specs.importance);
    if (spec.height && spec.height.step) spec.height = spec.height.step * rows.length;
    return embed("importance", target, spec, { importance: rows });
  }

  /* An object of a chart's data made from a row. The rows themselves are never given to Vega: Vega
     ids a datum by a symbol it sets on it, read through the prototype, so once the scatter had its
     ids on the rows every segment made from a row by Object.create had its run's id, and the
     parallel coordinates drawn again (another metric chosen) drew one segment a run. */
  function own(r) { return Object.create(r); }

  /* The parallel coordinates' data: for each run, a segment from each axis it has a value on to its
     next such axis (a missing value is stepped over, as the line of a run was drawn before). */
  function segments(axes) {
    var out = [];
    S.rows.forEach(function (r) {
      var prev = null;
      axes.forEach(function (a) {
        if (r[a] === null || r[a] === undefined) return;
        if (prev !== null) { var seg = own(r); seg.a = prev; seg.b = a; seg.z = r[prev]; seg.z2 = r[a]; out.push(seg); }
        prev = a;
      });
    });
    return out;
  }

  function metricExtent(f) {  // [min, max] of the runs' metric (as Vega-Lite finds it), or null
    var lo = Infinity, hi = -Infinity;
    S.rows.forEach(function (r) { var v = r[f]; if (typeof v === "number" && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    // (a span past the largest double, -1e308 to 1e308, put every colour at NaN, and Vega's own domain
    // broke its gradient legend: "addColorStop ... 'undefined'". Then half of it, the ends clamped)
    if (!(lo <= hi)) return null;
    return isFinite(hi - lo) ? [lo, hi] : [lo / 2, hi / 2];
  }

  /* The parallel chart's axis labels, readable at any width: level while the longest fits its axis's
     share of the plot, else slanted and cut at LABEL_CUT px (Vega ends a cut one with "…"; the
     segments' tooltip names every axis whole), upright and thinned out where even slanted ones would
     touch. On a narrow page the colour legend goes under the chart, leaving the plot the width. */
  var LABEL_CUT = 110, NARROW = 600;
  function labelLayout(names) {  // {w, narrow, angle, limit, overlap} at the chart's width now
    var w = $("rg-sweep-parallel").clientWidth || 800, narrow = w < NARROW;
    var band = (w - (narrow ? 60 : 220)) / names.length;  // (less the y axis, and the legend beside)
    var longest = Math.max.apply(null, names.map(function (n) { return n.length; })) * 6.5;  // (11 px text)
    if (longest + 8 <= band) return { w: w, narrow: narrow, angle: 0, limit: band, overlap: false };
    // (Vega-Lite aligns a slanted label's end on its axis)
    return { w: w, narrow: narrow, angle: band >= 18 ? -40 : -90, limit: LABEL_CUT, overlap: band < 13 };
  }
  function layoutClass(l) { return [l.narrow, l.angle, l.overlap].join(); }  // (what a redraw would change)
  function fitLabels(spec, names) {
    var l = labelLayout(names), axis = spec.encoding.x.axis;
    if (l.narrow) spec.encoding.color.legend = { orient: "bottom", direction: "horizontal", titleLimit: l.w - 40 };
    axis.labelAngle = l.angle;
    axis.labelLimit = l.limit;
    if (l.overlap) axis.labelOverlap = "greedy";
    return layoutClass(l);
  }
  /* The layout is chosen for the width the chart is drawn at: a window resized (a phone turned, a
     desktop window narrowed from 1440 to 390 px) left the labels overlapping and the legend beside a
     squeezed plot. Once a resize rests, the chart is drawn again when its layout would change. */
  var drawnLayout = null, RESIZE_WAIT = 150, resizeLater = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizeLater);
    resizeLater = setTimeout(function () {
      var metric = $("rg-sweep-metric").value;
      if (!views.parallel || !metric) return;
      if (layoutClass(labelLayout(parallelFields(metric).map(label))) !== drawnLayout) drawParallel(metric);
    }, RESIZE_WAIT);
  });

  function parallelFields(metric) { return S.params.map(pf).concat([mf(metric)]); }  // the axes', the metric's last
  function drawParallel(metric) {
    var spec = clone(S.specs.parallel);
    var fs = parallelFields(metric), m = fs[fs.length - 1];
    var axes = fs.map(function (f) { return "z_" + f; });
    spec.encoding.x.scale = { domain: axes };  // every axis, in order (a segment names two)
    spec.encoding.color.field = m;
    var extent = metricExtent(m);  // a domain given, not the data's: changing the data's `kept`
    if (extent) spec.encoding.color.scale = { domain: extent, clamp: true };  // then re-encodes those segments alone
    spec.encoding.color.title = label(m);
    var labels = {}, text = (window.RG && RG.vegaSafe) || String;  // names inside an expression: Vega-safe (theme-vega.js)
    fs.forEach(function (f) { labels["z_" + f] = text(label(f)); });
    drawnLayout = fitLabels(spec, fs.map(label));
    spec.encoding.x.axis.labelExpr = "(" + JSON.stringify(labels) + ")[datum.value] || datum.value";
    spec.encoding.tooltip = spec.encoding.tooltip.concat(fs.map(function (f) { return { field: f, title: label(f) }; }));
    return embed("parallel", $("rg-sweep-parallel"), spec, { runs: segments(axes) }).then(function () {
      if (!brush) brush = RG.sweepBrush($("rg-sweep-parallel").parentNode, function () { return views.parallel; },
                                        function (r) { ranges = r; filterSoon(); }, axisValues);
      // a resize that keeps the layout: Vega scales the plot to the width, the boxes follow
      views.parallel.addResizeListener(function () { brush.place(); });
      brush.redraw();
      filterTable();
    });
  }

  function isNumeric(f) {
    return S.rows.every(function (r) { var v = r[f]; return v === null || typeof v === "number"; });
  }

  function drawScatter() {
    var xf = $("rg-sweep-x").value, yf = $("rg-sweep-y").value;  // fields (the options' values)
    var spec = clone(S.specs.scatter);
    spec.encoding.x.field = xf; spec.encoding.x.title = label(xf);
    spec.encoding.y.field = yf; spec.encoding.y.title = label(yf);
    if (!isNumeric(xf)) { spec.encoding.x.type = "nominal"; delete spec.encoding.x.scale; }
    if (!isNumeric(yf)) { spec.encoding.y.type = "nominal"; delete spec.encoding.y.scale; }
    spec.encoding.tooltip = spec.encoding.tooltip.concat([{ field: xf, title: label(xf) }, { field: yf, title: label(yf) }]);
    // the box a live update found on these same fields (by name: the update numbers them again), drawn again
    var again = boxAgain && fieldOf(boxAgain.x) === xf && fieldOf(boxAgain.y) === yf ? boxAgain : null;
    boxAgain = null;
    if (again) spec.params[0].value = { x: again.xv, y: again.yv };
    return embed("scatter", $("rg-sweep-scatter"), spec, { runs: S.rows.map(own) }).then(function () {
      box = null;
      if (again) { box = {}; box[xf] = again.xv; box[yf] = again.yv; }
      filterTable();
      views.scatter.addSignalListener("brush", function (_, value) { box = value; filterSoon(); });
    });
  }

  function inside(row, box) {
    return Object.keys(box).every(function (f) {
      var range = box[f], v = row[f];
      if (v === null || v === undefined) return false;
      if (typeof range[0] === "number" && range.length === 2 && typeof v === "number") {
        return v >= Math.min(range[0], range[1]) && v <= Math.max(range[0], range[1]);
      }
      return range.indexOf(v) >= 0;  // nominal axes: the brushed values
    });
  }

  /* The parallel chart's brushed ranges are in their axes' values (assets/sweep-brush.js): {lo, hi}
     on a numeric axis, {cats} (the values covered, by key()) on another. A position (the rows'
     z_<field>, 0..1) is the axis's for this data only: a run widening the axis (under serve --watch)
     moves every value, and a range kept as positions then kept other runs. */
  function key(v) { return JSON.stringify(v); }
  function numericAxis(f) {  // [min, max] of a field whose values are all numbers (as the build's _norm), else null
    var lo = Infinity, hi = -Infinity, all = S.rows.every(function (r) {
      var v = r[f];
      if (v === null || v === undefined) return true;
      if (typeof v !== "number") return false;
      lo = Math.min(lo, v); hi = Math.max(hi, v);
      return true;
    });
    return all && lo <= hi ? [lo, hi] : null;
  }
  function matches(range, v) {
    if (v === null || v === undefined) return false;
    if (range.cats) return range.cats[key(v)] === true;
    return typeof v === "number" && v >= range.lo && v <= range.hi;
  }
  var axisValues = {
    range: function (axis, z0, z1) {  // the values between positions z0 <= z1 of an axis
      var f = axis.slice(2), n = numericAxis(f);
      if (n && n[0] < n[1]) {
        var at = function (z) {  // (the halves of a span past the largest double: as the build's _norm)
          if (z <= 0 || z >= 1) return z <= 0 ? n[0] : n[1];
          return isFinite(n[1] - n[0]) ? n[0] + z * (n[1] - n[0]) : 2 * (n[0] / 2 + z * (n[1] / 2 - n[0] / 2));
        };
        return { lo: at(z0), hi: at(z1) };
      }
      if (n) return z0 <= 0.5 && z1 >= 0.5 ? { lo: n[0], hi: n[0] } : { lo: NaN, hi: NaN };  // one value, in the middle
      var cats = Object.create(null);
      S.rows.forEach(function (r) { var z = r[axis]; if (typeof z === "number" && z >= z0 && z <= z1) cats[key(r[f])] = true; });
      return { cats: cats };
    },
    place: function (axis, range) {  // the positions a range covers now, or null
      var f = axis.slice(2), n = numericAxis(f);
      if (n && !range.cats) {
        if (!(range.lo <= range.hi)) return null;
        if (n[0] === n[1]) return matches(range, n[0]) ? [0.5, 0.5] : null;
        var z = function (v) { return Math.max(0, Math.min(1, (v / 2 - n[0] / 2) / (n[1] / 2 - n[0] / 2))); };
        return [z(range.lo), z(range.hi)];
      }
      var lo = Infinity, hi = -Infinity;  // (the runs' values it covers)
      S.rows.forEach(function (r) {
        var z = r[axis];
        if (typeof z === "number" && matches(range, r[f])) { lo = Math.min(lo, z); hi = Math.max(hi, z); }
      });
      return lo <= hi ? [lo, hi] : null;
    }
  };
  function inRanges(row) {
    return Object.keys(ranges).every(function (axis) { return matches(ranges[axis], row[axis.slice(2)]); });
  }
  var keep = null, filtered = false, soon = 0;
  function isKept(d) { return !keep || keep[d.id] === true; }
  /* Fade a chart's runs brushed out and show those brushed in: only the items whose run changed
     are modified, so Vega encodes them alone (the canvas is still drawn whole). */
  function fade(name) {
    var v = views[name];
    if (!v) return;
    var cs = v.changeset().modify(function (d) { return d.kept !== isKept(d); }, "kept", isKept);
    v.change("source_0", cs).runAsync();
  }
  /* A brush moves many times a frame: the runs are filtered once per animation frame, and the runs
     table (100 rows: half of a step's frame at 1,000 runs) drawn once the brush rests TABLE_WAIT ms;
     the table is marked data-pending meanwhile. */
  var TABLE_WAIT = 150, tableLater = 0;
  function filterSoon() {
    if (!soon) soon = requestAnimationFrame(function () { soon = 0; filterTable(true); });
  }
  function filterTable(later) {
    var active = box && Object.keys(box).length ? box : null, axes = Object.keys(ranges).length > 0;
    if (!active && !axes && !filtered) return;  // nothing brushed before or now: nothing to redo
    var before = keep, was = filtered;
    filtered = !!(active || axes);
    keep = Object.create(null);
    S.rows.forEach(function (r) { if ((!active || inside(r, active)) && inRanges(r)) keep[r.id] = true; });
    if (before && was === filtered && S.rows.every(function (r) { return !before[r.id] === !keep[r.id]; })) return;  // the same runs
    ["parallel", "scatter"].forEach(fade);
    tablePage = 0;
    if (!later) return drawTable();
    clearTimeout(tableLater);
    tableLater = setTimeout(drawTable, TABLE_WAIT);
    $("rg-sweep-runs").setAttribute("data-pending", "1");
  }

  /* The runs table: the runs brushed in (all of them when nothing is), PAGE rows at a time. */
  var PAGE = 100, tablePage = 0;
  function cellText(v) {  // as the build writes a value (site/fmt.py fmt_value; format.js for numbers)
    if (v === null || v === undefined) return "";
    if (typeof v === "boolean") return v ? "True" : "False";
    return typeof v === "number" && window.RGFormat ? RGFormat.number(v) : String(v);
  }
  function td(tr, text, cls) {
    var c = document.createElement("td");
    c.textContent = text;
    if (cls) c.className = cls;
    return tr.appendChild(c);
  }
  function drawTable() {
    clearTimeout(tableLater);
    $("rg-sweep-runs").removeAttribute("data-pending");
    var listed = keep ? S.rows.filter(function (r) { return keep[r.id]; }) : S.rows;
    var pages = Math.max(1, Math.ceil(listed.length / PAGE));
    tablePage = Math.max(0, Math.min(tablePage, pages - 1));
    var tbody = document.createElement("tbody");
    tbody.setAttribute("data-rg-drawn", "");  // (its rows are this script's: assets/live-patch.js)
    listed.slice(tablePage * PAGE, (tablePage + 1) * PAGE).forEach(function (r) {
      var tr = document.createElement("tr"), a = document.createElement("a");
      tr.setAttribute("data-id", r.id);
      tr.setAttribute("data-run", r.f);
      a.href = "../" + r.page;  // (sweep pages sit in sweeps/)
      a.textContent = r.name;
      td(tr, "").appendChild(a);
      td(tr, r.state + (r.early ? " (stopped early)" : ""));
      S.params.forEach(function (k) { td(tr, cellText(r[pf(k)])); });
      S.metrics.forEach(function (k) { td(tr, cellText(r[mf(k)]), "rg-num"); });
      tbody.appendChild(tr);
    });
    if (!listed.length && filtered) {  // (an empty table said nothing of why, nor how to get the runs back)
      var none = td(document.createElement("tr"), "No run is in the brushed ranges: clear the selection, or click " +
                    "an axis or double-click the scatter to clear its part.", "rg-empty");
      none.colSpan = 2 + S.params.length + S.metrics.length;
      tbody.appendChild(none.parentNode);
    }
    var table = $("rg-sweep-runs");
    table.replaceChild(tbody, table.querySelector("tbody"));
    if ($("rg-sweep-clear")) $("rg-sweep-clear").hidden = !filtered;
    $("rg-sweep-count").textContent = listed.length + " of " + S.rows.length + " runs" + (filtered ? " (brushed)" : "");
    var bar = $("rg-sweep-pager");
    bar.hidden = pages <= 1;
    bar.querySelector(".rg-pager-text").textContent = "runs " + (listed.length ? tablePage * PAGE + 1 : 0) + "–" +
      Math.min(listed.length, (tablePage + 1) * PAGE) + " of " + listed.length;
    bar.querySelector('[data-page="-1"]').disabled = tablePage <= 0;
    bar.querySelector('[data-page="1"]').disabled = tablePage >= pages - 1;
  }
  Array.prototype.forEach.call($("rg-sweep-pager").querySelectorAll("button"), function (b) {
    b.addEventListener("click", function () { tablePage += Number(b.getAttribute("data-page")); drawTable(); });
  });
  /* "Clear selection" (shown while runs are brushed): the parallel chart's ranges and the scatter's
     box (the scatter drawn again without it) both go. */
  if ($("rg-sweep-clear")) $("rg-sweep-clear").addEventListener("click", function () {
    if (brush) brush.clear();
    ranges = {};
    if (box && scatterDrawn) { scatterDrawn = null; scatterOnce(); }
    box = null;
    filterTable();
  });
  drawTable();

  function drawMetric() {
    var metric = $("rg-sweep-metric").value;
    if (!metric) return Promise.resolve();
    return Promise.all([drawImportance(metric), drawParallel(metric)]);
  }

  /* The reader's choice of metric and scatter axes, by name: {metric: name, x: {k, n}, y: {k, n}} (k:
     "params" or "metrics"). A live update patches the selects' options by position and numbers the
     fields again (a new metric sorted in before the chosen one: the chosen option then held the new
     metric, and m2 named another metric), so the choice is kept here and set again on the new data. */
  var chosen = {};
  function has(o, k) { return k !== null && k !== undefined && Object.prototype.hasOwnProperty.call(o, k); }
  function fieldName(f) {  // {k, n} of a field of S, or null
    var out = null;
    ["params", "metrics"].forEach(function (k) {
      Object.keys(S.fields[k]).forEach(function (n) { if (S.fields[k][n] === f) out = { k: k, n: n }; });
    });
    return out;
  }
  function fieldOf(id) { return id && has(S.fields[id.k], id.n) ? S.fields[id.k][id.n] : null; }
  function remember() {
    chosen = { metric: $("rg-sweep-metric").value, x: fieldName($("rg-sweep-x").value), y: fieldName($("rg-sweep-y").value) };
  }
  function pick(select, value) {  // an option by value, else the first
    var ok = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
    if (ok) select.value = value; else if (select.options.length) select.selectedIndex = 0;
  }
  function choose() {  // the selects set to the reader's choice where the data still has it, else the defaults
    var first = S.metric || S.metrics[0];
    pick($("rg-sweep-metric"), has(S.fields.metrics, chosen.metric) ? chosen.metric : first);
    pick($("rg-sweep-x"), fieldOf(chosen.x) || (S.params.length ? pf(S.params[0]) : null));
    pick($("rg-sweep-y"), fieldOf(chosen.y) || (S.metrics.length ? mf(first) : null));
    remember();
  }
  $("rg-sweep-metric").addEventListener("change", function () { remember(); drawMetric(); });
  $("rg-sweep-x").addEventListener("change", function () { remember(); scatterDrawn = null; scatterOnce(); });
  $("rg-sweep-y").addEventListener("change", function () { remember(); scatterDrawn = null; scatterOnce(); });
  choose();
  /* The first screen (importance, parallel coordinates) is drawn at once; the scatter, below it,
     when it comes near the viewport (drawn at once if it is already in view). */
  var scatterEl = $("rg-sweep-scatter"), scatterDrawn = null;
  function scatterOnce() {
    if (!scatterDrawn) scatterDrawn = drawScatter().then(function () { scatterEl.setAttribute("data-drawn", "1"); });
    return scatterDrawn;
  }
  var nearNow = scatterEl.getBoundingClientRect().top < window.innerHeight + 200 || !("IntersectionObserver" in window);
  if (!nearNow) {
    var io = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { io.disconnect(); scatterOnce(); }
    }, { rootMargin: "200px 0px" });
    io.observe(scatterEl);
  }
  /* Live (serve --watch): the page's sweep JSON changed (a run finished or was added); redraw in
     place, keeping the chosen metric, axes, brushed ranges and the scatter's box (assets/live-patch.js
     calls this). */
  function parse(text) { try { return JSON.parse(text); } catch (e) { return null; } }
  RG.sweep.canApply = function (text) {
    var n = parse(text);
    return !!(n && Array.isArray(n.rows) && !!n.all === !!S.all);
  };
  RG.sweep.apply = function (text) {
    var axes = brush ? Object.keys(brush.ranges()).map(function (a) { return [a, fieldName(a.slice(2))]; }) : [];
    var xf = $("rg-sweep-x").value, yf = $("rg-sweep-y").value;  // the scatter's box, by its fields' names
    boxAgain = box && has(box, xf) && has(box, yf) ? { x: fieldName(xf), y: fieldName(yf), xv: box[xf], yv: box[yf] } : null;
    box = null;  // (its fields are numbered again: set again when the scatter is drawn on the same fields, else dropped)
    S = parse(text);
    prepare();
    choose();
    // brushed ranges follow their parameter or metric to its field in the new data
    if (brush) brush.rename(axes.map(function (p) { var f = fieldOf(p[1]); return [p[0], f ? "z_" + f : null]; }));
    keep = null; filtered = false;  // (brushed ranges are applied again as the charts are drawn)
    drawTable();
    var redraw = [drawMetric()];
    if (scatterDrawn) { scatterDrawn = null; redraw.push(scatterOnce()); }
    RG.sweep.busy = (RG.sweep.busy || 0) + 1;  // (updates being drawn, for tests)
    return Promise.all(redraw).then(function () { RG.sweep.updates = (RG.sweep.updates || 0) + 1; })
      .finally(function () { RG.sweep.busy--; });
  };
  Promise.all([drawMetric(), nearNow ? scatterOnce() : null]).then(function () {
    document.body.setAttribute("data-sweep-ready", "1");
  }).catch(function (err) {
    document.body.setAttribute("data-sweep-error", String(err));
  });
})();

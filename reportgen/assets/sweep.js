/* Sweep page: fills the Vega-Lite specs built by reportgen/site/sweep_pages.py with the
   sweep's runs and the chosen metric / axes; the scatter's brush filters the runs table.
   Data comes from the page's JSON block; text goes in with textContent only. */
(function () {
  "use strict";
  var el = document.getElementById("rg-sweep");
  if (!el || !window.vegaEmbed) return;
  var S = JSON.parse(el.textContent);
  var views = {};
  function $(id) { return document.getElementById(id); }
  function clone(x) { return JSON.parse(JSON.stringify(x)); }
  function field(key) { return S.fields[key]; }

  function embed(name, target, spec, data) {
    if (views[name]) { views[name].finalize(); }
    spec.data = { values: data[spec.data.name] };  // inline: one dataflow run, no empty first draw
    return window.vegaEmbed(target, spec, { actions: false, renderer: "svg" }).then(function (res) {
      views[name] = res.view;
    });
  }

  function drawImportance(metric) {
    var rows = (S.importance[metric] || []).map(function (d) {
      return { param: d.param, importance: d.importance, correlation: d.correlation === null ? 0 : d.correlation };
    });
    $("rg-sweep-imp-for").textContent = metric ? "for " + metric : "";
    var target = $("rg-sweep-importance");
    if (!rows.length) {
      if (views.importance) { views.importance.finalize(); delete views.importance; }
      target.textContent = "Not enough runs with a value of this metric (3 or more, with varying parameters).";
      return Promise.resolve();
    }
    target.textContent = "";
    return embed("importance", target, clone(S.specs.importance), { importance: rows });
  }

  function drawParallel(metric) {
    var spec = clone(S.specs.parallel);
    var mf = field(metric);
    spec.transform[0].fold = spec.transform[0].fold.map(function (f) { return f === "z_METRIC" ? "z_" + mf : f; });
    spec.encoding.color.field = mf;
    spec.encoding.color.title = metric;
    var labels = {};
    S.params.forEach(function (k) { labels["z_" + field(k)] = k; });
    labels["z_" + mf] = metric;
    spec.encoding.x.axis.labelExpr = "(" + JSON.stringify(labels) + ")[datum.value] || datum.value";
    spec.encoding.tooltip = spec.encoding.tooltip.concat(
      S.params.map(function (k) { return { field: field(k), title: k }; }), [{ field: mf, title: metric }]);
    return embed("parallel", $("rg-sweep-parallel"), spec, { runs: S.rows });
  }

  function isNumeric(key) {
    return S.rows.every(function (r) { var v = r[field(key)]; return v === null || typeof v === "number"; });
  }

  function drawScatter() {
    var xk = $("rg-sweep-x").value, yk = $("rg-sweep-y").value;
    var spec = clone(S.specs.scatter);
    spec.encoding.x.field = field(xk); spec.encoding.x.title = xk;
    spec.encoding.y.field = field(yk); spec.encoding.y.title = yk;
    if (!isNumeric(xk)) { spec.encoding.x.type = "nominal"; delete spec.encoding.x.scale; }
    if (!isNumeric(yk)) { spec.encoding.y.type = "nominal"; delete spec.encoding.y.scale; }
    spec.encoding.tooltip = spec.encoding.tooltip.concat([{ field: field(xk), title: xk }, { field: field(yk), title: yk }]);
    return embed("scatter", $("rg-sweep-scatter"), spec, { runs: S.rows }).then(function () {
      filterTable(null);
      views.scatter.addSignalListener("brush", function (_, value) { filterTable(value); });
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

  function filterTable(box) {
    var active = box && Object.keys(box).length ? box : null;
    var keep = {};
    S.rows.forEach(function (r) { if (!active || inside(r, active)) keep[r.id] = true; });
    var rows = document.querySelectorAll("#rg-sweep-runs tbody tr"), shown = 0;
    rows.forEach(function (tr) {
      var on = !!keep[tr.getAttribute("data-id")];
      tr.hidden = !on;
      if (on) shown += 1;
    });
    $("rg-sweep-count").textContent = shown + " of " + rows.length + " runs" + (active ? " (brushed)" : "");
  }

  function drawMetric() {
    var metric = $("rg-sweep-metric").value;
    if (!metric) return Promise.resolve();
    return Promise.all([drawImportance(metric), drawParallel(metric)]);
  }

  $("rg-sweep-metric").addEventListener("change", drawMetric);
  $("rg-sweep-x").addEventListener("change", drawScatter);
  $("rg-sweep-y").addEventListener("change", drawScatter);
  if (S.metrics.length) {
    $("rg-sweep-metric").value = S.metric || S.metrics[0];
    $("rg-sweep-y").value = S.metric || S.metrics[0];
  }
  if (S.params.length) $("rg-sweep-x").value = S.params[0];
  Promise.all([drawMetric(), drawScatter()]).then(function () {
    document.body.setAttribute("data-sweep-ready", "1");
  }).catch(function (err) {
    document.body.setAttribute("data-sweep-error", String(err));
  });
})();

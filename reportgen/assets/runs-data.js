/* reportgen runs data (site/runs_data.py): which runs the charts draw by default, and the runs
   table's data file on sites with many runs.

   Default selection: with no runs picked (no `runs=` in the hash) each chart draws the
   RG.site.chartRuns most recent of its runs that pass the table's filters (started time descending,
   then site order), as wandb draws a bounded number of runs per chart; state key `n` overrides the
   number. The table ticks the most recent runs of all (RG.defaultRuns()); a chart drawing others
   says so (charts.js C.show).
   Table data: when RG.site.table is set, the page embeds only the runs drawn by default; the
   table's rows (every run) are loaded from RG.site.table.src once the first charts have rendered
   (or after 2 s), then the table is drawn and the charts learn every run they can show. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var D = (RG.runsData = {});
  var order = null;  // indexes of RG.site.runs, most recent first

  RG.stateKey("n", {
    def: 0,
    parse: function (v) { var n = parseInt(v, 10); return n > 0 ? Math.min(n, 100000) : 0; },
    format: function (v) { return v ? String(v) : null; }
  });

  D.limit = function () { return RG.state.n || RG.site.chartRuns || 10; };

  function created(r) { return typeof r.created === "number" ? r.created : -Infinity; }
  var orderOf = null;  // the RG.site.runs that `order` indexes (serve --watch appends runs to it)
  function recent() {
    if (!order || orderOf !== RG.site.runs || order.length !== RG.site.runs.length) {
      var runs = orderOf = RG.site.runs;
      order = runs.map(function (r, i) { return i; });
      order.sort(function (a, b) {
        var ca = created(runs[a]), cb = created(runs[b]);
        return ca === cb ? a - b : (ca < cb ? 1 : -1);
      });
    }
    return order;
  }

  /* Files of the runs charts draw when none are picked: the most recent that pass the filters; with
     `among` (a chart's runs), the most recent of those, so that a chart of a metric only older runs
     logged (a project whose last runs are a sweep logging fewer keys, a report's chart of some runs)
     draws them instead of nothing. */
  RG.defaultRuns = function (among) {
    var out = [], lim = D.limit(), idx = recent(), runs = RG.site.runs, only = null;
    if (among) { only = Object.create(null); among.forEach(function (f) { only[f] = true; }); }
    for (var i = 0; i < idx.length && out.length < lim; i++) {
      var f = runs[idx[i]].f;
      if ((!only || only[f]) && (!RG.table || RG.table.passes(f))) out.push(f);
    }
    return out;
  };

  /* Run entries back from the compact rows of a table data file (runs_data.table_payload). */
  D.decode = function (p) {
    var F = p.fields, si = F.indexOf("s"), ci = F.indexOf("c"), mi = F.indexOf("m"), byMetric = {};
    var runs = p.rows.map(function (row) {
      var e = {};
      for (var i = 0; i < F.length; i++) {
        if (i === si || i === ci || i === mi) continue;
        if (row[i] !== null && row[i] !== undefined) e[F[i]] = row[i];
      }
      e.tags = e.tags || [];
      e.group = e.group || "";
      e.created = e.created === undefined ? null : e.created;
      e.duration = e.duration === undefined ? null : e.duration;
      e.s = {}; e.c = {};
      p.cols.summary.forEach(function (k, j) { var v = row[si][j]; if (v !== null) e.s[k] = v; });
      p.cols.config.forEach(function (k, j) { var v = row[ci][j]; if (v !== null) e.c[k] = v; });
      e.url = RG.site.root + "runs/" + e.f + "/index.html";
      row[mi].forEach(function (m) { (byMetric[p.metrics[m]] = byMetric[p.metrics[m]] || []).push(e.f); });
      return e;
    });
    return { runs: runs, cols: p.cols, byMetric: byMetric };
  };

  function loaded(p, configsOk) {
    var table = document.getElementById("rg-runs");
    if (!p) { if (table) table.textContent = "Could not load the runs table (" + RG.site.table.src + ")."; return; }
    var got = D.decode(p);
    RG.site.runs = got.runs;
    RG.site.cols = got.cols;
    order = null;
    Object.keys(RG.runsByFile).forEach(function (f) { delete RG.runsByFile[f]; });
    got.runs.forEach(function (r) { RG.runsByFile[r.f] = r; });
    if (table) table.textContent = "";
    if (RG.table) RG.table.init();
    if (RG.charts && RG.charts.setRuns) RG.charts.setRuns(got.byMetric);
    if (configsOk && RG.compare && RG.compare.render) RG.compare.render();
    document.dispatchEvent(new CustomEvent("rg:table-loaded", { detail: { runs: got.runs.length } }));
  }

  function load() {
    var t = RG.site.table;
    RG.loadData(t.id, function (p) {
      if (!t.configs) { loaded(p, false); return; }
      RG.loadData(t.configs.id, function (c) { loaded(p, !!c); });
    });
  }

  /* "Draw latest [N]": how many runs the charts draw while none are ticked (state key n). */
  function control() {
    var count = document.getElementById("rg-selected-count");
    if (!count || RG.site.kind === "compare" || document.getElementById("rg-chart-runs")) return;
    var lab = document.createElement("label"), inp = document.createElement("input");
    lab.className = "rg-chart-runs";
    lab.title = "Runs each chart draws while no run is ticked: the most recent of its runs that pass the filters";
    inp.type = "number"; inp.min = "1"; inp.id = "rg-chart-runs"; inp.value = String(D.limit());
    inp.addEventListener("change", function () {
      var n = parseInt(inp.value, 10);
      RG.setState({ n: n > 0 && n !== RG.site.chartRuns ? n : 0 });
    });
    RG.onState(function () { inp.value = String(D.limit()); });
    lab.appendChild(document.createTextNode("Draw latest "));
    lab.appendChild(inp);
    count.parentNode.insertBefore(lab, count);
  }

  /* Called at start instead of RG.table.init(): draw the table now, or load its data first. */
  D.init = function () {
    control();
    if (!RG.site.table) { if (RG.table) RG.table.init(); return; }
    var table = document.getElementById("rg-runs");
    if (table) table.textContent = "Loading the table of " + RG.site.total + " runs…";
    var started = false;
    function go() {
      if (started) return;
      started = true;
      document.removeEventListener("rg:rendered", check);
      load();
    }
    function check() {  // the first charts are drawn: nothing in view is still rendering
      setTimeout(function () { if (!document.querySelector('.rg-chart[data-rendered="pending"]')) go(); }, 0);
    }
    document.addEventListener("rg:rendered", check);
    setTimeout(check, 500);  // no chart in view at all
    setTimeout(go, 2000);
  };
})();

/* reportgen site runtime: data loading, view state, lazy chart rendering, runs table.
   No dependencies besides the Vega bundle (window.vegaEmbed) written next to this file.
   Load order: vega-bundle.js, state.js, charts.js, hover.js, runs-table.js, compare.js, reportgen.js (boots). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var loaded = (RG.loaded = RG.loaded || {});  // data id -> payload
  var chan = window.RGLoader.channel(document, loaded);  // assets/loader.js

  /* Data files call RG.receive(id, payload) when their <script> runs. A file loaded again
     (serve --watch re-injects it) notifies RG.subscribers[id], which update charts in place. */
  RG.receive = function (id, payload) {
    var again = chan.has(id);
    chan.receive(id, payload);
    // serve --watch (assets/live.js) loads changed files in a batch, quietly, then calls RG.charts.refresh once
    if (again && !RG.quietReceive) { (RG.subscribers[id] || []).forEach(function (fn) { fn(payload, id); }); }
  };
  RG.subscribers = RG.subscribers || {};
  RG.subscribe = function (id, fn) {
    var list = (RG.subscribers[id] = RG.subscribers[id] || []);
    if (list.indexOf(fn) < 0) list.push(fn);
  };
  RG.views = RG.views || {};  // chart element id -> Vega view

  /* Load data file `id` (site path data/<id>.js); cb(payload) once it ran (null on error). */
  RG.loadData = function (id, cb) {
    chan.load(id, RG.site.data + id + ".js", function (payload) { cb(payload); });
  };
  /* Load several ids; cb(map id -> payload) when all arrived. */
  RG.loadAll = function (ids, cb) {
    var out = {}, left = ids.length;
    if (!left) { cb(out); return; }
    // reportgen serve sets RG.batchSrc (reportgen/serve/live.js): the files not loaded yet come in one
    // request instead of one each (fewer requests for every tab: issue 12, twenty tabs)
    if (RG.batchSrc && left > 1) {
      chan.batch(ids.map(function (id) { return [id, RG.site.data + id + ".js"]; }), RG.batchSrc);
    }
    ids.forEach(function (id) {
      RG.loadData(id, function (p) { out[id] = p; if (--left === 0) cb(out); });
    });
  };

  function start() {
    RG.site = JSON.parse(document.getElementById("rg-site").textContent);
    RG.runsByFile = Object.create(null);  // run ids as keys: a run folder may be named "constructor"
    RG.site.runs.forEach(function (r) { RG.runsByFile[r.f] = r; });
    RG.loadStateFromHash();
    if (RG.runsData) RG.runsData.init();  // the runs table, now or once its data file is loaded (runs-data.js)
    else if (RG.table) RG.table.init();
    if (RG.charts) RG.charts.init();
    if (RG.compare) RG.compare.init();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* reportgen site runtime: lazy chart rendering and sortable tables. No dependencies
   besides the Vega bundle (window.vegaEmbed) written next to this file. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var loaded = {};
  var waiting = {};

  /* Data files call RG.receive(id, payload) when their <script> runs. */
  RG.receive = function (id, payload) {
    var again = !!loaded[id];
    loaded[id] = payload;
    if (again) { (RG.subscribers[id] || []).forEach(function (fn) { fn(payload); }); }
    (waiting[id] || []).forEach(function (cb) { cb(payload); });
    delete waiting[id];
  };

  RG.loadData = function (id, src, cb) {
    if (loaded[id]) { cb(loaded[id]); return; }
    if (waiting[id]) { waiting[id].push(cb); return; }
    waiting[id] = [cb];
    var s = document.createElement("script");
    s.src = src;
    s.async = true;
    s.onerror = function () { console.warn("reportgen: could not load " + src); };
    document.head.appendChild(s);
  };

  /* Long-format rows for the chart's named dataset "rows". */
  RG.rowsFor = function (payload, runIds) {
    var rows = [];
    payload.runs.forEach(function (r) {
      if (runIds && runIds.indexOf(r.id) < 0) return;
      for (var i = 0; i < r.x.length; i++) {
        var y = r.y[i];
        rows.push({ run: r.label, step: r.x[i], value: (typeof y === "number" && isFinite(y)) ? y : null });
      }
    });
    return rows;
  };

  RG.views = {};
  /* Charts subscribe to their data id; a data file loaded again (serve --watch)
     updates the rendered view in place, keeping zoom and selection. */
  RG.subscribers = {};
  RG.subscribe = function (id, fn) { (RG.subscribers[id] = RG.subscribers[id] || []).push(fn); };

  function renderChart(el) {
    if (el.dataset.rendered) return;
    el.dataset.rendered = "pending";
    var id = el.dataset.chart;
    var spec = JSON.parse(el.querySelector("script.rg-spec").textContent);
    var runIds = el.dataset.runs ? JSON.parse(el.dataset.runs) : null;
    RG.loadData(id, el.dataset.src, function (payload) {
      spec.datasets = { rows: RG.rowsFor(payload, runIds) };
      var target = el.querySelector(".rg-chart-view");
      window.vegaEmbed(target, spec, { actions: false, renderer: "canvas" }).then(function (res) {
        RG.views[el.id] = res.view;
        el.dataset.rendered = "done";
        RG.subscribe(id, function (p) { res.view.data("rows", RG.rowsFor(p, runIds)).runAsync(); });
      }).catch(function (err) {
        el.dataset.rendered = "error";
        target.textContent = "Chart failed to render: " + err;
        console.error(err);
      });
    });
  }

  function observeCharts() {
    var charts = document.querySelectorAll(".rg-chart");
    if (!("IntersectionObserver" in window)) { charts.forEach(renderChart); return; }
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { io.unobserve(e.target); renderChart(e.target); }
      });
    }, { rootMargin: "300px 0px" });
    charts.forEach(function (el) { io.observe(el); });
  }

  /* Sortable tables: click a header; numbers sort numerically, blanks last. */
  function sortKey(td) {
    var v = td.hasAttribute("data-sort") ? td.getAttribute("data-sort") : td.textContent.trim();
    return v;
  }
  function compare(a, b) {
    if (a === "" && b === "") return 0;
    if (a === "") return 1;
    if (b === "") return -1;
    var na = Number(a), nb = Number(b);
    if (!isNaN(na) && !isNaN(nb)) return na - nb;
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }
  function makeSortable(table) {
    var ths = table.querySelectorAll("thead th");
    ths.forEach(function (th, col) {
      th.tabIndex = 0;
      th.classList.add("rg-sortable");
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        ths.forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var a = sortKey(r1.cells[col]), b = sortKey(r2.cells[col]);
          if (a === "" || b === "") return compare(a, b);
          return dir * compare(a, b);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  }

  function start() {
    document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
    observeCharts();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

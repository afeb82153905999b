/* reportgen chart actions: PNG, SVG and CSV download buttons on every chart.

   Any element matching .rg-chart, .rg-vega or [data-chart-actions] gets a small
   toolbar; the buttons work once the chart is drawn, i.e. once
   window.RG.views[element.id] holds its Vega view (charts.js registers metric charts,
   reports.js report custom charts, panels.js media-panel charts via
   RG.chartActions.register). CSV exports the view's dataset named by the element's
   data-dataset attribute, else the first of "rows", "source_0", "data_0" that exists;
   metric charts export {run, <x axis>, value, smoothed (when on), min, max (when downsampled)}
   as currently shown.
   No dependencies, no network: downloads are data: and blob: URLs. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  RG.views = RG.views || {};
  var SELECTOR = ".rg-chart, .rg-vega, [data-chart-actions]";
  var STYLE = [
    ".rg-chart, .rg-vega, [data-chart-actions] { position: relative; }",
    ".rg-chart-actions { position: absolute; top: 6px; right: 8px; display: flex; gap: 4px; z-index: 2;",
    "  opacity: .55; transition: opacity .15s; }",
    ".rg-chart-actions:hover, .rg-chart-actions:focus-within, .rg-chart:hover .rg-chart-actions,",
    ".rg-vega:hover .rg-chart-actions { opacity: 1; }",
    ".rg-chart-actions button { font: 600 10px/1 system-ui, sans-serif; letter-spacing: .03em; padding: 3px 6px;",
    "  border: 1px solid #d0d6e0; border-radius: 4px; background: #fff; color: #3b5bdb; cursor: pointer; }",
    ".rg-chart-actions button:hover { background: #edf2ff; }",
    ".rg-chart-actions button:disabled { color: #9aa4b2; cursor: default; background: #fff; }"
  ].join("\n");

  function injectStyle() {
    if (document.getElementById("rg-chart-actions-style")) return;
    var s = document.createElement("style");
    s.id = "rg-chart-actions-style";
    s.textContent = STYLE;
    document.head.appendChild(s);
  }

  function baseName(el) {
    var name = el.getAttribute("data-key") || el.getAttribute("data-name") || el.id || "chart";
    return name.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "") || "chart";
  }

  function viewOf(el) { return (RG.views || {})[el.id]; }

  function save(url, filename) {
    var a = document.createElement("a");
    a.href = url;
    a.download = filename;
    a.style.display = "none";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  /* RFC 4180 quoting; text cells that a spreadsheet would run as a formula get a leading quote. */
  function csvCell(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") return isFinite(v) ? String(v) : "";
    if (typeof v === "object") v = JSON.stringify(v);
    v = String(v);
    if (RG.tableCsv.formula(v) && isNaN(Number(v))) v = "'" + v;  // (a number given as text stays as it is)
    return /[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }

  RG.toCSV = function (rows) {
    var cols = [];
    rows.forEach(function (r) {
      Object.keys(r).forEach(function (k) {  // __row: the row index custom charts add (storage/presets.py)
        if (k !== "__row" && cols.indexOf(k) < 0) cols.push(k);
      });
    });
    var lines = [cols.map(csvCell).join(",")];
    rows.forEach(function (r) { lines.push(cols.map(function (k) { return csvCell(r[k]); }).join(",")); });
    return lines.join("\n") + "\n";
  };

  function datasetRows(view, el) {
    var names = el.getAttribute("data-dataset") ? [el.getAttribute("data-dataset")] : ["rows", "source_0", "data_0"];
    for (var i = 0; i < names.length; i++) {
      var rows = null;
      try { rows = view.data(names[i]); } catch (err) { rows = null; }  // no such dataset
      if (rows) {  // names as logged (the view holds "constructor" + a zero-width space: theme-vega.js)
        if (RG.vegaShown) rows = RG.vegaShown(rows);
        return el.classList.contains("rg-chart") ? metricRows(rows, el) : rows;
      }
    }
    return [];
  }

  /* charts.js rows {run, x, y, s, lo, hi, bad} -> readable columns named after the x axis shown. */
  function metricRows(rows, el) {
    var st = RG.charts && RG.site && el._rg ? RG.charts.settingsOf(el._rg) : null;  // the panel's own settings
    var xo = st ? st.xo : { key: "x" };
    var smooth = st ? st.wi >= 0 : false;
    var xname = { _step: "step", _runtime: "runtime", _timestamp: "time" }[xo.key] || xo.key;
    var bands = rows.some(function (r) { return r.lo !== null && r.lo !== undefined; });
    return rows.map(function (r) {
      var o = { run: r.run };
      o[xname] = xo.key === "_timestamp" && r.x !== null ? window.RGFormat.iso(r.x) : r.x;
      o.value = r.bad || r.y;
      if (smooth) o.smoothed = r.s;
      if (bands) { o.min = r.lo; o.max = r.hi; }  // the bucket a kept point stands for (downsampled)
      return o;
    });
  }

  var ACTIONS = {
    png: function (view, el) {
      return view.toImageURL("png", 2).then(function (url) { save(url, baseName(el) + ".png"); });
    },
    svg: function (view, el) {
      return view.toImageURL("svg").then(function (url) { save(url, baseName(el) + ".svg"); });
    },
    csv: function (view, el) {
      var rows = datasetRows(view, el);
      var url = URL.createObjectURL(new Blob([RG.toCSV(rows)], { type: "text/csv;charset=utf-8" }));
      save(url, baseName(el) + ".csv");
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      return Promise.resolve();
    }
  };

  /* A metric chart drawn lite (assets/chart-lite.js) has no Vega view yet: its buttons work, they
     upgrade it first (RG.charts.upgrade) and act once its view is there. */
  function isLite(el) { return el.dataset.draw === "lite" && !!(RG.charts && RG.charts.upgrade); }
  function whenView(el) {
    var view = viewOf(el);
    if (view || !isLite(el)) return Promise.resolve(view);
    return new Promise(function (resolve) {  // charts.js marks the chart when its view is there, or failed
      var mo = new MutationObserver(function () {
        var v = viewOf(el);
        if (v || el.dataset.rendered === "error") { mo.disconnect(); resolve(v || null); }
      });
      mo.observe(el, { attributes: true, attributeFilter: ["data-draw", "data-rendered"] });
      RG.charts.upgrade(el);
    });
  }

  function sync(el, bar) {
    var ready = !!viewOf(el) || isLite(el);
    bar.querySelectorAll("button[data-action]").forEach(function (b) { b.disabled = !ready; });
  }

  function addToolbar(el) {
    if (!el.id || el.querySelector(":scope > .rg-chart-actions")) return;
    var bar = document.createElement("div");
    bar.className = "rg-chart-actions";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "download chart");
    ["png", "svg", "csv"].forEach(function (kind) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = kind.toUpperCase();
      b.title = "Download " + (kind === "csv" ? "the chart's data as CSV" : "the chart as " + kind.toUpperCase());
      b.setAttribute("data-action", kind);
      b.addEventListener("click", function () {
        whenView(el).then(function (view) {
          if (!view) return;
          return ACTIONS[kind](view, el);
        }).catch(function (err) { console.warn("reportgen: download failed: " + err); });
      });
      bar.appendChild(b);
    });
    el.insertBefore(bar, el.firstChild);
    var gear = el.querySelector(":scope > .rg-panel-gear");  // the panel's settings button (chart-panel.js)
    if (gear) bar.insertBefore(gear, bar.firstChild);
    sync(el, bar);
    new MutationObserver(function () { sync(el, bar); })
      .observe(el, { attributes: true, attributeFilter: ["data-rendered", "data-draw"] });
  }

  /* For charts drawn by other scripts (media panels): register the view and add the toolbar. */
  var seq = 0;
  RG.chartActions = {
    register: function (el, view, name) {
      if (!el.id) el.id = "rg-vega-" + (++seq);
      RG.views[el.id] = view;
      if (name && !el.getAttribute("data-name")) el.setAttribute("data-name", name);
      el.setAttribute("data-chart-actions", "");
      injectStyle();
      addToolbar(el);
      var bar = el.querySelector(":scope > .rg-chart-actions");
      if (bar) sync(el, bar);
    }
  };

  function scan(root) {
    if (root.matches && root.matches(SELECTOR)) addToolbar(root);
    if (root.querySelectorAll) root.querySelectorAll(SELECTOR).forEach(addToolbar);
  }

  function start() {
    injectStyle();
    scan(document);
    new MutationObserver(function (records) {
      records.forEach(function (r) { r.addedNodes.forEach(function (n) { if (n.nodeType === 1) scan(n); }); });
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* Charts in the page's theme: loaded right after the Vega bundle, it wraps window.vegaEmbed so
   every chart (metric charts, media panels, reports, sweep pages) merges RG.theme.vegaConfig()
   into its spec's config (the theme's colours win; light mode's config is empty, so specs draw as
   built), and redraws the charts on `rg:theme`. It also gives Vega only strings it can hold (see
   vegaSafe below). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var orig = window.vegaEmbed;
  if (!orig || orig._rgThemed) return;

  function merge(base, over) {
    var out = {};
    [base, over].forEach(function (o) {
      Object.keys(o || {}).forEach(function (k) {
        var v = o[k];
        out[k] = v && typeof v === "object" && !Array.isArray(v) && out[k] && typeof out[k] === "object" ? merge(out[k], v) : v;
      });
    });
    return out;
  }
  /* Vega keeps names in plain objects: a string in a spec that is the name of a property of
     Object.prototype ("toString", "constructor", "hasOwnProperty", "__proto__", ...) as a title, a
     field, a value or a category (a metric key, a table column, a config value, all logged by
     anyone) made Vega throw ("Operator not defined: undefined") and the chart stay empty. Every
     such string, key or value, data included, gets a zero-width space appended (so does one that
     already ends so: "constructor" + ZWSP logged becomes + ZWSP ZWSP, and RG.vegaShown gives back
     exactly what was logged). Copy on write: the caller's objects are never changed.
     What a reader sees or takes away shows the names as logged: legend and axis labels (a
     labelExpr where the spec has none), tooltips, and the CSV download (chart-actions.js) drop
     the mark; titles keep it, where it is invisible. */
  var NAMES = Object.getOwnPropertyNames(Object.prototype).filter(function (k) { return /^\w+$/.test(k); });
  var MARKED = new RegExp("^(?:" + NAMES.join("|") + ")\u200b*$");
  function safeText(s) { return MARKED.test(s) ? s + "\u200b" : s; }
  function shownText(s) { return MARKED.test(s) && s.charAt(s.length - 1) === "\u200b" ? s.slice(0, -1) : s; }
  /* the label as logged, in a Vega expression (the names are \w+: no escaping needed) */
  var LABEL = "test(/^(?:" + NAMES.join("|") + ")\\u200b+$/, datum.label) ? slice(datum.label, 0, -1) : datum.label";
  function vegaShown(v) {
    if (typeof v === "string") return shownText(v);
    if (Array.isArray(v)) return v.map(vegaShown);
    var proto = v && typeof v === "object" ? Object.getPrototypeOf(v) : undefined;
    if (proto !== Object.prototype && proto !== null) return v;
    var out = Object.create(null);  // a key "__proto__" is a key
    Object.keys(v).forEach(function (k) { out[shownText(k)] = vegaShown(v[k]); });
    return out;
  }
  RG.vegaShown = vegaShown;
  function escapeHTML(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;"); }  // vega-tooltip's own
  function vegaSafe(v) {
    if (typeof v === "string") return safeText(v);
    if (!v || typeof v !== "object") return v;
    var out = v, i, x;
    if (Array.isArray(v)) {
      for (i = 0; i < v.length; i++) {
        x = vegaSafe(v[i]);
        if (x !== v[i]) { if (out === v) out = v.slice(); out[i] = x; }
      }
      return out;
    }
    var proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v;  // a Date, a typed array: as given
    var keys = Object.keys(v);
    for (i = 0; i < keys.length; i++) {
      var k = keys[i], sk = safeText(k);
      x = vegaSafe(v[k]);
      if (out === v && sk === k && x === v[k]) continue;
      if (out === v) {  // the first change: the keys before it, as they were
        out = {};
        for (var j = 0; j < i; j++) out[keys[j]] = v[keys[j]];
      }
      out[sk] = x;
    }
    return out;
  }
  RG.vegaSafe = vegaSafe;
  /* Legends of a spec vegaSafe changed show the labels as logged (Vega-Lite has no legend
     labelExpr in its config: each legend of a field gets one, unless it has its own). */
  var LEGEND = ["color", "fill", "stroke", "shape", "size", "opacity", "fillOpacity", "strokeOpacity",
                "strokeWidth", "strokeDash", "angle"];
  function plainObj(v) { return !!v && typeof v === "object" && !Array.isArray(v); }
  function labelled(spec) {
    if (!plainObj(spec)) return spec;
    var out = spec;
    function set(k, v) {
      if (out === spec) { out = {}; Object.keys(spec).forEach(function (x) { out[x] = spec[x]; }); }
      out[k] = v;
    }
    if (plainObj(spec.encoding)) {
      var enc = spec.encoding, encOut = enc;
      LEGEND.forEach(function (ch) {
        var d = enc[ch];
        if (!plainObj(d) || !d.field || d.legend === null || (plainObj(d.legend) && d.legend.labelExpr !== undefined)) return;
        var nd = {};
        Object.keys(d).forEach(function (x) { nd[x] = d[x]; });
        nd.legend = {};
        Object.keys(plainObj(d.legend) ? d.legend : {}).forEach(function (x) { nd.legend[x] = d.legend[x]; });
        nd.legend.labelExpr = LABEL;
        if (encOut === enc) { encOut = {}; Object.keys(enc).forEach(function (x) { encOut[x] = enc[x]; }); }
        encOut[ch] = nd;
      });
      if (encOut !== enc) set("encoding", encOut);
    }
    ["layer", "concat", "hconcat", "vconcat"].forEach(function (k) {
      if (Array.isArray(spec[k])) {
        var parts = spec[k].map(labelled);
        if (parts.some(function (p, i) { return p !== spec[k][i]; })) set(k, parts);
      }
    });
    if (plainObj(spec.spec)) { var inner = labelled(spec.spec); if (inner !== spec.spec) set("spec", inner); }
    return out;
  }
  /* A tooltip's HTML as vega-tooltip's own formatValue makes it (a title, then a table of the other
     keys), but for "image": vega-tooltip makes that <img src=...>, so a logged chart whose tooltip
     had one (a field titled "image", {"content": "data"} over a column "image", a tooltip
     expression) made the page load the URL from the internet as a reader pointed at a mark. It is
     a row of the table here, as text. ``html`` is the handler's sanitize. */
  function tooltipHTML(value, html, maxDepth) {
    function json(v) {  // vega-tooltip's stringify: nesting beyond maxDepth and cycles as text
      var stack = [];
      return JSON.stringify(v, function (k, x) {
        if (typeof x !== "object" || x === null) return x;
        stack.length = stack.indexOf(this) + 1;
        if (stack.length > maxDepth) return "[Object]";
        if (stack.indexOf(x) >= 0) return "[Circular]";
        stack.push(x);
        return x;
      });
    }
    if (Array.isArray(value)) {
      return "[" + value.map(function (v) { return html(typeof v === "string" ? v : json(v)); }).join(", ") + "]";
    }
    if (!value || typeof value !== "object") return html(value);
    var out = value.title ? "<h2>" + html(value.title) + "</h2>" : "", rows = "";
    Object.keys(value).forEach(function (k) {
      var v = value[k];
      if (k === "title" || v === undefined) return;
      if (v && typeof v === "object") v = json(v);
      rows += '<tr><td class="key">' + html(k) + '</td><td class="value">' + html(v) + "</td></tr>";
    });
    return out + (rows ? "<table>" + rows + "</table>" : "") || "{}";
  }
  var themed = function (target, spec, given) {
    var el = typeof target === "string" ? document.querySelector(target) : target;
    if (el) el._rgEmbed = { spec: spec, opts: given };  // for redrawing charts nobody else redraws
    var safe = vegaSafe(spec), marked = safe !== spec;  // marked: some name got a zero-width space
    spec = marked ? labelled(safe) : safe;
    var cfg = RG.theme ? RG.theme.vegaConfig() : {};
    if (spec && typeof spec === "object" && (marked || Object.keys(cfg).length)) {
      // axis labels as logged (a spec's own labelExpr wins); the theme's colours win over a spec's
      // own (light) ones; everything else in the spec stays
      var themedSpec = {};
      Object.keys(spec).forEach(function (k) { themedSpec[k] = spec[k]; });
      themedSpec.config = merge(marked ? merge({ axis: { labelExpr: LABEL } }, spec.config || {}) : spec.config || {}, cfg);
      spec = themedSpec;
    }
    var opts = given;
    if (!given || given.tooltip === undefined || given.tooltip === true) {  // tooltips show names as logged
      opts = {};
      Object.keys(given || {}).forEach(function (k) { opts[k] = given[k]; });
      opts.tooltip = { sanitize: function (v) { return escapeHTML(shownText(String(v))); }, formatTooltip: tooltipHTML };
    }
    return orig(target, spec, opts);
  };
  Object.keys(orig).forEach(function (k) { themed[k] = orig[k]; });
  themed._rgThemed = true;
  window.vegaEmbed = themed;

  window.addEventListener("rg:theme", function () {
    // metric charts: charts.js redraws them from scratch
    if (RG.charts && RG.charts.reset) document.querySelectorAll(".rg-chart").forEach(function (c) { RG.charts.reset(c); });
    // media panels (heatmaps, logged Vega charts): panels.js keeps how to draw each again
    document.querySelectorAll(".rgp-panel [data-rendered='done']").forEach(function (t) { if (t._rgpRedraw) t._rgpRedraw(); });
    // sweep pages: their selectors redraw every chart (brushing state is rebuilt by sweep.js)
    ["rg-sweep-metric", "rg-sweep-x"].forEach(function (id) {
      var s = document.getElementById(id);
      if (s) s.dispatchEvent(new Event("change"));
    });
    // report charts: embedded again with the same spec, and the download buttons follow the new view
    document.querySelectorAll(".rg-vega[data-rendered='done']").forEach(function (el) {
      var t = el.querySelector(".rg-chart-view");
      if (!t || !t._rgEmbed) return;
      themed(t, t._rgEmbed.spec, t._rgEmbed.opts).then(function (res) {
        if (RG.views && RG.views[el.id]) { RG.views[el.id].finalize(); RG.views[el.id] = res.view; }
      });
    });
  });
})();

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
     such string, key or value, data included, gets a zero-width space appended: the same text on
     the chart. Copy on write: the caller's objects are never changed. */
  var CLASH = Object.create(null);
  Object.getOwnPropertyNames(Object.prototype).forEach(function (k) { CLASH[k] = true; });
  function safeText(s) { return CLASH[s] === true ? s + "\u200b" : s; }
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
  var themed = function (target, spec, given) {
    var el = typeof target === "string" ? document.querySelector(target) : target;
    if (el) el._rgEmbed = { spec: spec, opts: given };  // for redrawing charts nobody else redraws
    spec = vegaSafe(spec);
    var cfg = RG.theme ? RG.theme.vegaConfig() : {};
    if (spec && typeof spec === "object" && Object.keys(cfg).length) {
      // the theme's colours win over a spec's own (light) ones; everything else in the spec stays
      var themedSpec = {};
      Object.keys(spec).forEach(function (k) { themedSpec[k] = spec[k]; });
      themedSpec.config = merge(spec.config || {}, cfg);
      spec = themedSpec;
    }
    return orig(target, spec, given);
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

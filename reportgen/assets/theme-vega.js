/* Charts in the page's theme: loaded right after the Vega bundle, it wraps window.vegaEmbed so
   every chart (metric charts, media panels, reports, sweep pages) merges RG.theme.vegaConfig()
   into its spec's config (the theme's colours win; light mode's config is empty, so specs draw as
   built), and redraws the charts on `rg:theme`. */
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
  var themed = function (target, spec, given) {
    var el = typeof target === "string" ? document.querySelector(target) : target;
    if (el) el._rgEmbed = { spec: spec, opts: given };  // for redrawing charts nobody else redraws
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

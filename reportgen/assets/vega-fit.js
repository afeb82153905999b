/* reportgen: a logged Vega-Lite chart (custom charts from presets such as pr_curve, roc_curve,
   line_series, wandb's area-under-curve; matplotlib figures; logged specs) fitted to its panel
   (tested by tests/js/vega-fit.test.js). Without a width of its own, Vega-Lite draws a 300 px
   plot and puts the legend beside it: 420 px and more, wider than a phone. RGVegaFit.fit(spec,
   width) returns a copy that fills the panel's width instead (width "container", autosize fit-x),
   and, in a panel narrower than NARROW px, has its legends below the plot, in as many columns
   as fit. A spec that sets its own width, or its own legend orientation, keeps it (the panel
   then scrolls that chart sideways in its own box, never the page). Composed specs (concat,
   facet, repeat) are left as they are. RGVegaFit.plotly does the same for a plotly figure's layout. */
(function (root) {
  "use strict";
  var F = {};
  F.NARROW = 520;
  var COLUMN = 130;  // px per legend column under the plot (symbol, label up to LABEL px, gap)
  var LABEL = 110;

  function isObj(v) { return !!v && typeof v === "object" && !Array.isArray(v); }
  function copy(o) { var out = {}; Object.keys(o).forEach(function (k) { out[k] = o[k]; }); return out; }
  F.singleView = function (spec) {
    if (!isObj(spec) || !(spec.mark || Array.isArray(spec.layer))) return false;
    var enc = spec.encoding;
    return !(spec.facet || spec.repeat || spec.concat || spec.hconcat || spec.vconcat ||
             (isObj(enc) && (enc.facet || enc.row || enc.column)));
  };
  /* true when some encoding of the spec (or of a layer) places its legend itself */
  function ownLegendOrient(spec) {
    var found = false;
    (function walk(s) {
      if (!isObj(s) || found) return;
      if (isObj(s.encoding)) Object.keys(s.encoding).forEach(function (ch) {
        var e = s.encoding[ch];
        if (isObj(e) && isObj(e.legend) && e.legend.orient !== undefined) found = true;
      });
      if (Array.isArray(s.layer)) s.layer.forEach(walk);
    })(spec);
    return found;
  }
  /* A chart with a discrete y (a bar chart of categories) takes its height from a step per
     category; beside a "container" width Vega-Lite then warns on every draw ('Dropping "fit-y"
     because spec has discrete height'). Its height as a number: the step (20, Vega-Lite's
     default) times the categories of its inline data; null when that cannot be told. */
  function discreteHeight(spec) {
    var y = isObj(spec.encoding) ? spec.encoding.y : null;
    if (!isObj(y) || (y.type !== "nominal" && y.type !== "ordinal")) return undefined;  // not discrete
    if (typeof spec.height === "number") return undefined;
    var values = isObj(spec.data) ? spec.data.values : null;
    if (typeof y.field !== "string" || !Array.isArray(values) || spec.transform) return null;
    var seen = new Set();
    values.forEach(function (r) { if (isObj(r)) seen.add(r[y.field]); });
    var step = isObj(spec.height) && typeof spec.height.step === "number" ? spec.height.step : 20;
    return seen.size ? step * seen.size : null;
  }
  /* The longest title (or field name, Vega-Lite's default title) the spec's `ch` axes may show. */
  function longestTitle(spec, ch) {
    var n = 0;
    (function walk(s) {
      if (!isObj(s)) return;
      var e = isObj(s.encoding) ? s.encoding[ch] : null;
      if (isObj(e)) [e.title, e.field, isObj(e.axis) ? e.axis.title : null].forEach(function (t) {
        if (typeof t === "string") n = Math.max(n, t.length);
        else if (Array.isArray(t)) t.forEach(function (x) { if (typeof x === "string") n = Math.max(n, x.length); });
      });
      if (Array.isArray(s.layer)) s.layer.forEach(walk);
    })(spec);
    return n;
  }
  F.fit = function (spec, width) {
    if (!F.singleView(spec)) return spec;
    var out = copy(spec);
    var h = discreteHeight(out);
    if (out.width === undefined && h !== null) {
      out.width = "container";
      if (out.autosize === undefined) out.autosize = { type: "fit-x", contains: "padding" };
      if (h !== undefined) out.height = h;
    }
    var cfg = isObj(out.config) ? copy(out.config) : {};
    var legend = isObj(cfg.legend) ? copy(cfg.legend) : {};
    if (width > 0 && width < F.NARROW && legend.orient === undefined && !ownLegendOrient(out)) {
      legend.orient = "bottom";
      legend.direction = legend.direction || "horizontal";
      if (legend.columns === undefined) legend.columns = Math.max(1, Math.floor((width - 20) / COLUMN));
      if (legend.labelLimit === undefined) legend.labelLimit = LABEL;
      cfg.legend = legend;
      out.config = cfg;
    }
    // a long title (up to 256 characters reach the page) ends in an ellipsis at the panel's edge
    // instead of widening the chart beyond it (a chart with a width of its own keeps its title)
    var title = isObj(cfg.title) ? copy(cfg.title) : {};
    if (width > 0 && out.title && out.width === "container" && title.limit === undefined) {
      title.limit = Math.max(60, width - 24);
      cfg.title = title;
      out.config = cfg;
    }
    // a long axis title (up to 256 characters reach the page: vegaclean.TEXT_CHARS) ends in an
    // ellipsis too; unlimited, fit-x shrank the plot to nothing beside a title wider than the panel
    if (width > 0 && out.width === "container") {
      [["axisX", width - 60, "x"], ["axisY", 200, "y"]].forEach(function (a) {
        var ax = isObj(cfg[a[0]]) ? copy(cfg[a[0]]) : {};
        if (ax.titleLimit !== undefined || (isObj(cfg.axis) && cfg.axis.titleLimit !== undefined)) return;
        if (longestTitle(out, a[2]) <= 30) return;  // a usual title: the spec is left as it is
        ax.titleLimit = Math.max(60, a[1]);
        cfg[a[0]] = ax;
        out.config = cfg;
      });
    }
    return out;
  };
  /* A plotly figure in a phone-wide panel: plotly's default margins (80 px left and right, 100
     on top) left a 170 px plot; without margins or a legend placement of its own, the figure gets
     narrow margins and its legend below the plot. */
  F.plotly = function (layout, width) {
    layout = isObj(layout) ? layout : {};
    if (!(width > 0 && width < F.NARROW)) return layout;
    var out = copy(layout);
    if (out.margin === undefined) out.margin = { l: 48, r: 16, t: out.title ? 48 : 24, b: 40 };
    if (out.legend === undefined) out.legend = { orientation: "h", y: -0.25 };
    return out;
  };
  root.RGVegaFit = F;
  if (typeof module !== "undefined" && module.exports) module.exports = F;
})(typeof window !== "undefined" ? window : globalThis);

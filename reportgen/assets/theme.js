/* reportgen dark mode. Loaded in <head> so the page never flashes the wrong theme.
   The theme follows the system's prefers-color-scheme until the reader picks one with the header
   toggle (or the `d` shortcut); the pick is kept in localStorage ("rg-theme"). The theme is
   document.documentElement.dataset.theme = "light" | "dark"; a change dispatches the window event
   `rg:theme` (detail: {theme}). RG.theme.vegaConfig() is the Vega config every chart merges in
   (assets/theme-vega.js does that for every vegaEmbed call). See docs/site.md. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var KEY = "rg-theme";
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function stored() {
    try { var v = window.localStorage.getItem(KEY); return v === "dark" || v === "light" ? v : null; }
    catch (e) { return null; }  // storage switched off: follow the system
  }
  function system() { return media && media.matches ? "dark" : "light"; }
  function apply(theme, announce) {
    var root = document.documentElement;
    if (root.dataset.theme === theme) return;
    root.dataset.theme = theme;
    root.style.colorScheme = theme;  // native controls (scrollbars, selects, range inputs) follow
    var btn = document.getElementById("rg-theme-toggle");
    if (btn) sync(btn);
    if (announce) window.dispatchEvent(new CustomEvent("rg:theme", { detail: { theme: theme } }));
  }
  function sync(btn) {
    var dark = document.documentElement.dataset.theme === "dark";
    btn.setAttribute("aria-pressed", dark ? "true" : "false");
    btn.textContent = dark ? "☀" : "☾";
    btn.title = dark ? "Switch to light mode (d)" : "Switch to dark mode (d)";
  }

  var DARK = {
    background: "transparent",
    axis: { domainColor: "#5c6577", gridColor: "#2c3240", tickColor: "#5c6577", labelColor: "#b7beca", titleColor: "#d5dae3" },
    legend: { labelColor: "#c5cbd6", titleColor: "#d5dae3" },
    title: { color: "#dfe3ea", subtitleColor: "#b7beca" },
    header: { labelColor: "#c5cbd6", titleColor: "#d5dae3" },
    view: { stroke: "#2c3240" },
    text: { color: "#dfe3ea" },
    // sequential colours that stay visible on the dark panel (the default blues start near-black)
    range: { ramp: { scheme: "viridis", extent: [0.3, 1] }, heatmap: { scheme: "viridis", extent: [0.3, 1] } }
  };

  /* Plotly figures in dark mode (panels.js draws each through RG.theme.plotlyLayout and again on
     `rg:theme`). Decision: a figure's template (plotly.py writes its default "plotly" template into
     every figure: a light-blue plot, dark-blue text, white grid) holds defaults only, so dark mode
     puts its own text, grid and axis-line colours over the template's and keeps every colour the
     figure's layout sets itself (traces, a font colour, an annotation) as logged. Backgrounds are
     the one exception: a paper, plot or legend background that is unset or light (white, as
     matplotlib conversions and `paper_bgcolor="white"` set it) becomes transparent, so the dark
     panel shows through; a dark or coloured background chosen by the user stays. */
  var CLEAR = "rgba(0,0,0,0)";
  var AXIS = { gridcolor: "#2c3240", linecolor: "#5c6577", zerolinecolor: "#3a4356", tickcolor: "#5c6577" };
  var PLOTLY_DARK = {
    font: { color: "#dfe3ea" }, paper_bgcolor: CLEAR, plot_bgcolor: CLEAR, xaxis: AXIS, yaxis: AXIS,
    scene: { xaxis: AXIS, yaxis: AXIS, zaxis: AXIS }, polar: { bgcolor: CLEAR, angularaxis: AXIS, radialaxis: AXIS },
    ternary: { bgcolor: CLEAR, aaxis: AXIS, baxis: AXIS, caxis: AXIS }, geo: { bgcolor: CLEAR },
    legend: { bgcolor: CLEAR }, hoverlabel: { bordercolor: "#5c6577" }
  };
  var probe = null;
  function isLight(color) {  // a colour as the browser reads it: light when its luminance is high
    if (typeof color !== "string") return false;
    probe = probe || document.createElement("canvas").getContext("2d");
    probe.fillStyle = "#010203";
    probe.fillStyle = color;
    var m = /^#(..)(..)(..)$/.exec(probe.fillStyle), rgb;
    if (m) rgb = [m[1], m[2], m[3]].map(function (h) { return parseInt(h, 16); });
    else {
      var n = (probe.fillStyle.match(/[\d.]+/g) || []).map(Number);
      if (n.length < 4 || n[3] < 0.3) return false;  // see-through: leave it
      rgb = n.slice(0, 3);
    }
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] > 190;
  }
  /* top's settings over base's, nested objects merged (plain {}: plotly.js wants Object.prototype;
     "__proto__", no plotly attribute, is left out so it cannot become the copy's prototype) */
  function over(base, top) {
    var out = {};
    [base, top].forEach(function (o) {
      Object.keys(o).forEach(function (k) {
        if (k === "__proto__") return;
        var b = out[k], t = o[k];
        out[k] = o === top && b && t && typeof b === "object" && typeof t === "object" && !Array.isArray(t) ? over(b, t) : t;
      });
    });
    return out;
  }
  function plotlyLayout(layout) {
    if (RG.theme.get() !== "dark" || !layout || typeof layout !== "object") return layout;
    var tpl = layout.template && typeof layout.template === "object" ? layout.template : {};
    var own = {};
    ["paper_bgcolor", "plot_bgcolor"].forEach(function (k) { if (isLight(layout[k])) own[k] = CLEAR; });
    if (layout.legend && typeof layout.legend === "object" && isLight(layout.legend.bgcolor)) own.legend = { bgcolor: CLEAR };
    own.template = { data: tpl.data || {}, layout: over(tpl.layout || {}, PLOTLY_DARK) };
    return over(layout, own);
  }

  RG.theme = {
    plotlyLayout: plotlyLayout,
    get: function () { return document.documentElement.dataset.theme || "light"; },
    /* set("dark"|"light"): the reader's choice, remembered; set(null): follow the system again */
    set: function (theme) {
      try {
        if (theme) window.localStorage.setItem(KEY, theme); else window.localStorage.removeItem(KEY);
      } catch (e) { /* not remembered, still applied */ }
      apply(theme || system(), true);
    },
    toggle: function () { RG.theme.set(RG.theme.get() === "dark" ? "light" : "dark"); },
    vegaConfig: function () {
      return RG.theme.get() === "dark" ? JSON.parse(JSON.stringify(DARK)) : {};
    }
  };

  apply(stored() || system(), false);
  if (media) {
    var onSystem = function () { if (!stored()) apply(system(), true); };
    if (media.addEventListener) media.addEventListener("change", onSystem);
    else if (media.addListener) media.addListener(onSystem);
  }
  function start() {
    var btn = document.getElementById("rg-theme-toggle");
    if (!btn) return;
    sync(btn);
    btn.addEventListener("click", RG.theme.toggle);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

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

  RG.theme = {
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

/* Panel size and full screen, for metric charts (.rg-chart) and media panels (.rgp-panel).
   Each gets two small buttons: the size (S → M → L: one grid column, two, the whole row) and full
   screen (an overlay over the page; Esc or the button closes it). After either, the window event
   `rg:panel-resize` (detail: {el}) is dispatched so charts draw again at their new width
   (charts.js listens; media panels' Vega charts redraw here). See docs/panels.md. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var SIZES = ["s", "m", "l"], NAMES = { s: "small", m: "medium", l: "large" };

  function resized(el) {
    window.dispatchEvent(new CustomEvent("rg:panel-resize", { detail: { el: el } }));
    // until charts.js redraws on rg:panel-resize itself (RG.charts.handlesResize), draw it afresh here
    if (el.classList.contains("rg-chart") && RG.charts && RG.charts.reset && !RG.charts.handlesResize) RG.charts.reset(el);
    el.querySelectorAll("[data-rendered='done']").forEach(function (t) { if (t._rgpRedraw) t._rgpRedraw(); });
  }

  function button(label, title, cls) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "rg-tool " + cls; b.textContent = label; b.title = title;
    b.setAttribute("aria-label", title);
    return b;
  }

  var full = null;
  function exitFull() {
    if (!full) return;
    var el = full;
    full = null;
    el.classList.remove("rg-fullscreen");
    document.body.classList.remove("rg-has-fullscreen");
    var b = el.querySelector(".rg-tool-full");
    if (b) { b.textContent = "⤢"; b.title = "Full screen"; b.setAttribute("aria-pressed", "false"); }
    resized(el);
  }
  function enterFull(el) {
    exitFull();
    full = el;
    el.classList.add("rg-fullscreen");
    document.body.classList.add("rg-has-fullscreen");
    var b = el.querySelector(".rg-tool-full");
    if (b) { b.textContent = "✕"; b.title = "Leave full screen (Esc)"; b.setAttribute("aria-pressed", "true"); }
    resized(el);
  }
  window.addEventListener("rg:escape", exitFull);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && full && !RG.shortcuts) exitFull(); });

  function setSize(el, size) {
    el.dataset.size = size;
    var b = el.querySelector(".rg-tool-size");
    if (b) { b.textContent = size.toUpperCase(); b.title = "Panel size: " + NAMES[size] + " (click for the next)"; }
    resized(el);
  }

  function addTools(el) {
    if (el.querySelector(".rg-panel-tools")) return;
    var bar = document.createElement("span");
    bar.className = "rg-panel-tools";
    var size = button("S", "Panel size: small (click for the next)", "rg-tool-size");
    var fs = button("⤢", "Full screen", "rg-tool-full");
    fs.setAttribute("aria-pressed", "false");
    size.addEventListener("click", function () {
      setSize(el, SIZES[(SIZES.indexOf(el.dataset.size || "s") + 1) % SIZES.length]);
    });
    fs.addEventListener("click", function () { if (full === el) exitFull(); else enterFull(el); });
    bar.appendChild(size); bar.appendChild(fs);
    var head = el.querySelector(".rgp-head");
    if (head) head.appendChild(bar);  // media panels: in the title row
    else el.insertBefore(bar, el.firstChild);  // metric charts: top left, above the chart
  }
  RG.panelTools = { setSize: setSize, enterFull: enterFull, exitFull: exitFull };

  function start() { document.querySelectorAll(".rg-chart, .rgp-panel").forEach(addTools); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

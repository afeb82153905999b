/* reportgen keyboard shortcuts, listed in an overlay under `?`:
     /  focus the panel search      s  smoothing on/off (the last non-zero value, at first 0.6)
     r  reset zoom (every chart)    d  dark mode on/off
     ?  this list                   Esc close an overlay (this list, a full-screen panel, an image)
   None fires while typing in an input, a select or a text area, or with Ctrl/Alt/Meta held.
   Reset zoom is the window event `rg:reset-zoom` (charts.js listens); see docs/site.md. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var KEYS = [
    ["/", "Search panels"], ["s", "Smoothing on / off"], ["r", "Reset zoom"],
    ["d", "Dark mode on / off"], ["?", "Show these shortcuts"], ["Esc", "Close an overlay"]
  ];
  var lastSmooth = null;  // until the reader smooths: 0.6, or the nearest step the site's slider has
  function defaultSmooth() {
    var best = null, bd = Infinity;
    ((RG.site && RG.site.weights) || []).forEach(function (w) {
      var d = Math.abs(w - 0.6);
      if (d < bd - 1e-9 || (Math.abs(d - bd) < 1e-9 && w > best)) { best = w; bd = d; }
    });
    return best === null ? 0.6 : best;
  }
  if (RG.onState) RG.onState(function (st) { if (st.smooth) lastSmooth = st.smooth; });

  function typing(t) {
    if (!t || !t.tagName) return false;
    var tag = t.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || t.isContentEditable;
  }

  var overlay = null;
  function closeHelp() { if (overlay) { overlay.remove(); overlay = null; } }
  function openHelp() {
    if (overlay) return;
    overlay = document.createElement("div");
    overlay.className = "rg-overlay rg-shortcuts";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-label", "keyboard shortcuts");
    var box = document.createElement("div");
    box.className = "rg-overlay-box";
    var h = document.createElement("h2");
    h.textContent = "Keyboard shortcuts";
    box.appendChild(h);
    var dl = document.createElement("dl");
    dl.className = "rg-keys";
    KEYS.forEach(function (k) {
      var dt = document.createElement("dt"), kbd = document.createElement("kbd"), dd = document.createElement("dd");
      kbd.textContent = k[0]; dt.appendChild(kbd); dd.textContent = k[1];
      dl.appendChild(dt); dl.appendChild(dd);
    });
    box.appendChild(dl);
    var close = document.createElement("button");
    close.type = "button"; close.className = "rg-btn"; close.textContent = "Close";
    close.addEventListener("click", closeHelp);
    box.appendChild(close);
    overlay.appendChild(box);
    overlay.addEventListener("click", function (e) { if (e.target === overlay) closeHelp(); });
    document.body.appendChild(overlay);
    close.focus();
  }

  var actions = {
    "?": function () { if (overlay) closeHelp(); else openHelp(); },
    "/": function () {
      var s = document.getElementById("rg-panel-search");
      if (!s) return false;
      s.focus(); s.select();
    },
    s: function () {
      if (!RG.setState || !document.getElementById("rg-smooth")) return false;
      if (RG.state.smooth) lastSmooth = RG.state.smooth;  // e.g. set by a shared link's hash
      RG.setState({ smooth: RG.state.smooth ? 0 : (lastSmooth || defaultSmooth()) });
    },
    r: function () {
      window.dispatchEvent(new CustomEvent("rg:reset-zoom"));
      // until charts.js resets on rg:reset-zoom itself (RG.charts.handlesResetZoom): its button does
      var b = document.getElementById("rg-reset");
      if (b && !(RG.charts && RG.charts.handlesResetZoom)) b.click();
    },
    d: function () { if (RG.theme) RG.theme.toggle(); else return false; },
    Escape: function () {
      if (overlay) { closeHelp(); return; }
      window.dispatchEvent(new CustomEvent("rg:escape"));  // full-screen panels close on it
      return false;  // let other handlers (the image viewer) see the key too
    }
  };
  RG.shortcuts = { keys: KEYS, open: openHelp, close: closeHelp };
  function start() {
    var b = document.getElementById("rg-shortcuts-help");
    if (b) b.addEventListener("click", openHelp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (e.key !== "Escape" && typing(e.target)) return;
    var fn = actions[e.key];
    if (!fn) return;
    if (fn() !== false) e.preventDefault();
  });
})();

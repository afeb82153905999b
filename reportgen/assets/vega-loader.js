/* reportgen: the Vega runtime (assets/vega-bundle.js, ~0.9 MB) is loaded when a chart is first
   drawn, not by every page at start. Until then window.vegaEmbed is a stand-in with the same
   call (target, spec, options) -> Promise: the first call adds the bundle's <script> once, and
   every call waits for it, then calls the real vegaEmbed the bundle defines. Pages without a
   chart never download, parse or run the bundle; pages with charts show their HTML, runs table
   and controls before Vega starts, and a served site lets Chromium reuse the bundle's compiled
   code from its cache (same URL on every page). Works from file:// (a classic script, as the
   data files). The bundle's URL is this tag's data-src (relative to the page, like every asset).
   RGVega.load() starts loading without drawing (returns the same promise). */
(function (root) {
  "use strict";
  if (root.vegaEmbed) return;  // the bundle is already there (a page that loads it itself)
  var me = document.currentScript;
  var src = (me && me.getAttribute("data-src")) || "assets/vega-bundle.js";
  var pending = null;

  function load() {
    if (pending) return pending;
    if (root.vegaEmbed && !root.vegaEmbed._rgWrapper) {  // a page that also has the bundle's own tag
      pending = Promise.resolve(root.vegaEmbed);  // (running it twice would redeclare its names)
      return pending;
    }
    pending = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      var before = root.vegaEmbed;  // the stand-in, or a wrapper around it (theme-vega.js)
      s.src = src;
      s.setAttribute("data-rg-added", "");  // added by a script: not part of the page's head (live-patch.js)
      s.onload = function () {
        var real = root.vegaEmbed;
        if (real && !real._rgWrapper) {
          root.vegaEmbed = before;  // keep the wrappers: they call the stand-in, which calls `real`
          resolve(real);
        } else reject(new Error("the Vega runtime " + src + " did not define vegaEmbed"));
      };
      s.onerror = function () {
        pending = null;  // a later chart tries again
        reject(new Error("could not load the Vega runtime " + src));
      };
      (document.head || document.documentElement).appendChild(s);
    });
    return pending;
  }

  function standIn(target, spec, options) {
    return load().then(function (embed) { return embed(target, spec, options); });
  }

  standIn._rgWrapper = true;  // wrappers (theme-vega.js) copy this mark: none of them is the runtime
  root.vegaEmbed = standIn;
  root.RGVega = { load: load, src: src };
})(window);

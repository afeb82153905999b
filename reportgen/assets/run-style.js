/* Run colours, pinned and hidden runs, chosen in the runs table and kept in the URL hash:
   colors=<file>:<rrggbb>,…  pin=<file>,…  hide=<file>,…
   RG.runColor(file): the chosen colour, else the colour the build gave the run (every chart and
   swatch reads it); RG.runPinned(file): drawn on top (last); RG.runHidden(file): left out of the
   charts (the table keeps the row, marked, so it can be shown again). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  function list() {
    return { def: [], raw: true,
             parse: function (v) { return v ? v.split(",").map(decodeURIComponent) : []; },
             format: function (v) { return v && v.length ? v.map(encodeURIComponent).join(",") : null; } };
  }
  RG.stateKey("colors", { def: {}, raw: true,
    parse: function (v) {
      var out = {};
      (v || "").split(",").forEach(function (part) {
        var i = part.lastIndexOf(":");
        if (i <= 0) return;
        var hex = part.slice(i + 1);
        if (/^[0-9a-fA-F]{6}$/.test(hex)) out[decodeURIComponent(part.slice(0, i))] = "#" + hex.toLowerCase();
      });
      return out;
    },
    format: function (v) {
      var keys = Object.keys(v || {});
      return keys.length ? keys.map(function (f) { return encodeURIComponent(f) + ":" + v[f].slice(1); }).join(",") : null;
    } });
  RG.stateKey("pin", list());
  RG.stateKey("hide", list());

  RG.runColor = function (file) {
    var own = Object.prototype.hasOwnProperty, cs = RG.state.colors;  // a run id may be "constructor"
    var c = cs && own.call(cs, file) ? cs[file] : null;
    return c || (RG.runsByFile && own.call(RG.runsByFile, file) ? RG.runsByFile[file].color : "#888888");
  };
  RG.runPinned = function (file) { return (RG.state.pin || []).indexOf(file) >= 0; };
  RG.runHidden = function (file) { return (RG.state.hide || []).indexOf(file) >= 0; };

  function toggle(key, file) {
    var cur = (RG.state[key] || []).slice(), i = cur.indexOf(file), patch = {};
    if (i >= 0) cur.splice(i, 1); else cur.push(file);
    patch[key] = cur;
    RG.setState(patch);
  }
  function setColor(file, hex) {
    var cur = JSON.parse(JSON.stringify(RG.state.colors || {}));
    if (!hex || hex === RG.runsByFile[file].color) delete cur[file]; else cur[file] = hex.toLowerCase();
    RG.setState({ colors: cur });
  }

  /* The name cell's tools: a colour swatch that opens a colour picker, pin and hide toggles. */
  RG.runStyleTools = function (td, r) {
    var pick = document.createElement("input");
    pick.type = "color"; pick.className = "rg-swatch rg-swatch-pick"; pick.value = RG.runColor(r.f);
    pick.title = "run colour (click to change)"; pick.setAttribute("aria-label", "colour of " + r.label);
    pick.style.cssText = "width:14px;height:14px;padding:0;border:0;vertical-align:middle;cursor:pointer;background:none";
    pick.addEventListener("change", function () { setColor(r.f, pick.value); });
    td.appendChild(pick);
    return function tools() {
      var span = document.createElement("span");
      span.className = "rg-run-tools";
      [["pin", "↑", "pin: draw on top"], ["hide", "⊘", "hide from the charts"]].forEach(function (t) {
        var b = document.createElement("button"), on = (RG.state[t[0]] || []).indexOf(r.f) >= 0;
        b.type = "button"; b.className = "rg-run-tool" + (on ? " rg-on" : ""); b.textContent = t[1];
        b.dataset.tool = t[0]; b.title = t[2]; b.setAttribute("aria-pressed", on ? "true" : "false");
        b.setAttribute("aria-label", t[2] + ": " + r.label);
        b.style.cssText = "border:0;background:none;cursor:pointer;padding:0 2px;font-size:11px;opacity:" + (on ? "1" : "0.35");
        b.addEventListener("click", function () { toggle(t[0], r.f); });
        span.appendChild(b);
      });
      return span;
    };
  };
})();

/* reportgen compare page: config differences (only keys whose values differ) of the selected runs. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var P = (RG.compare = {});
  var MISSING = "—";

  /* Keys whose values are not the same in every run (a key missing in some run differs). */
  P.diffKeys = function (configs) {
    var keys = {}, out = [];
    configs.forEach(function (c) { Object.keys(c).forEach(function (k) { keys[k] = true; }); });
    Object.keys(keys).sort().forEach(function (k) {
      var first = Object.prototype.hasOwnProperty.call(configs[0], k) ? configs[0][k] : MISSING;
      for (var i = 1; i < configs.length; i++) {
        var v = Object.prototype.hasOwnProperty.call(configs[i], k) ? configs[i][k] : MISSING;
        if (v !== first) { out.push(k); return; }
      }
    });
    return out;
  };

  function render() {
    var table = document.getElementById("rg-diff");
    var inline = document.getElementById("rg-configs");  // many runs: a data file (runs-data.js)
    var all = RG.loaded["table/configs"] || (inline ? JSON.parse(inline.textContent) : {});
    var sel = (RG.state.runs || []).filter(function (f) { return RG.runsByFile[f]; });
    document.getElementById("rg-compare-count").textContent = String(sel.length);
    var hint = document.getElementById("rg-compare-hint");
    table.textContent = "";
    if (sel.length < 2) {
      hint.textContent = "Tick two or more runs in the table below: their config differences and overlaid charts appear here.";
      return;
    }
    var configs = sel.map(function (f) { return all[f] || {}; });
    var keys = P.diffKeys(configs);
    hint.textContent = keys.length ? keys.length + " config key" + (keys.length === 1 ? "" : "s") + " differ" +
      (keys.length === 1 ? "s" : "") + " between the " + sel.length + " selected runs; overlaid charts below."
      : "The selected runs have identical configs; overlaid charts below.";
    if (!keys.length) return;
    var thead = document.createElement("thead"), tr = document.createElement("tr"), th = document.createElement("th");
    th.textContent = "config key"; tr.appendChild(th);
    sel.forEach(function (f) {
      var r = RG.runsByFile[f], h = document.createElement("th"), sw = document.createElement("span"), a = document.createElement("a");
      sw.className = "rg-swatch"; sw.style.background = r.color;
      a.textContent = r.label; a.href = r.url;
      h.appendChild(sw); h.appendChild(a); tr.appendChild(h);
    });
    thead.appendChild(tr); table.appendChild(thead);
    var tbody = document.createElement("tbody");
    keys.forEach(function (k) {
      var row = document.createElement("tr"), td = document.createElement("td");
      td.textContent = k; row.appendChild(td);
      configs.forEach(function (c) {
        var d = document.createElement("td");
        d.textContent = Object.prototype.hasOwnProperty.call(c, k) ? c[k] : MISSING;
        row.appendChild(d);
      });
      tbody.appendChild(row);
    });
    table.appendChild(tbody);
  }

  P.render = render;
  P.init = function () {
    if (!document.getElementById("rg-diff")) return;
    render();
    RG.onState(render);
  };
})();

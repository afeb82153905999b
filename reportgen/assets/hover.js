/* reportgen chart hover box: every shown run's value at the pointer's x (nearest point per
   run, binary search), drawn as HTML with textContent. Used by charts.js. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var H = (RG.hover = {});

  function nearest(list, x) {
    var lo = 0, hi = list.length - 1;
    if (hi < 0) return null;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid].x < x) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(list[lo - 1].x - x) <= Math.abs(list[lo].x - x)) lo -= 1;
    return list[lo];
  }
  function fmt(v) {
    return v === null || v === undefined ? "—" : window.RGFormat.number(v);  // assets/format.js
  }
  H.attach = function (ch) {
    var el = ch.el, view = ch.view, canvas = el.querySelector("canvas");
    if (!canvas || ch.hoverBound === canvas) return;
    ch.hoverBound = canvas;
    var tip = el.querySelector(".rg-tip");
    if (!tip) { tip = document.createElement("div"); tip.className = "rg-tip"; tip.hidden = true; el.appendChild(tip); }
    canvas.addEventListener("mousemove", function (e) {
      var v = ch.view, rows = ch.byRun;
      if (!v || !rows) return;
      var rect = canvas.getBoundingClientRect(), origin = v.origin();
      var px = e.clientX - rect.left - origin[0], py = e.clientY - rect.top - origin[1];
      if (px < 0 || py < 0 || px > v.width() || py > v.height()) { tip.hidden = true; return; }
      var xv = v.scale("x").invert(px), xo = RG.charts.xOption(ch.dx), temporal = xo.key === "_timestamp";
      xv = xv instanceof Date ? xv.getTime() : xv;
      tip.textContent = "";
      var head = document.createElement("div");
      head.className = "rg-tip-x";
      var hits = [];
      ch.labels.forEach(function (label, i) {
        var r = nearest(rows[label] || [], xv);
        if (r) hits.push({ label: label, color: ch.colors[i], r: r });
      });
      if (!hits.length) { tip.hidden = true; return; }
      var xr = hits[0].r.x;
      head.textContent = xo.label + " " + (temporal ? new Date(xr).toISOString().replace("T", " ").slice(0, 19) : fmt(xr));
      tip.appendChild(head);
      var smooth = RG.charts.weightIndex() >= 0;
      hits.sort(function (a, b) { return (b.r.s === null ? -Infinity : b.r.s) - (a.r.s === null ? -Infinity : a.r.s); });
      hits.slice(0, 12).forEach(function (h) {
        var line = document.createElement("div"), sw = document.createElement("span"), name = document.createElement("span"), val = document.createElement("b");
        sw.className = "rg-swatch"; sw.style.background = h.color;
        name.textContent = h.label + " ";
        val.textContent = h.r.bad ? h.r.bad : (smooth ? fmt(h.r.s) + " (raw " + fmt(h.r.y) + ")" : fmt(h.r.y));
        line.appendChild(sw); line.appendChild(name); line.appendChild(val);
        tip.appendChild(line);
      });
      if (hits.length > 12) { var more = document.createElement("div"); more.textContent = "… " + (hits.length - 12) + " more runs"; tip.appendChild(more); }
      tip.hidden = false;
      var box = el.getBoundingClientRect();
      var left = e.clientX - box.left + 14;
      if (left + tip.offsetWidth > box.width) left = e.clientX - box.left - tip.offsetWidth - 14;
      tip.style.left = Math.max(0, left) + "px";
      tip.style.top = (e.clientY - box.top + 10) + "px";
    });
    canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
  }
  H.index = function (ch, rows, runs) {
    var by = {};
    rows.forEach(function (r) { if (r.y !== null || r.bad) (by[r.run] = by[r.run] || []).push(r); });
    Object.keys(by).forEach(function (k) { by[k].sort(function (a, b) { return a.x - b.x; }); });
    ch.byRun = by;
    ch.labels = runs.map(function (f) { return RG.runsByFile[f].label; });
    ch.colors = runs.map(function (f) { return RG.runColor ? RG.runColor(f) : RG.runsByFile[f].color; });
  }

})();

/* reportgen chart hover: a crosshair at the pointer's x drawn on every chart of the page that uses
   the same x axis (synced), and, in the chart under the pointer, a box with every shown run's value
   at that x (nearest point per run, binary search), drawn as HTML with textContent. The run whose
   line is nearest the pointer is drawn again on top (the spec's `hot` layer). Used by charts.js. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var H = (RG.hover = {});
  var MAX_ROWS = 12;

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
  H.nearest = nearest;
  function fmt(v) {
    return v === null || v === undefined ? "—" : window.RGFormat.number(v);  // assets/format.js
  }
  function valueText(r, smooth) {
    if (r.bad) return r.bad;
    if (r.cut) return "≤ 0 (not drawn on a log scale)";
    return smooth ? fmt(r.s) + " (raw " + fmt(r.y) + ")" : fmt(r.y);
  }

  /* The vertical line of one chart at data value xv (hidden when xv is null or off its x range). */
  function cross(ch, xv) {
    var el = ch.el, canvas = el.querySelector("canvas");
    // a lite chart (assets/chart-lite.js) has no Vega view: its drawn plot box and x scale stand in
    var lite = !ch.view && ch.lite && ch.lite.geom, g = lite ? ch.lite.geom : null;
    var v = ch.view || (lite ? { scale: function () { return function (x) { return g.x(x) - g.left; }; },
                                 width: function () { return g.right - g.left; }, height: function () { return g.bottom - g.top; },
                                 origin: function () { return [g.left, g.top]; } } : null);
    var line = el.querySelector(":scope > .rg-cross");
    if (xv === null || !v || !canvas) { if (line) line.hidden = true; return; }
    var px = v.scale("x")(xv);
    if (!(px >= 0 && px <= v.width())) { if (line) line.hidden = true; return; }
    if (!line) {
      line = document.createElement("div");
      line.className = "rg-cross";
      line.setAttribute("aria-hidden", "true");
      line.style.cssText = "position:absolute;width:0;border-left:1px dashed #7a8599;pointer-events:none;z-index:1";
      el.appendChild(line);
    }
    var box = el.getBoundingClientRect(), rect = canvas.getBoundingClientRect(), o = v.origin();
    line.style.left = (rect.left - box.left + o[0] + px) + "px";
    line.style.top = (rect.top - box.top + o[1]) + "px";
    line.style.height = v.height() + "px";
    line.hidden = false;
    line.dataset.x = String(xv);
  }
  /* Every drawn chart on the same x axis as `from` gets the crosshair at xv (null: none). */
  H.sync = function (from, xv) {
    var xkey = from.st ? from.st.x : null;
    (RG.charts.all ? RG.charts.all() : []).forEach(function (el) {
      var ch = el._rg;
      if (!ch || !(ch.view || (ch.lite && ch.lite.geom))) return;
      cross(ch, xv !== null && ch.st && ch.st.x === xkey ? xv : null);
    });
  };
  function setHot(ch, label) {
    if (ch.hot === label || !ch.view) return;
    ch.hot = label;
    var safe = RG.vegaSafe || function (v) { return v; };  // the label as the view holds it (theme-vega.js)
    try { ch.view.signal("hot", safe(label)).runAsync(); } catch (e) { /* a spec without the hot layer */ }
  }

  H.attach = function (ch) {
    var el = ch.el, canvas = el.querySelector("canvas");
    if (!canvas || ch.hoverBound === canvas) return;
    ch.hoverBound = canvas;
    var tip = el.querySelector(".rg-tip");
    if (!tip) { tip = document.createElement("div"); tip.className = "rg-tip"; tip.hidden = true; el.appendChild(tip); }
    function hide() { tip.hidden = true; H.sync(ch, null); setHot(ch, null); }
    canvas.addEventListener("mousemove", function (e) {
      var v = ch.view, rows = ch.byRun;
      if (!v || !rows) return;
      var rect = canvas.getBoundingClientRect(), origin = v.origin();
      var px = e.clientX - rect.left - origin[0], py = e.clientY - rect.top - origin[1];
      if (px < 0 || py < 0 || px > v.width() || py > v.height()) { hide(); return; }
      var xv = v.scale("x").invert(px), yv = v.scale("y").invert(py);
      var xo = ch.st.xo, temporal = xo.key === "_timestamp", smooth = ch.st.wi >= 0;
      xv = xv instanceof Date ? xv.getTime() : xv;
      var hits = [];
      ch.labels.forEach(function (label, i) {
        var r = nearest(rows[label] || [], xv);
        if (r) hits.push({ label: label, color: ch.colors[i], r: r });
      });
      if (!hits.length) { hide(); return; }
      var xr = hits[0].r.x, best = null, bestD = Infinity;
      hits.forEach(function (h) {  // the line nearest the pointer is drawn on top
        var d = h.r.s === null ? Infinity : Math.abs(v.scale("y")(h.r.s) - v.scale("y")(yv));
        if (d < bestD) { bestD = d; best = h.label; }
      });
      setHot(ch, bestD < 40 ? best : null);
      H.sync(ch, xr);
      tip.textContent = "";
      var head = document.createElement("div");
      head.className = "rg-tip-x";
      head.textContent = xo.label + " " + (temporal ? window.RGFormat.iso(xr).replace("T", " ").slice(0, 19) : fmt(xr));
      tip.appendChild(head);
      var table = document.createElement("table");
      table.className = "rg-tip-table";
      hits.sort(function (a, b) { return (b.r.s === null ? -Infinity : b.r.s) - (a.r.s === null ? -Infinity : a.r.s); });
      hits.slice(0, MAX_ROWS).forEach(function (h) {
        var tr = document.createElement("tr"), c1 = document.createElement("td"), c2 = document.createElement("td");
        var sw = document.createElement("span"), val = document.createElement("b");
        tr.dataset.run = h.label;
        if (h.label === ch.hot) tr.className = "rg-tip-hot";
        sw.className = "rg-swatch"; sw.style.background = h.color;
        c1.appendChild(sw); c1.appendChild(document.createTextNode(h.label + " "));
        if (h.r.x !== xr) c1.appendChild(document.createTextNode("(at " + fmt(h.r.x) + ") "));
        val.textContent = valueText(h.r, smooth);
        c2.appendChild(val);
        tr.appendChild(c1); tr.appendChild(c2);
        table.appendChild(tr);
      });
      tip.appendChild(table);
      if (hits.length > MAX_ROWS) { var more = document.createElement("div"); more.textContent = "… " + (hits.length - MAX_ROWS) + " more runs"; tip.appendChild(more); }
      tip.hidden = false;
      var box = el.getBoundingClientRect();
      var left = e.clientX - box.left + 14;
      if (left + tip.offsetWidth > box.width) left = e.clientX - box.left - tip.offsetWidth - 14;
      tip.style.left = Math.max(0, left) + "px";
      tip.style.top = (e.clientY - box.top + 10) + "px";
    });
    canvas.addEventListener("mouseleave", hide);
  };
  /* Rows by series label, sorted by x; `series` = {labels, colors} in legend order (charts.js). */
  H.index = function (ch, rows, series) {
    var by = Object.create(null);  // run labels as keys (a run named "constructor" too)
    rows.forEach(function (r) { if (r.y !== null || r.bad || r.cut) (by[r.run] = by[r.run] || []).push(r); });
    Object.keys(by).forEach(function (k) { by[k].sort(function (a, b) { return a.x - b.x; }); });
    ch.byRun = by;
    ch.labels = series.labels;
    ch.colors = series.colors;
  };
})();

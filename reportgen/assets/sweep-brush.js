/* Brushable axes for the sweep page's parallel-coordinates chart (a Vega-Lite line chart whose x
   is a point scale of axes and y the position on each axis, 0..1). Drag along an axis to keep a
   range of it; click an axis to clear its range. A range is kept in the axis's data values, not in
   positions: values.range(axis, lo, hi) turns the positions brushed into one, values.place(axis,
   range) gives the positions it covers on the chart now ([lo, hi], or null); the boxes are drawn
   from them after every redraw (a new run widening an axis moves the box with its values, so the
   same runs stay kept). onChange({axis: range, ...}) gets the ranges after every change. Pointer
   events, so it works with a mouse, a pen or a finger. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var GRAB = 18;  // px either side of an axis that start a brush on it

  RG.sweepBrush = function (wrap, getView, onChange, values) {
    var brushes = {}, drag = null;
    var layer = document.createElement("div");
    layer.className = "rg-brush-layer";
    layer.style.cssText = "position:absolute;left:0;top:0;width:0;height:0;pointer-events:none";
    wrap.style.position = "relative";
    wrap.appendChild(layer);

    function geometry() {
      var v = getView(), drawn = v && v.container() && v.container().querySelector("canvas, svg");
      if (!v || !drawn) return null;
      var r = drawn.getBoundingClientRect(), w = wrap.getBoundingClientRect(), o = v.origin(), xs = v.scale("x");
      // an axis is drawn at the middle of its band (the segments' x is a band scale): x(axis) is its start
      var x = function (a) { return xs(a) + (xs.bandwidth ? xs.bandwidth() / 2 : 0); };
      return { v: v, x: x, y: v.scale("y"), left: r.left - w.left + o[0], top: r.top - w.top + o[1],
               cl: r.left + o[0], ct: r.top + o[1], axes: xs.domain() };
    }
    function draw() {
      layer.textContent = "";
      if (!Object.keys(brushes).length) return;  // nothing to place (and no layout to read)
      var g = geometry();
      if (!g) return;
      Object.keys(brushes).forEach(function (axis) {
        if (g.axes.indexOf(axis) < 0) return;
        // (the box being dragged where the pointer is; a range whose values are on no run now where it was brushed)
        var b = drag && drag.axis === axis && drag.z ? drag.z : values.place(axis, brushes[axis]) || brushes[axis].at;
        if (!b) return;
        var top = g.y(Math.max(b[0], b[1])), bottom = g.y(Math.min(b[0], b[1]));
        var box = document.createElement("div");
        box.className = "rg-brush";
        box.dataset.axis = axis;
        box.style.cssText = "position:absolute;width:14px;background:rgba(59,111,212,0.28);border:1px solid #3b6fd4;" +
          "border-radius:2px;left:" + (g.left + g.x(axis) - 7) + "px;top:" + (g.top + top) + "px;height:" +
          Math.max(2, bottom - top) + "px";
        layer.appendChild(box);
      });
    }
    function nearestAxis(g, px) {
      var best = null, dist = GRAB;
      g.axes.forEach(function (a) { var d = Math.abs(g.x(a) - px); if (d <= dist) { dist = d; best = a; } });
      return best;
    }
    function clampY(g, py) {
      var r = g.y.range(), lo = Math.min(r[0], r[1]), hi = Math.max(r[0], r[1]);
      return Math.max(lo, Math.min(hi, py));
    }
    function changed() {
      var out = {}, g = geometry();
      Object.keys(brushes).forEach(function (a) { if (!g || g.axes.indexOf(a) >= 0) out[a] = brushes[a]; });
      onChange(out);
    }
    wrap.addEventListener("pointerdown", function (e) {
      var g = geometry();
      if (!g) return;
      var py = e.clientY - g.ct, yr = g.y.range();
      if (py < Math.min(yr[0], yr[1]) - 8 || py > Math.max(yr[0], yr[1]) + 8) return;  // not on the plot
      var axis = nearestAxis(g, e.clientX - g.cl);
      if (axis === null) return;
      e.preventDefault();
      wrap.setPointerCapture(e.pointerId);
      drag = { axis: axis, y0: clampY(g, e.clientY - g.ct), moved: false };
    });
    wrap.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var g = geometry(), py = clampY(g, e.clientY - g.ct);
      if (Math.abs(py - drag.y0) < 3 && !drag.moved) return;
      drag.moved = true;
      drag.z = [g.y.invert(drag.y0), g.y.invert(py)];
      var r = values.range(drag.axis, Math.min(drag.z[0], drag.z[1]), Math.max(drag.z[0], drag.z[1]));
      r.at = drag.z;
      brushes[drag.axis] = r;
      draw();
      changed();
    });
    function end() {
      if (!drag) return;
      var moved = drag.moved;
      if (!moved) delete brushes[drag.axis];
      drag = null;
      draw();  // (a moved box: from its values now)
      if (!moved) changed();
    }
    wrap.addEventListener("pointerup", end);
    wrap.addEventListener("pointercancel", end);
    return {
      // the chart drawn again (another metric: its axis replaces the last one): the boxes placed again,
      // and the ranges applied those of the axes it has (a range on an axis no longer drawn stops
      // filtering, and filters again when its axis is back)
      // (told even with none left: the ranges of axes a live update dropped must stop filtering)
      redraw: function () { draw(); changed(); },
      // the chart resized: the boxes placed again on its axes
      place: draw,
      ranges: function () { return brushes; },
      clear: function () { brushes = {}; draw(); changed(); },
      // the axes named again ([[old, new or null], ...]: a live update numbered the fields again); the
      // chart is drawn again after it (redraw)
      rename: function (pairs) {
        var next = {};
        pairs.forEach(function (p) { if (p[1] && brushes[p[0]]) next[p[1]] = brushes[p[0]]; });
        brushes = next;
      }
    };
  };
})();

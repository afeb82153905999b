/* reportgen view state: selected runs, x axis, smoothing, log scale, kept in the URL hash
   (#runs=a,b&x=_step&smooth=0.9&log=1) so a view can be shared as a link. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var listeners = [];
  RG.state = { runs: null, x: "_step", smooth: 0, log: false };

  function parse(hash) {
    var st = { runs: null, x: "_step", smooth: 0, log: false };
    (hash || "").replace(/^#/, "").split("&").forEach(function (part) {
      if (!part) return;
      var i = part.indexOf("=");
      var k = i < 0 ? part : part.slice(0, i);
      var v = i < 0 ? "" : decodeURIComponent(part.slice(i + 1));
      if (k === "runs") st.runs = v ? v.split(",") : [];
      else if (k === "x" && v) st.x = v;
      else if (k === "smooth") st.smooth = Number(v) || 0;
      else if (k === "log") st.log = v === "1";
    });
    return st;
  }

  function format(st) {
    var parts = [];
    if (st.runs !== null) parts.push("runs=" + st.runs.map(encodeURIComponent).join(","));
    if (st.x && st.x !== "_step") parts.push("x=" + encodeURIComponent(st.x));
    if (st.smooth) parts.push("smooth=" + st.smooth);
    if (st.log) parts.push("log=1");
    return parts.length ? "#" + parts.join("&") : "";
  }
  RG.parseHash = parse;
  RG.formatHash = format;

  RG.onState = function (fn) { listeners.push(fn); };
  /* Merge `patch` into the state, write the hash (without a history entry) and notify. */
  RG.setState = function (patch, silent) {
    var before = JSON.stringify(RG.state);
    Object.keys(patch).forEach(function (k) { RG.state[k] = patch[k]; });
    var hash = format(RG.state);
    if (location.hash !== hash) {
      history.replaceState(null, "", hash || location.pathname + location.search);
    }
    if (!silent && JSON.stringify(RG.state) !== before) {
      listeners.forEach(function (fn) { fn(RG.state); });
    }
  };
  RG.loadStateFromHash = function () {
    var st = parse(location.hash);
    Object.keys(st).forEach(function (k) { RG.state[k] = st[k]; });
  };
  window.addEventListener("hashchange", function () {
    var st = parse(location.hash);
    RG.setState(st);
  });
})();

/* reportgen view state, kept in the URL hash (#runs=a,b&x=_step&smooth=0.9&log=1) so a view can
   be shared as a link. Keys are registered: a feature module adds its own with
   RG.stateKey(name, {def, parse, format}) (before RG.loadStateFromHash runs, i.e. at script load),
   so each feature owns its keys. parse(string) -> value; format(value) -> string, or null to leave
   the key out of the hash (its default). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var listeners = [];
  var keys = [];  // registration order = order in the hash
  var specs = {};
  RG.state = {};

  function copy(v) { return v && typeof v === "object" ? JSON.parse(JSON.stringify(v)) : v; }

  RG.stateKey = function (name, spec) {
    if (!specs[name]) keys.push(name);
    specs[name] = spec;
    if (!Object.prototype.hasOwnProperty.call(RG.state, name)) RG.state[name] = copy(spec.def);
  };

  RG.stateKey("runs", {
    def: null,
    parse: function (v) { return v ? v.split(",").map(decodeURIComponent) : []; },
    format: function (v) { return v === null ? null : v.map(encodeURIComponent).join(","); },
    raw: true  // parse/format decode and encode each name themselves (a "," inside a name stays one)
  });
  RG.stateKey("x", {
    def: "_step",
    parse: function (v) { return v || "_step"; },
    format: function (v) { return v && v !== "_step" ? v : null; }
  });
  RG.stateKey("smooth", {
    def: 0,
    parse: function (v) { return Number(v) || 0; },
    format: function (v) { return v ? String(v) : null; }
  });
  RG.stateKey("log", {
    def: false,
    parse: function (v) { return v === "1"; },
    format: function (v) { return v ? "1" : null; }
  });

  function parse(hash) {
    var st = {};
    keys.forEach(function (k) { st[k] = copy(specs[k].def); });
    (hash || "").replace(/^#/, "").split("&").forEach(function (part) {
      if (!part) return;
      var i = part.indexOf("=");
      var k = i < 0 ? part : part.slice(0, i);
      if (!Object.prototype.hasOwnProperty.call(specs, k)) return;
      var spec = specs[k];
      var v = i < 0 ? "" : part.slice(i + 1);
      try {
        st[k] = spec.parse(spec.raw ? v : decodeURIComponent(v));
      } catch (e) {
        st[k] = copy(spec.def);  // a malformed value in a shared link: the default, not a crash
      }
    });
    return st;
  }

  function format(st) {
    var parts = [];
    keys.forEach(function (k) {
      if (!Object.prototype.hasOwnProperty.call(st, k)) return;
      var spec = specs[k], v = spec.format(st[k]);
      if (v === null || v === undefined) return;
      parts.push(k + "=" + (spec.raw ? v : encodeURIComponent(v)));
    });
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

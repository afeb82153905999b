/* reportgen data scripts (JSONP: file:// forbids fetch). A data file is a script calling
   <channel>.receive(id, payload); load(id, src, cb) adds its <script> once and calls cb(payload)
   when it ran, or cb(null, error) when it could not be loaded, so nothing waits forever.
   Used by the charts (RG.loadData) and the media panels (RGPanels.load). */
(function (root) {
  "use strict";
  function channel(doc, loaded) {
    var waiting = {};
    loaded = loaded || {};
    function done(id, payload, error) {
      var cbs = waiting[id] || [];
      delete waiting[id];
      cbs.forEach(function (cb) { cb(payload, error); });
    }
    return {
      loaded: loaded,
      has: function (id) { return Object.prototype.hasOwnProperty.call(loaded, id); },
      receive: function (id, payload) { loaded[id] = payload; done(id, payload, null); },
      load: function (id, src, cb) {
        if (Object.prototype.hasOwnProperty.call(loaded, id)) { cb(loaded[id], null); return; }
        if (waiting[id]) { waiting[id].push(cb); return; }
        waiting[id] = [cb];
        var d = doc || root.document, s = d.createElement("script");
        s.src = src;
        s.async = true;
        s.onerror = function () {
          if (root.console) root.console.warn("reportgen: could not load " + src);
          done(id, null, new Error("could not load " + src));
        };
        d.head.appendChild(s);
      }
    };
  }
  var L = { channel: channel };
  root.RGLoader = L;
  if (typeof module !== "undefined" && module.exports) module.exports = L;
})(typeof window !== "undefined" ? window : globalThis);

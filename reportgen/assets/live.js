/* reportgen live updates, the page side (RG.live): what `reportgen serve --watch` calls to bring an open
   page up to date without reloading it. Only served pages load this file (the server adds its <script>
   next to the dev server's own live script, which polls for changes; live-patch.js patches the page's HTML);
   a built site never runs it.

   - RG.live.reloadData(paths, cb): load these changed data files again, all at once, then redraw each
     affected chart once (RG.charts.refresh(ids)), in place: zoom, scroll and selection stay.
   - RG.live.canApplySite(json) / applySite(json): the page's site JSON (#rg-site) changed: copy it into
     RG.site (runs updated in place, new runs appended, new summary/config columns) and refresh the
     runs table (its filter, sort and column choices stay) and the charts. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var L = (RG.live = RG.live || {});

  /* data/<id>.js (a site path) -> data id */
  function idOf(path) {
    var m = /^data\/(.+)\.js$/.exec(path);
    return m ? m[1] : null;
  }
  L.idOf = idOf;

  /* Files are loaded in parallel; their receive() calls stay quiet (RG.quietReceive) so that a chart
     drawn from eight changed runs redraws once, not eight times. */
  var inFlight = 0;
  L.reloadData = function (paths, bust, cb) {
    var left = paths.length, ids = [];
    if (!left) { if (cb) cb(ids); return; }
    inFlight++;
    RG.quietReceive = true;
    paths.forEach(function (p) {
      var s = document.createElement("script");
      s.src = "/" + p.split("/").map(encodeURIComponent).join("/") + "?rg-live=" + bust;
      s.setAttribute("data-rg-live", "");
      s.onload = s.onerror = function (e) {
        if (s.parentNode) s.parentNode.removeChild(s);
        if (e.type === "load" && idOf(p)) ids.push(idOf(p));
        if (--left > 0) return;
        if (--inFlight === 0) RG.quietReceive = false;
        if (ids.length && RG.charts && RG.charts.refresh) RG.charts.refresh(ids);
        if (cb) cb(ids);
      };
      document.head.appendChild(s);
    });
  };

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }
  /* A changed site JSON can be applied when it describes the same kind of page (same data folder). */
  L.canApplySite = function (text) {
    var b = parse(text);
    return !!(b && RG.site && Array.isArray(b.runs) && Array.isArray(RG.site.runs) &&
              b.kind === RG.site.kind && b.data === RG.site.data);
  };
  L.applySite = function (text) {
    var b = parse(text), site = RG.site, byFile = Object.create(null), added = [];  // run ids: "constructor" too
    site.runs.forEach(function (r) { byFile[r.f] = r; });
    var runs = b.runs.map(function (r) {
      var cur = byFile[r.f];
      if (!cur) { added.push(r.f); return r; }
      Object.keys(cur).forEach(function (k) { if (!(k in r)) delete cur[k]; });
      Object.keys(r).forEach(function (k) { cur[k] = r[k]; });  // same object: other scripts keep theirs
      return cur;
    });
    Object.keys(b).forEach(function (k) { if (k !== "runs") site[k] = b[k]; });
    site.runs.length = 0;
    runs.forEach(function (r) { site.runs.push(r); });
    RG.runsByFile = Object.create(null);
    site.runs.forEach(function (r) { RG.runsByFile[r.f] = r; });
    L.addedRuns = (L.addedRuns || []).concat(added);
    if (RG.table && RG.table.refresh) RG.table.refresh();
    window.dispatchEvent(new CustomEvent("rg:live-site", { detail: { added: added } }));
  };
})();

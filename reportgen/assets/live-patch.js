/* reportgen live updates: patching an open page's HTML in place (RG.live.morph), for `reportgen serve
   --watch`. Like assets/live.js, only served pages load it.

   Three-way: what changed from the HTML served before (`old`) to the HTML served now (`fresh`) is
   applied to the live page, leaving what the page's scripts did (sorted rows, attributes they set,
   charts) alone. Children are matched by a key (a run's row, an element id, a chart section's title,
   else tag and class) along their longest common subsequence, so new rows, charts and sections are
   inserted where the build put them and parts that went away are removed. A chart whose runs or spec
   changed is handed to RG.charts.adopt, a media panel whose frames changed is replaced and set up
   again, a changed #rg-site goes to RG.live.applySite; the children of an element marked
   data-rg-drawn are its script's (drawn from the page's data) and left alone. When that is not possible, morph() returns
   false and RG.live.why says why (the caller reloads the page). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var L = (RG.live = RG.live || {});
  L.why = null;

  function loadedScripts() { // site paths of the scripts this page has run
    var out = {};
    var batch = RG.batchSrc && RG.batchSrc.path; // the server's URL for several data files in one (serve/live.js)
    document.querySelectorAll("script[src]:not([data-rg-live])").forEach(function (s) {
      var url = new URL(s.src, location.href);
      if (batch && url.pathname === batch) {
        url.searchParams.getAll("f").forEach(function (f) { out[decodeURIComponent(f).replace(/^\//, "")] = true; });
        return;
      }
      out[decodeURIComponent(url.pathname).replace(/^\//, "")] = true;
    });
    return out;
  }
  function headSignature(doc) {
    return Array.prototype.map.call(doc.querySelectorAll("head link[href], head script[src]:not([data-generation]):not([data-rg-live]):not([data-rg-added])"),
      function (el) { return el.getAttribute("href") || el.getAttribute("src"); }).join(" ");
  }
  function chartSignature(el) {
    var spec = el.querySelector("script.rg-spec");
    return [el.getAttribute("data-runs"), el.getAttribute("data-x"), spec ? spec.textContent : ""].join("\u0000");
  }
  function replaceChildren(liveEl, fresh) {
    while (liveEl.firstChild) liveEl.removeChild(liveEl.firstChild);
    fresh.childNodes.forEach(function (n) { liveEl.appendChild(document.importNode(n, true)); });
  }
  /* Parts that scripts made interactive (or hold references to, by id) must not be replaced wholesale. */
  var STATEFUL = ".rg-chart, table, input, select, textarea, details, canvas, video, audio, iframe, [id]";
  function hasState(el) {
    return el.nodeType === 1 && (el.matches(STATEFUL) || !!el.querySelector(STATEFUL));
  }
  /* Children are matched by a key where they have one: a run row, an element id, a section's title. */
  function keyOf(n) {
    if (n.nodeType !== 1) return null;
    if (n.hasAttribute("data-run")) return "run:" + n.getAttribute("data-run");
    if (n.id) return "id:" + n.id;
    if (n.classList.contains("rg-section")) {
      var h = n.querySelector(".rg-section-title");
      return "section:" + (h && h.firstChild ? String(h.firstChild.nodeValue).trim() : "");
    }
    return null;
  }
  function describe(el) { // for RGLive.reloadedBecause
    return el.nodeName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).split(" ")[0] : "");
  }
  /* old and fresh children (both as the server sent them) also match by class */
  function alignKey(n) {
    var k = keyOf(n);
    return k !== null || n.nodeType !== 1 ? k : "class:" + n.getAttribute("class");
  }
  function kids(list) {
    return Array.prototype.filter.call(list, function (n) { return n.nodeType === 1; })
      .map(function (n) { return describe(n) + (keyOf(n) ? "[" + keyOf(n) + "]" : ""); }).join(" ").slice(0, 300);
  }
  function sameNode(a, b) { return a.nodeName === b.nodeName && alignKey(a) === alignKey(b); }
  function sameShape(oc, fc) { // children in the same places (classes may have changed)
    if (oc.length !== fc.length) return false;
    for (var i = 0; i < oc.length; i++) if (oc[i].nodeName !== fc[i].nodeName || keyOf(oc[i]) !== keyOf(fc[i])) return false;
    return true;
  }
  /* A new node can be put into the page as it is when it brings no script or stylesheet the page
     has not loaded yet (inserted <script src> would not run). */
  function insertable(n) {
    if (n.nodeType !== 1) return n.nodeType === 3 || n.nodeType === 8;
    var have = loadedScripts();
    var ok = true;
    n.querySelectorAll("script[src], link[href]").forEach(function (el) {
      var url = el.getAttribute("src") || el.getAttribute("href");
      var path = decodeURIComponent(new URL(url, location.href).pathname).replace(/^\//, "");
      if (el.nodeName === "SCRIPT" && !have[path]) ok = false;
      if (el.nodeName === "LINK" && !document.querySelector('link[href="' + url.replace(/"/g, '\\"') + '"]')) ok = false;
    });
    if (n.matches("script[src], link[href]")) ok = false;
    return ok;
  }
  /* Old children matched to fresh ones: fresh index -> old index, or -1 for a node to insert; old
     children matched by none are removed. The same places when the shape holds (classes may have
     changed); otherwise the longest common subsequence by tag and key (a run's row, an id, a section's
     title, else the class). null when the lists are too long to compare. */
  function align(oc, fc) {
    var map = [], i, j, n = oc.length, m = fc.length;
    if (sameShape(oc, fc)) { for (i = 0; i < n; i++) map.push(i); return map; }
    if (n * m > 250000) return null;
    var L = [];
    for (i = 0; i <= n; i++) { L.push(new Int32Array(m + 1)); }
    for (i = n - 1; i >= 0; i--) {
      for (j = m - 1; j >= 0; j--) {
        L[i][j] = sameNode(oc[i], fc[j]) ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
      }
    }
    for (j = 0; j < m; j++) map.push(-1);
    i = 0; j = 0;
    while (i < n && j < m) {
      if (sameNode(oc[i], fc[j])) { map[j] = i; i++; j++; }
      else if (L[i + 1][j] >= L[i][j + 1]) i++;
      else j++;
    }
    return map;
  }

  /* Is `live` the page's node for the served node `old`? Same kind and tag, same id, and every class
     the build gave it (scripts may add classes, e.g. a search that hides a section). */
  function sameLive(old, live) {
    if (old.nodeType !== live.nodeType || old.nodeName !== live.nodeName) return false;
    if (old.nodeType !== 1) return true;
    if ((old.getAttribute("id") || "") !== (live.getAttribute("id") || "")) return false;
    for (var c = 0; c < old.classList.length; c++) if (!live.classList.contains(old.classList[c])) return false;
    return true;
  }

  /* Three-way: what changed from `old` (served before) to `fresh` (served now) is applied to
     `liveEl` (the page, possibly changed by scripts since). Returns false when not possible.
     Call it first with apply=false (a dry run), so a page is never half patched and then reloaded.
     With apply, `acts` collects what the page runtime must do afterwards (charts, panels, site JSON,
     sweep JSON). */
  function morph(old, fresh, liveEl, apply, acts) {
    acts = acts || { site: null, charts: [], panels: [] };
    if (!liveEl || old.nodeType !== fresh.nodeType || old.nodeName !== fresh.nodeName) {
      L.why = L.why || "page structure changed at " + describe(old) + (liveEl ? "" : " (not found in the page)");
      return false;
    }
    if (old.nodeName === "SCRIPT") { // data scripts are read once, at start
      if (old.textContent === fresh.textContent) return true;
      if (old.id === "rg-site" && window.RG && RG.live && RG.live.canApplySite(fresh.textContent)) {
        if (apply) { liveEl.textContent = fresh.textContent; acts.site = fresh.textContent; }
        return true;
      }
      // a sweep page's data (runs, importance): sweep.js redraws its charts in place
      if (old.id === "rg-sweep" && window.RG && RG.sweep && RG.sweep.canApply && RG.sweep.canApply(fresh.textContent)) {
        if (apply) { liveEl.textContent = fresh.textContent; acts.sweep = fresh.textContent; }
        return true;
      }
      L.why = "site data changed";
      return false;
    }
    if (old.nodeType === 3 || old.nodeType === 8) {
      if (apply && old.nodeValue !== fresh.nodeValue) liveEl.nodeValue = fresh.nodeValue;
      return true;
    }
    if (old.nodeType !== 1) return true;
    if (liveEl.nodeName !== old.nodeName) { L.why = L.why || "page structure changed at " + describe(old); return false; }
    if (old.classList.contains("rg-chart")) { // its data updates it; new runs or a new spec: adopt
      if (chartSignature(old) === chartSignature(fresh)) return true;
      if (!window.RG || !RG.charts || !RG.charts.adopt) return false;
      if (apply) {
        ["data-runs", "data-x"].forEach(function (name) {
          var v = fresh.getAttribute(name);
          if (v === null) liveEl.removeAttribute(name); else liveEl.setAttribute(name, v);
        });
        var spec = liveEl.querySelector("script.rg-spec"), fspec = fresh.querySelector("script.rg-spec");
        if (spec && fspec) spec.textContent = fspec.textContent;
        acts.charts.push(liveEl);
      }
      return true;
    }
    if (old.classList.contains("rgp-panel")) { // new media: the panel is set up again
      if (old.outerHTML === fresh.outerHTML) return true;
      if (!window.RGPanels || !RGPanels.setupPanel || !insertable(fresh)) return false;
      if (apply) {
        var panel = document.importNode(fresh, true);
        liveEl.parentNode.replaceChild(panel, liveEl);
        acts.panels.push(panel);
      }
      return true;
    }
    var names = {};
    Array.prototype.forEach.call(old.attributes, function (a) { names[a.name] = true; });
    Array.prototype.forEach.call(fresh.attributes, function (a) { names[a.name] = true; });
    Object.keys(names).forEach(function (name) {
      var before = old.getAttribute(name), after = fresh.getAttribute(name);
      if (before === after || !apply) return;
      if (after === null) liveEl.removeAttribute(name); else liveEl.setAttribute(name, after);
    });
    // children a page's script draws from its data (the sweep page's runs table): left to that script
    // (the baseline, cloned once the scripts ran, holds the rows it drew: a brushed table has fewer)
    if (fresh.hasAttribute("data-rg-drawn")) return true;
    var oc = old.childNodes, fc = fresh.childNodes, lc = liveEl.childNodes;
    var map = align(oc, fc);
    if (map === null) {
      if (hasState(old) || hasState(fresh) || lc.length !== oc.length) {
        L.why = L.why || "page structure changed at " + describe(old) + ": " + kids(oc) + " -> " + kids(fc);
        return false;
      }
      if (apply) replaceChildren(liveEl, fresh);
      return true;
    }
    var targets = [], cursor = 0;
    for (var i = 0; i < oc.length; i++) { // the live node of each old child
      var key = keyOf(oc[i]), target = null;
      if (key !== null) {
        for (var k = 0; k < lc.length; k++) { if (keyOf(lc[k]) === key) { target = lc[k]; break; } }
      } else {
        // in order, skipping what the page's scripts added (controls, panel tools, a pager...)
        for (var q = cursor; q < lc.length; q++) { if (sameLive(oc[i], lc[q])) { target = lc[q]; cursor = q + 1; break; } }
      }
      targets.push(target);
    }
    var kept = {};
    map.forEach(function (o) { if (o >= 0) kept[o] = true; });
    for (var r = 0; r < oc.length; r++) { // old children gone from the fresh page
      if (kept[r]) continue;
      if (!targets[r] || hasState(oc[r])) { L.why = "page structure changed: " + describe(oc[r]) + " went away"; return false; }
      if (apply && targets[r].parentNode) targets[r].parentNode.removeChild(targets[r]);
    }
    var after = null; // where the next inserted node goes: after the live node of the last matched child
    for (var j = 0; j < fc.length; j++) {
      if (map[j] >= 0) {
        if (!morph(oc[map[j]], fc[j], targets[map[j]], apply, acts)) return false;
        after = targets[map[j]];
        continue;
      }
      if (!insertable(fc[j])) { L.why = "new content brings new scripts"; return false; }
      if (!apply) continue;
      var node = document.importNode(fc[j], true);
      var before = after ? after.nextSibling : liveEl.firstChild;
      liveEl.insertBefore(node, before);
      after = node;
      if (node.nodeType === 1) {
        if (node.matches(".rg-chart")) acts.charts.push(node);
        node.querySelectorAll(".rg-chart").forEach(function (c) { acts.charts.push(c); });
        if (node.matches(".rgp-panel")) acts.panels.push(node);
        node.querySelectorAll(".rgp-panel").forEach(function (c) { acts.panels.push(c); });
      }
    }
    return true;
  }

  L.loadedScripts = loadedScripts;
  L.headSignature = headSignature;
  L.morph = morph;
})();

/* reportgen compare page: the selected runs side by side — config (from the page's configs block)
   and summary values (from the site JSON), values that differ between the runs highlighted,
   and "only differences" (state key `diff`, on by default) hiding the rows that are the same. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var P = (RG.compare = {});
  var MISSING = "—";
  RG.stateKey("diff", { def: true, parse: function (v) { return v !== "0"; }, format: function (v) { return v ? null : "0"; } });

  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  function same(a, b) { return a === b || (typeof a === "number" && typeof b === "number" && isNaN(a) && isNaN(b)); }

  /* Keys whose values are not the same in every run (a key missing in some run differs). */
  P.diffKeys = function (dicts) {
    return P.rows(dicts).filter(function (r) { return r.differs; }).map(function (r) { return r.key; });
  };
  /* Every key of the dicts, sorted, with whether its value differs between them. */
  P.rows = function (dicts) {
    var keys = Object.create(null);  // a config key "__proto__" is a row like any other
    dicts.forEach(function (c) { Object.keys(c).forEach(function (k) { keys[k] = true; }); });
    return Object.keys(keys).sort().map(function (k) {
      var first = has(dicts[0], k) ? dicts[0][k] : MISSING, differs = false;
      for (var i = 1; i < dicts.length && !differs; i++) differs = !same(has(dicts[i], k) ? dicts[i][k] : MISSING, first);
      return { key: k, differs: differs };
    });
  };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function show(v) {
    if (v === undefined) return MISSING;
    if (typeof v === "number") return window.RGFormat.number(v);
    return v === null ? "null" : String(v);
  }

  /* The toggle lives in the table's caption (the table is the script's own: serve --watch
     patches the page's static HTML by position, so nothing is inserted around it). */
  function toggle(table) {
    var cap = el("caption", null, "rg-diff-only"), lab = el("label"), box = document.createElement("input");
    cap.style.cssText = "caption-side:top;text-align:left;padding:4px 0";
    box.type = "checkbox"; box.id = "rg-diff-only"; box.checked = RG.state.diff;
    box.addEventListener("change", function () { RG.setState({ diff: box.checked }); });
    lab.appendChild(box); lab.appendChild(document.createTextNode(" Only differences"));
    cap.appendChild(lab);
    table.appendChild(cap);
  }

  function render() {
    var table = document.getElementById("rg-diff");
    var inline = document.getElementById("rg-configs");  // many runs: a data file (runs-data.js)
    var all = RG.loaded["table/configs"] || (inline ? JSON.parse(inline.textContent) : {});
    var sel = (RG.state.runs || []).filter(function (f) { return RG.runsByFile[f]; });
    var box = document.getElementById("rg-compare"), count = document.getElementById("rg-compare-count");
    count.textContent = String(sel.length);
    var hint = document.getElementById("rg-compare-hint"), only = RG.state.diff;
    table.textContent = "";
    /* Nothing to compare: one message, and no counts over empty sections (reportgen.css hides the
       runs table when the site has no runs, the chart controls and sections while none is ticked) */
    var total = RG.site.total != null ? RG.site.total : Object.keys(RG.runsByFile).length;  // (many runs: total)
    var none = !total ? "runs" : !sel.length ? "selected" : null;
    if (none) box.dataset.empty = none; else delete box.dataset.empty;
    count.hidden = !!none;
    if (none === "runs") {
      hint.textContent = "No runs to compare yet: this site was built from a folder without runs. Log runs with reportgen, then build the site again.";
      return;
    }
    if (sel.length < 2) {
      hint.textContent = "Tick two or more runs in the table below: their config and summary differences and overlaid charts appear here.";
      return;
    }
    var parts = [["config", sel.map(function (f) { return has(all, f) ? all[f] : {}; })],
                 ["summary", sel.map(function (f) { return RG.runsByFile[f].s || {}; })]];
    toggle(table);
    var counts = parts.map(function (p) { return P.diffKeys(p[1]).length; });
    hint.textContent = counts[0] + " config key" + (counts[0] === 1 ? "" : "s") + " and " + counts[1] + " summary value" +
      (counts[1] === 1 ? "" : "s") + " differ between the " + sel.length + " selected runs; overlaid charts below.";
    var thead = el("thead"), tr = el("tr");
    tr.appendChild(el("th", "key"));
    sel.forEach(function (f) {
      var r = RG.runsByFile[f], h = el("th"), sw = el("span", null, "rg-swatch"), a = el("a", r.label);
      sw.style.background = RG.runColor ? RG.runColor(f) : r.color;
      a.href = r.url;
      h.appendChild(sw); h.appendChild(a); tr.appendChild(h);
    });
    thead.appendChild(tr); table.appendChild(thead);
    var tbody = el("tbody");
    parts.forEach(function (part) {
      var rows = P.rows(part[1]).filter(function (r) { return r.differs || !only; });
      var head = el("tr", null, "rg-diff-section"), th = el("th", part[0] + (rows.length ? "" : only ? " — no differences" : " — none"));
      th.colSpan = sel.length + 1; th.style.textAlign = "left";
      head.appendChild(th); tbody.appendChild(head);
      rows.forEach(function (r) {
        var row = el("tr", null, r.differs ? "rg-differs" : "rg-same");
        row.dataset.key = part[0] + ":" + r.key;
        row.appendChild(el("td", r.key));
        part[1].forEach(function (d) {
          var td = el("td", show(has(d, r.key) ? d[r.key] : undefined), typeof d[r.key] === "number" ? "rg-num" : "");
          if (r.differs) { td.classList.add("rg-diff-cell"); td.style.background = "rgba(224, 138, 44, 0.16)"; }
          row.appendChild(td);
        });
        tbody.appendChild(row);
      });
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

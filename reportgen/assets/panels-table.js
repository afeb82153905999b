/* reportgen media panels: the table widget (sort, filter, paginate; media cells inline).
   Only the current page of rows is in the DOM, so 10,000 rows stay smooth. Part of
   assets/panels.js (loaded right after it). */
(function () {
  "use strict";
  var P = window.RGPanels;
  var el = P.el, svg = P.svg, fmt = P.fmt, site = P.site, lazy = P.lazy;
  /* ================= tables ================= */
  var PAGE = 25;
  function cellText(v) {
    if (v && typeof v === "object" && v.t) return v.caption || v.text || v.t;
    return fmt(v);
  }
  function renderTable(item, panel) {
    var wrap = el("div", "rgp-table");
    wrap.appendChild(el("p", "rg-empty", "Loading " + item.nrows + " rows…"));
    lazy(wrap, function () {
      P.load(item.id, site(item.data), function (d) { buildTable(wrap, d, panel, item.files); }, wrap);
    });
    return wrap;
  }
  function fullLinks(files) {  /* cells cut by the builder (reportgen/site/clip.py): the whole table's files */
    var p = el("p", "rg-empty rgp-table-full", "Long cells are cut: the whole table ");
    files.forEach(function (f, i) {
      var a = el("a", null, files.length > 1 ? "part " + (i + 1) : "(JSON)");
      a.href = site(f);
      if (i) p.appendChild(document.createTextNode(" · "));
      p.appendChild(a);
    });
    return p;
  }
  function buildTable(wrap, d, panel, files) {
    wrap.textContent = "";
    var rows = d.rows, cols = d.columns;
    var texts = rows.map(function (r) { return r.map(cellText).join("\u0001").toLowerCase(); });
    var order = rows.map(function (_, i) { return i; });
    var view = order.slice(), page = 0, sortCol = -1, sortDir = 1;
    var tools = el("div", "rgp-table-tools");
    var filter = el("input", "rgp-filter"); filter.type = "search"; filter.placeholder = "filter rows";
    filter.setAttribute("aria-label", "filter rows");
    var info = el("span", "rgp-table-info");
    var prev = el("button", "rgp-prev", "‹ prev"), next = el("button", "rgp-next", "next ›");
    tools.appendChild(filter); tools.appendChild(prev); tools.appendChild(info); tools.appendChild(next);
    wrap.appendChild(tools);
    var scroller = el("div", "rg-table-wrap");
    var table = el("table", "rg-table");
    var thead = el("thead"), tr = el("tr");
    cols.forEach(function (c, i) {
      var th = el("th", "rg-sortable", c); th.tabIndex = 0;
      function sort() {
        sortDir = sortCol === i ? -sortDir : 1; sortCol = i;
        thead.querySelectorAll("th").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", sortDir === 1 ? "ascending" : "descending");
        apply(true);
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
      tr.appendChild(th);
    });
    thead.appendChild(tr); table.appendChild(thead);
    var tbody = el("tbody"); table.appendChild(tbody);
    scroller.appendChild(table); wrap.appendChild(scroller);
    if (files && files.length) wrap.appendChild(fullLinks(files));
    function key(v) {
      if (typeof v === "number") return isNaN(v) ? null : v;
      if (v === null || v === undefined || v === "") return null;
      return cellText(v);
    }
    function cmp(a, b) {
      var x = key(rows[a][sortCol]), y = key(rows[b][sortCol]);
      if (x === null || y === null) return (x === null) - (y === null) || a - b;
      if (typeof x === "number" && typeof y === "number") return sortDir * (x - y) || a - b;
      return sortDir * String(x).localeCompare(String(y), undefined, { numeric: true }) || a - b;
    }
    function apply(resetPage) {
      var q = filter.value.trim().toLowerCase();
      view = q ? order.filter(function (i) { return texts[i].indexOf(q) >= 0; }) : order.slice();
      if (sortCol >= 0) view.sort(cmp);
      if (resetPage) page = 0;
      draw();
    }
    function draw() {
      var pages = Math.max(1, Math.ceil(view.length / PAGE));
      page = Math.min(page, pages - 1);
      tbody.textContent = "";
      view.slice(page * PAGE, page * PAGE + PAGE).forEach(function (ri) {
        var r = el("tr");
        rows[ri].forEach(function (v) {
          var td = el("td", typeof v === "number" ? "rg-num" : "");
          if (v && typeof v === "object" && v.t) td.appendChild(P.renderItem(v, panel, true));
          else td.textContent = fmt(v);
          r.appendChild(td);
        });
        tbody.appendChild(r);
      });
      info.textContent = "rows " + (view.length ? page * PAGE + 1 : 0) + "–" + Math.min(view.length, (page + 1) * PAGE) +
        " of " + view.length + (view.length !== rows.length ? " (filtered from " + rows.length + ")" : "");
      prev.disabled = page === 0; next.disabled = page >= pages - 1;
      wrap.dataset.rendered = "done";
    }
    var timer = null;
    filter.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { apply(true); }, 120); });
    prev.addEventListener("click", function () { page--; draw(); });
    next.addEventListener("click", function () { page++; draw(); });
    draw();
  }

  P.renderTable = renderTable;
  P.register("table", renderTable);
})();

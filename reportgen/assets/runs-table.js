/* reportgen runs table: rendered from the page's site JSON with textContent (never HTML),
   sort by any column, text filter with numeric conditions (`loss < 0.5, lr >= 0.01`), per-column
   filters (numeric min/max, text contains), all applied as you type (the rules:
   assets/table-filter.js); summary columns showing the summary value, or each metric's min, max,
   last or best (assets/table-columns.js, state key `sagg`); a column picker (at most
   RG.site.maxColumns shown); run selection -> RG.state.runs; run colour / pin / hide
   (assets/run-style.js) and CSV export of the visible table (assets/table-csv.js). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var T = (RG.table = {});
  var cols = [], shown = {}, sort = { col: null, dir: 1 }, filters = {}, query = "", conds = [], passing = null;
  var TC = RG.tableColumns;  // column definitions and the summary aggregation: assets/table-columns.js
  T.summaryValue = TC.summaryValue;

  function buildColumns() {
    cols = TC.build(RG.site);
    var budget = RG.site.maxColumns - cols.filter(function (c) { return c.fixed; }).length, i = 0;
    cols.forEach(function (c) { shown[c.id] = c.fixed || i++ < budget; });
  }

  function dynCount() { return cols.filter(function (c) { return !c.fixed; }).length; }
  function shownCount() { return cols.filter(function (c) { return shown[c.id]; }).length; }

  /* No runs= in the hash: the default selection (runs-data.js: the most recent runs), or all. */
  function selected() {
    var sel = RG.state.runs;
    if (sel === null) {
      if (RG.site.kind === "compare") return [];
      return RG.defaultRuns ? RG.defaultRuns() : RG.site.runs.map(function (r) { return r.f; });
    }
    return sel;
  }
  function setOf(list) { var s = {}; list.forEach(function (f) { s[f] = true; }); return s; }
  function setSelected(files) {
    var want = setOf(files);
    var order = RG.site.runs.map(function (r) { return r.f; }).filter(function (f) { return want[f]; });
    var def = RG.defaultRuns ? RG.defaultRuns() : RG.site.runs.map(function (r) { return r.f; });
    var same = order.length === def.length && def.every(function (f) { return want[f]; });
    RG.setState({ runs: (RG.site.kind !== "compare" && same) ? null : order });
  }

  /* Filter and sort rules: assets/table-filter.js (RG.tableFilter) */
  var TF = RG.tableFilter;
  T.parseQuery = function (text) { return TF.parseQuery(text, cols); };
  function matches(r) { return TF.rowMatches(r, cols, conds, query, filters); }
  function shownRow(file) { return passing === null || passing[file] === true; }
  /* Drawn in the charts: passes the filters and not hidden with the hide toggle. */
  T.passes = function (file) { return shownRow(file) && !(RG.runHidden && RG.runHidden(file)); };
  T.shownRow = shownRow;

  var compare = TF.compare;

  function cell(tag, text, cls) {
    var el = document.createElement(tag);
    if (text !== undefined && text !== null) el.textContent = text;
    if (cls) el.className = cls;
    return el;
  }

  function renderHead(table) {
    var thead = cell("thead"), tr = cell("tr"), fr = cell("tr", null, "rg-filter-row");
    var th0 = cell("th", null, "rg-sel");
    var all = document.createElement("input");
    all.type = "checkbox"; all.id = "rg-sel-all"; all.setAttribute("aria-label", "select all shown runs");
    all.addEventListener("change", function () {
      var sel = setOf(selected());
      RG.site.runs.forEach(function (r) { if (shownRow(r.f)) sel[r.f] = all.checked; });
      setSelected(Object.keys(sel).filter(function (f) { return sel[f]; }));
    });
    th0.appendChild(all);
    tr.appendChild(th0);
    fr.appendChild(cell("th"));
    cols.forEach(function (c) {
      if (!shown[c.id]) return;
      var th = cell("th", c.label, "rg-sortable" + (c.kind ? " rg-col-" + c.kind : ""));
      th.title = (c.kind ? c.kind + ": " : "") + c.label;
      th.tabIndex = 0;
      th.dataset.col = c.id;
      if (sort.col === c.id) th.setAttribute("aria-sort", sort.dir === 1 ? "ascending" : "descending");
      function go() { sort.dir = sort.col === c.id ? -sort.dir : 1; sort.col = c.id; render(); }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") go(); });
      tr.appendChild(th);
      var fth = cell("th"), f = filters[c.id] || (filters[c.id] = {});
      if (c.type === "number" && c.id !== "created") {
        ["min", "max"].forEach(function (which) {
          var inp = document.createElement("input");
          inp.type = "number"; inp.step = "any"; inp.placeholder = which; inp.className = "rg-range";
          inp.value = f[which] || ""; inp.dataset.filter = c.id + ":" + which;
          inp.setAttribute("aria-label", c.label + " " + which);
          inp.addEventListener("input", function () { f[which] = inp.value; applyFilters(); });
          fth.appendChild(inp);
        });
      } else {
        var inp = document.createElement("input");
        inp.type = "search"; inp.placeholder = "contains"; inp.className = "rg-contains";
        inp.value = f.text || ""; inp.dataset.filter = c.id;
        inp.setAttribute("aria-label", c.label + " contains");
        inp.addEventListener("input", function () { f.text = inp.value; applyFilters(); });
        fth.appendChild(inp);
      }
      fr.appendChild(fth);
    });
    thead.appendChild(tr);
    thead.appendChild(fr);
    table.appendChild(thead);
  }

  /* Rows are drawn a page at a time (PAGE rows; a site may hold 10,000 runs); filters and sorting
     apply to every run. */
  var PAGE = 100, page = 0;
  function pager(total) {
    var bar = document.getElementById("rg-pager"), wrap = document.getElementById("rg-runs").parentNode;
    if (!bar) {
      bar = cell("div", null, "rg-pager"); bar.id = "rg-pager";
      var prev = cell("button", "‹ Previous", "rg-btn"), next = cell("button", "Next ›", "rg-btn");
      prev.type = next.type = "button"; prev.dataset.page = "-1"; next.dataset.page = "1";
      [prev, next].forEach(function (b) {
        b.addEventListener("click", function () { page += Number(b.dataset.page); refreshBody(); });
      });
      bar.appendChild(prev); bar.appendChild(cell("span", "", "rg-muted rg-pager-text")); bar.appendChild(next);
      wrap.parentNode.insertBefore(bar, wrap.nextSibling);
    }
    var pages = Math.max(1, Math.ceil(total / PAGE));
    bar.hidden = pages <= 1;
    bar.querySelector(".rg-pager-text").textContent = "runs " + (total ? page * PAGE + 1 : 0) + "–" +
      Math.min(total, (page + 1) * PAGE) + " of " + total;
    bar.querySelector('[data-page="-1"]').disabled = page <= 0;
    bar.querySelector('[data-page="1"]').disabled = page >= pages - 1;
  }
  function refreshBody() {
    var table = document.getElementById("rg-runs"), old = table.querySelector("tbody");
    if (old) table.removeChild(old);
    renderBody(table);
    syncSelection();
  }

  /* The rows the table lists, in its sort order, on every page (a hidden run stays listed, dimmed). */
  function listedRuns() {
    var runs = RG.site.runs.slice();
    if (sort.col) {
      var col = cols.filter(function (c) { return c.id === sort.col; })[0];
      runs.sort(function (a, b) {
        var va = col.get(a), vb = col.get(b);
        var blank = va === null || va === "" || vb === null || vb === "";
        return blank ? compare(va, vb) : sort.dir * compare(va, vb);
      });
    }
    return runs.filter(function (r) { return shownRow(r.f); });
  }

  function renderBody(table) {
    var tbody = cell("tbody"), sel = setOf(selected());
    var runs = listedRuns();
    page = Math.max(0, Math.min(page, Math.ceil(runs.length / PAGE) - 1));
    pager(runs.length);
    runs.slice(page * PAGE, (page + 1) * PAGE).forEach(function (r) {
      var tr = cell("tr");
      tr.dataset.run = r.f;
      if (RG.runHidden && RG.runHidden(r.f)) { tr.classList.add("rg-run-hidden"); tr.style.opacity = "0.55"; }
      var td0 = cell("td", null, "rg-sel"), cb = document.createElement("input");
      cb.type = "checkbox"; cb.checked = !!sel[r.f]; cb.setAttribute("aria-label", "select " + r.label);
      cb.addEventListener("change", function () {
        var s = selected().slice(), i = s.indexOf(r.f);
        if (cb.checked && i < 0) s.push(r.f);
        if (!cb.checked && i >= 0) s.splice(i, 1);
        setSelected(s);
      });
      td0.appendChild(cb);
      tr.appendChild(td0);
      cols.forEach(function (c) {
        if (!shown[c.id]) return;
        var v = c.get(r), td;
        if (c.id === "name") {
          td = cell("td");
          var tools = RG.runStyleTools(td, r);  // colour picker swatch, then pin / hide (run-style.js)
          var a = cell("a", r.label); a.href = r.url;
          td.appendChild(a); td.appendChild(tools());
          if (r.warn) { var w = cell("span", "⚠", "rg-warn-badge"); w.title = r.warn + " problem(s): see the run page"; td.appendChild(w); }
          if (r.alerts) { var al = cell("span", "🔔" + r.alerts, "rg-alert-badge"); al.title = r.alerts + " alert(s), last: " + r.alert; td.appendChild(al); }
        } else if (c.id === "state") {
          td = cell("td"); var badge = cell("span", v, "rg-state rg-state-" + v);
          if (r.why) { badge.title = r.why; badge.classList.add("rg-has-why"); }  // why it ended, on hover
          td.appendChild(badge);
        } else {
          td = cell("td", c.fmt ? c.fmt(v) : (v === null ? "" : String(v)), c.type === "number" ? "rg-num" : "");
        }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
  }

  function render() {
    var table = document.getElementById("rg-runs");
    if (!table) return;
    // the first render has no scroll position to keep: reading one would force a layout at start-up
    var wrap = table.parentNode, again = !!table.firstChild, scroll = again ? wrap.scrollTop : 0, left = again ? wrap.scrollLeft : 0;
    var focus = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.filter : null;
    table.textContent = "";
    renderHead(table);
    renderBody(table);
    if (again) { wrap.scrollTop = scroll; wrap.scrollLeft = left; }
    if (focus) { var f = table.querySelector('[data-filter="' + focus.replace(/"/g, '\\"') + '"]'); if (f) f.focus(); }
    syncSelection();
    var note = document.getElementById("rg-col-note"), n = dynCount(), s = shownCount();
    if (note) {
      var hidden = cols.length - s;
      note.hidden = !(cols.length > RG.site.maxColumns);
      note.textContent = "Showing " + s + " of " + cols.length + " columns (at most " + RG.site.maxColumns +
        " at once; " + hidden + " hidden). Use Columns to choose which.";
    }
    void n;
  }

  function syncSelection() {
    var sel = selected(), inSel = setOf(sel);
    document.querySelectorAll("#rg-runs tbody tr").forEach(function (tr) {
      tr.querySelector("input").checked = !!inSel[tr.dataset.run];
    });
    var shownRuns = RG.site.runs.filter(function (r) { return shownRow(r.f); });
    var allBox = document.getElementById("rg-sel-all");
    if (allBox) {
      var k = shownRuns.filter(function (r) { return inSel[r.f]; }).length;
      allBox.checked = k > 0 && k === shownRuns.length;
      allBox.indeterminate = k > 0 && k < shownRuns.length;
    }
    var count = document.getElementById("rg-selected-count");
    if (count) {  // honest when a filter hides rows: selected runs that are hidden are said so
      var total = RG.site.runs.length, selShown = shownRuns.filter(function (r) { return sel.indexOf(r.f) >= 0; }).length;
      var text = shownRuns.length === total ? selShown + " of " + total + " selected"
        : shownRuns.length + " of " + total + " shown, " + selShown + " selected";
      if (sel.length > selShown) text += " (" + (sel.length - selShown) + " more selected, hidden by the filter)";
      count.textContent = text;
    }
    var an = document.getElementById("rg-analyse-link");
    if (an) {
      an.href = RG.site.analyse + (sel.length && (sel.length < RG.site.runs.length || RG.site.kind !== "index") ? RG.formatHash({ runs: sel }) : "");
      an.title = "parameters against metrics (importance, parallel coordinates, scatter) for the " + sel.length + " selected runs";
    }
    var link = document.getElementById("rg-compare-link");
    if (link) {
      var st = { runs: sel, x: RG.state.x, smooth: RG.state.smooth, log: RG.state.log };
      link.href = RG.site.compare + RG.formatHash(st);
      link.classList.toggle("rg-disabled", sel.length < 2);
      link.title = sel.length < 2 ? "select two or more runs" : "compare the " + sel.length + " selected runs";
    }
  }

  function applyFilters(quiet) {
    var any = !!query || conds.length > 0 || Object.keys(filters).some(function (id) {
      var f = filters[id]; return !!(f.text || (f.min !== undefined && f.min !== "") || (f.max !== undefined && f.max !== ""));
    });
    passing = null;
    if (any) {
      passing = {};
      RG.site.runs.forEach(function (r) { passing[r.f] = matches(r); });
    }
    page = 0;
    refreshBody();  // rows of the first page that passes (syncSelection included)
    var n = RG.site.runs.filter(function (r) { return shownRow(r.f); }).length;
    var count = document.getElementById("rg-run-count");
    if (count) count.textContent = any ? n + " / " + RG.site.runs.length : String(RG.site.runs.length);
    syncSelection();
    if (RG.charts && quiet !== true) RG.charts.refreshAll();
  }

  function initPicker() {
    var list = document.getElementById("rg-col-list"), find = document.getElementById("rg-col-filter");
    if (!list) return;
    function fill() {
      list.textContent = "";
      var q = (find.value || "").toLowerCase(), k = 0;
      cols.forEach(function (c) {
        if (c.fixed || (q && c.label.toLowerCase().indexOf(q) < 0) || k >= RG.site.limits.pickerRows) return;
        k++;
        var lab = cell("label", null, "rg-pick"), cb = document.createElement("input");
        cb.type = "checkbox"; cb.checked = !!shown[c.id]; cb.dataset.col = c.id;
        cb.addEventListener("change", function () {
          if (cb.checked && shownCount() >= RG.site.maxColumns) { cb.checked = false; return; }
          shown[c.id] = cb.checked;
          render();
        });
        lab.appendChild(cb);
        lab.appendChild(cell("span", c.kind, "rg-pick-kind rg-col-" + c.kind));
        lab.appendChild(cell("span", c.label));
        list.appendChild(lab);
      });
    }
    find.addEventListener("input", fill);
    document.querySelectorAll("[data-cols]").forEach(function (b) {
      b.addEventListener("click", function () {
        var budget = RG.site.maxColumns - cols.filter(function (c) { return c.fixed; }).length;
        cols.forEach(function (c) { if (!c.fixed) shown[c.id] = b.dataset.cols === "all" && budget-- > 0; });
        render(); fill();
      });
    });
    fill();
  }

  /* The rows and columns on screen, in their order: for the CSV export (assets/table-csv.js). */
  T.visible = function () {
    var use = cols.filter(function (c) { return shown[c.id]; });
    var runs = listedRuns();  // every page of the table, not only the one on screen
    return { cols: use.map(function (c) { return c.kind ? c.kind + ":" + c.label : (c.id === "duration" ? "Duration (s)" : c.label); }),
             rows: runs.map(function (r) { return use.map(function (c) {
               var v = c.get(r);
               return c.id === "created" && typeof v === "number" ? window.RGFormat.iso(v * 1000) : v;
             }); }) };
  };

  function addTools(bar) {
    var lab = cell("label", "Summary ", "rg-sagg"), sel = document.createElement("select");
    sel.id = "rg-sagg";
    [["summary", "summary"], ["last", "last"], ["min", "min"], ["max", "max"], ["best", "best (goal)"]].forEach(function (o) {
      var opt = cell("option", o[1]); opt.value = o[0]; sel.appendChild(opt);
    });
    sel.value = RG.state.sagg;
    sel.title = "what summary columns show: the run's summary, or each metric's last, min, max or best value " +
                "over its whole history (best: by define_metric(goal=...), else the minimum)";
    sel.addEventListener("change", function () { RG.setState({ sagg: sel.value }); });
    RG.onState(function () { sel.value = RG.state.sagg; });
    lab.appendChild(sel);
    var csv = cell("button", "CSV", "rg-btn");
    csv.type = "button"; csv.id = "rg-table-csv"; csv.title = "download the visible rows and columns as CSV";
    csv.addEventListener("click", function () { RG.tableCsv.download(T.visible(), "runs.csv"); });
    // appended last (serve --watch patches the static HTML by position), the count kept last by flex order
    var count = document.getElementById("rg-selected-count");
    if (count) count.style.order = "1";
    if (RG.site.analyse && RG.site.kind !== "compare") {
      var an = cell("a", "Analyse selection", "rg-btn");
      an.id = "rg-analyse-link"; an.href = RG.site.analyse;
      bar.appendChild(an);
    }
    bar.appendChild(lab);
    bar.appendChild(csv);
  }

  /* live18 hook: RG.site changed in place (serve --watch: new runs, summaries, columns). Re-render,
     keeping the filters, the sort and the columns the user chose; new columns follow the default. */
  T.refresh = function () {
    if (!document.getElementById("rg-runs")) return;
    var before = shown;
    shown = {};
    buildColumns();
    Object.keys(before).forEach(function (id) { if (id in shown) shown[id] = before[id]; });
    var was = JSON.stringify(passing);
    render();
    applyFilters(JSON.stringify(passing) === was);  // charts redraw only when what passes changed
  };

  T.init = function () {
    if (!document.getElementById("rg-runs")) return;
    buildColumns();
    render();
    initPicker();
    var q = document.getElementById("rg-filter");
    q.placeholder = "Filter runs: name, tag… or loss < 0.5";
    q.addEventListener("input", function () {
      var parsed = T.parseQuery(q.value);
      query = parsed.text.join(" "); conds = parsed.conds;
      q.classList.toggle("rg-bad-filter", conds.some(function (c) { return !c.col; }));
      q.title = conds.filter(function (c) { return !c.col; }).map(function (c) { return "no column " + c.name; }).join("; ");
      applyFilters();
    });
    document.getElementById("rg-select-all").addEventListener("click", function () {
      setSelected(RG.site.runs.filter(function (r) { return shownRow(r.f); }).map(function (r) { return r.f; }));
    });
    document.getElementById("rg-select-none").addEventListener("click", function () { setSelected([]); });
    addTools(q.parentNode);
    var marks = JSON.stringify([RG.state.sagg, RG.state.colors, RG.state.pin, RG.state.hide]);
    RG.onState(function () {
      var now = JSON.stringify([RG.state.sagg, RG.state.colors, RG.state.pin, RG.state.hide]);
      if (now !== marks) { marks = now; render(); if (RG.charts) RG.charts.refreshAll(); }
      else syncSelection();
    });
  };
})();

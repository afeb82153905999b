/* The runs table's filtering and ordering rules (RG.tableFilter), kept apart from its DOM code
   (assets/runs-table.js) so they are testable on their own (tests/js/table-filter.test.js).

   - parseQuery(text, cols): the filter box. Numeric conditions `name OP number`, separated by ","
     or " and "; name is a summary or config column (prefix summary./config. when both exist). An
     unfinished condition (`loss <`) filters nothing yet; the rest of the text is a text filter.
   - rowMatches(r, cols, conds, query, filters): a run passes the conditions, the text query and
     the per-column filters (numeric min/max, text "contains" on the shown text).
   - compare(a, b): the sort order; blanks last, numbers numerically, text naturally.
   A number column's value may be a BigInt (an int past 2**53: assets/table-columns.js), compared with
   Numbers exactly (JavaScript's <, > and == between the two). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var COND = /^\s*([^<>=!,]+?)\s*(<=|>=|!=|==|=|<|>)\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)?\s*$/;

  function colById(cols, id) {
    for (var i = 0; i < cols.length; i++) if (cols[i].id === id) return cols[i];
    return null;
  }

  function parseQuery(text, cols) {
    var out = { text: [], conds: [] };
    text.split(/,|\s+and\s+/i).forEach(function (part) {
      var m = COND.exec(part);
      if (!m) { if (part.trim()) out.text.push(part.trim().toLowerCase()); return; }
      if (m[3] === undefined) return;  // still being typed
      var name = m[1].trim(), col = null;
      ["summary:", "config:"].forEach(function (kind) {
        var id = name.indexOf(kind.slice(0, -1) + ".") === 0 ? kind + name.slice(kind.length) : kind + name;
        if (!col) col = colById(cols, id);
      });
      if (!col) col = cols.filter(function (c) { return c.label === name || c.id === name; })[0] || null;
      out.conds.push({ col: col, op: m[2], v: bound(m[3]), name: name });
    });
    return out;
  }

  function num(v) { return typeof v === "bigint" || (typeof v === "number" && !isNaN(v)); }
  /* a typed bound: an integer as a BigInt, exact (2**60 + 3 is no Number), else a Number */
  function bound(text) { text = String(text).trim(); return /^-?\d+$/.test(text) ? BigInt(text) : Number(text); }

  function holds(v, op, x) {
    if (!num(v)) return false;
    return op === "<" ? v < x : op === "<=" ? v <= x : op === ">" ? v > x : op === ">=" ? v >= x : op === "!=" ? v != x : v == x;  // (== and !=: a BigInt equals the Number of its value)
  }

  function rowMatches(r, cols, conds, query, filters) {
    for (var c = 0; c < conds.length; c++) {
      if (!conds[c].col || !holds(conds[c].col.get(r), conds[c].op, conds[c].v)) return false;
    }
    if (query) {
      var hay = [r.label, r.name, r.id, r.project, r.group, r.state, (r.tags || []).join(" ")].join(" ").toLowerCase();
      if (hay.indexOf(query) < 0) return false;
    }
    for (var id in filters) {
      var f = filters[id], col = colById(cols, id);
      if (!col) continue;
      var v = col.get(r);
      if (col.type === "number" && col.id !== "created") {
        if (f.min !== "" && f.min !== undefined && !(num(v) && v >= bound(f.min))) return false;
        if (f.max !== "" && f.max !== undefined && !(num(v) && v <= bound(f.max))) return false;
      } else if (f.text) {
        var shownText = col.fmt ? col.fmt(v) : (v === null ? "" : String(v));
        if (shownText.toLowerCase().indexOf(f.text.toLowerCase()) < 0) return false;
      }
    }
    return true;
  }

  function compare(a, b) {
    var an = a === null || a === undefined || a === "", bn = b === null || b === undefined || b === "";
    if (an || bn) return an && bn ? 0 : (an ? 1 : -1);
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (num(a) && num(b)) return a < b ? -1 : (a > b ? 1 : 0);  // (a BigInt: exactly, as a - b cannot mix them)
    return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
  }

  RG.tableFilter = { parseQuery: parseQuery, holds: holds, rowMatches: rowMatches, compare: compare };
})();

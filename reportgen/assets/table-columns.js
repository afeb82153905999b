/* The runs table's columns (RG.tableColumns), apart from its DOM code (assets/runs-table.js):
   - build(site): the fixed columns (name, project, group, tags, state, started, duration), then
     one per summary key and one per config key; a column is numeric when every run's value is a
     number, missing, or an int the browser cannot hold as a Number (beyond 2**53: a seed of 2**60),
     which the data gives as its digits and lists in the run's `ints` (site/pages.py run_entry) and
     get() gives as a BigInt: sorted and filtered by its value, shown and exported as its digits.
     Each column: {id, label, type, fmt, get(run), fixed, kind}.
   - summaryValue(run, key): a summary column's value for the chosen aggregation (state key `sagg`:
     the summary value, or the metric's last, min, max or best over the whole history; r.m[key] =
     [min, max, last] from site/run_stats.py; best = min or max by the define_metric goal, default
     minimize). Keys that are not logged metrics keep their summary value. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var AGGS = ["summary", "last", "min", "max", "best"];
  RG.stateKey("sagg", { def: "summary", parse: function (v) { return AGGS.indexOf(v) >= 0 ? v : "summary"; },
                        format: function (v) { return v && v !== "summary" ? v : null; } });

  /* o[k] when o has it as its own: a key named "constructor" that a run lacks is missing, not
     Object's constructor ("function Object() { [native code] }" in the table) */
  function own(o, k) { return o && Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined; }

  function summaryValue(r, key) {
    var v = own(r.s, key), agg = RG.state.sagg, m = own(r.m, key);
    if (agg === "summary" || !m) return v === undefined ? null : v;
    if (agg === "best") return own(r.mg, key) === "maximize" ? m[1] : m[0];
    return m[{ min: 0, max: 1, last: 2 }[agg]];
  }

  /* v, or the BigInt of its digits where the run lists column `id` in its ints */
  function exact(r, id, v) {
    return typeof v === "string" && r.ints && r.ints.indexOf(id) >= 0 && /^-?\d+$/.test(v) ? BigInt(v) : v;
  }

  function build(site) {
    var F = window.RGFormat;  // assets/format.js
    var fixed = [
      { id: "name", label: "Name", type: "text", get: function (r) { return r.label; } },
      { id: "project", label: "Project", type: "text", get: function (r) { return r.project; } },
      { id: "group", label: "Group", type: "text", get: function (r) { return r.group; } },
      { id: "tags", label: "Tags", type: "text", get: function (r) { return r.tags.join(", "); } },
      { id: "state", label: "State", type: "text", get: function (r) { return r.state; } },
      { id: "created", label: "Started", type: "number", fmt: F.date, get: function (r) { return r.created; } },
      { id: "duration", label: "Duration", type: "number", fmt: F.duration, get: function (r) { return r.duration; } },
    ];
    fixed.forEach(function (c) { c.fixed = true; });
    function dyn(kind, field, name) {
      var id = kind + ":" + name;
      var numeric = site.runs.every(function (r) {
        var v = exact(r, id, own(r[field], name));
        return v === undefined || v === null || typeof v === "number" || typeof v === "bigint";
      });
      return { id: id, label: name, kind: kind, type: numeric ? "number" : "text",
               fmt: F.number, get: function (r) { var v = own(r[field], name); return v === undefined ? null : exact(r, id, v); } };
    }
    var summary = site.cols.summary.map(function (k) {
      var c = dyn("summary", "s", k);
      c.get = function (r) { return exact(r, c.id, summaryValue(r, k)); };
      return c;
    });
    return fixed.concat(summary, site.cols.config.map(function (k) { return dyn("config", "c", k); }));
  }

  RG.tableColumns = { AGGS: AGGS, build: build, summaryValue: summaryValue };
})();

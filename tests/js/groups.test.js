// Grouped lines (assets/groups.js) and the CSV export (assets/table-csv.js): the pure parts.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");

const win = load(["state.js", "groups.js", "table-csv.js"]);
const G = win.RG.groups;
const plain = (x) => JSON.parse(JSON.stringify(x));

test("stats: mean/median with min-max, std and standard-error bands", () => {
  const v = [1, 2, 3, 10];
  assert.deepStrictEqual(plain(G.stats(v, "mean", "minmax")), { c: 4, lo: 1, hi: 10 });
  assert.strictEqual(G.stats(v, "median", "none").c, 2.5);
  const sd = Math.sqrt(((1 - 4) ** 2 + (2 - 4) ** 2 + (3 - 4) ** 2 + (10 - 4) ** 2) / 3);
  const s = G.stats(v, "mean", "std"), e = G.stats(v, "mean", "sem");
  assert.ok(Math.abs(s.hi - s.lo - 2 * sd) < 1e-12);
  assert.ok(Math.abs(e.hi - e.lo - sd) < 1e-12);  // 2·sd/√4
});

test("aggregate: fixed bins; a run without a point in a bin is interpolated, not dropped", () => {
  const dense = [], sparse = [];
  for (let x = 0; x <= 100; x++) dense.push([x, 1]);
  for (let x = 0; x <= 100; x += 25) sparse.push([x, 3]);  // only 5 points
  const rows = plain(G.aggregate("g", [dense, sparse], "mean", "minmax"));
  assert.ok(rows.length >= 45);
  for (const r of rows) {
    assert.strictEqual(r.n, 2);
    assert.deepStrictEqual([r.y, r.lo, r.hi], [2, 1, 3]);
  }
});

test("aggregate: nothing outside a run's own x range", () => {
  const long = [[0, 0], [100, 0]], short = [[0, 2], [10, 2]];
  const rows = plain(G.aggregate("g", [long, short], "mean", "minmax"));
  assert.ok(rows.filter((r) => r.x > 20).every((r) => r.n === 1 && r.y === 0));
});

test("CSV: quoting, formulas defused, non-finite numbers spelled out", () => {
  const text = win.RG.tableCsv.text({ cols: ["a", "b,c"], rows: [['say "hi"', 1.5], ["=1+1", NaN], [null, -Infinity],
    ["\t=1+1", "@SUM(A1)"]] });
  assert.strictEqual(text, 'a,"b,c"\r\n"say ""hi""",1.5\r\n\'=1+1,NaN\r\n,-Infinity\r\n\'\t=1+1,\'@SUM(A1)\r\n');
});

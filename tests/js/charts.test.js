// Pure parts of the chart runtime (assets/charts.js) and the view state (assets/state.js).
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");

const win = load(["state.js", "charts.js"]);
const C = win.RG.charts;
const plain = (x) => JSON.parse(JSON.stringify(x));  // values from the script's own realm

test("foldIndex keeps all points of a short series", () => {
  assert.strictEqual(C.foldIndex([[1, 2, 3]], {}, 10), null);
});

test("foldIndex keeps first, last, every spike and every gap", () => {
  const n = 1000, v = [];
  for (let i = 0; i < n; i++) v.push(Math.sin(i / 50));
  v[333] = 50;  // a spike
  v[777] = -50;
  v[500] = null;  // a gap
  const idx = plain(C.foldIndex([v], { 600: "NaN" }, 60));
  assert.ok(idx.length <= 70, String(idx.length));
  for (const must of [0, n - 1, 333, 777, 500, 600]) assert.ok(idx.includes(must), `index ${must} kept`);
  const sorted = [...idx].sort((a, b) => a - b);
  assert.deepStrictEqual(idx, sorted);
});

test("foldIndex keeps the extremes of every drawn series (raw under smoothed)", () => {
  const raw = [], smooth = [];
  for (let i = 0; i < 500; i++) { raw.push(i % 7 === 0 ? 10 : 0); smooth.push(i / 500); }
  raw[250] = 99;
  const idx = C.foldIndex([smooth, raw], {}, 40);
  assert.ok(idx.includes(250));
});

test("the URL hash round-trips the view state", () => {
  const st = { runs: ["a b", "c"], x: "epoch", smooth: 0.9, log: true };
  const hash = win.RG.formatHash(st);
  assert.strictEqual(hash, "#runs=a%20b,c&x=epoch&smooth=0.9&log=1");
  assert.deepStrictEqual(plain(win.RG.parseHash(hash)), st);
  assert.deepStrictEqual(plain(win.RG.parseHash("")), { runs: null, x: "_step", smooth: 0, log: false });
});

test("the URL hash keeps a comma inside a run name, ignores unknown keys and survives bad escapes", () => {
  const st = { runs: ["a,b", "c"], x: "_step", smooth: 0, log: false };
  const hash = win.RG.formatHash(st);
  assert.strictEqual(hash, "#runs=a%2Cb,c");
  assert.deepStrictEqual(plain(win.RG.parseHash(hash + "&nosuchkey=1")), st);
  assert.strictEqual(win.RG.parseHash("#x=%E0%A4%A").x, "_step");
});

test("a feature module registers its own hash key", () => {
  win.RG.stateKey("demoKey", { def: 3, parse: Number, format: (v) => (v === 3 ? null : String(v)) });
  assert.strictEqual(win.RG.state.demoKey, 3);
  assert.strictEqual(win.RG.parseHash("#demoKey=7").demoKey, 7);
  assert.strictEqual(win.RG.formatHash({ runs: null, demoKey: 7 }), "#demoKey=7");
});

test("layersFor marks values with no neighbour to draw a line to (drawn as dots)", () => {
  const row = (run, x, s) => ({ run, x, y: s, s, lo: null, hi: null, bad: null });
  const rows = [row("once", 1, 0.9),                                  // a metric logged once
                row("gap", 0, 1), row("gap", 1, null), row("gap", 2, 3), row("gap", 3, 4),  // alone between gaps
                row("line", 0, 1), row("line", 1, 2)];
  const need = C.layersFor(rows, { wi: -1 });
  assert.strictEqual(need.lone, true);
  assert.deepStrictEqual(rows.map((r) => r.lone), [true, true, false, false, false, false, false]);
  assert.strictEqual(C.layersFor([row("line", 0, 1), row("line", 1, 2)], { wi: -1 }).lone, false);
});

test("defaultNote says when a chart draws, by default, runs the table does not tick", () => {
  assert.strictEqual(C.defaultNote("loss", ["a", "b"], ["a", "b", "c"]), "");
  assert.strictEqual(C.defaultNote("opt/lr", ["x", "y", "z"], ["a", "b"]),
    "The latest 3 runs that logged opt/lr: none of them ticked in the table");
  assert.strictEqual(C.defaultNote("acc", ["a", "x", "y"], ["a", "b"]),
    "The latest 3 runs that logged acc: 2 of them not ticked in the table");
  assert.strictEqual(C.defaultNote("lr", ["x"], ["a"]), "The latest run that logged lr: not ticked in the table");
});

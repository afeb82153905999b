// The pure parts of the lite canvas chart renderer (assets/chart-lite.js): ticks, the y range made
// nice as Vega does, axis labels as the spec's TICK_LABEL, scales and line segments.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");

const L = load(["chart-lite.js"]).RG.lite;
const plain = (x) => JSON.parse(JSON.stringify(x));

test("ticks are 1/2/5 x 10^k steps inside the range", () => {
  assert.deepStrictEqual(plain(L.ticks(0, 1, 5)), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepStrictEqual(plain(L.ticks(0, 299, 6)), [0, 50, 100, 150, 200, 250]);
  assert.deepStrictEqual(plain(L.ticks(-0.013, 0.027, 4)), [-0.01, 0, 0.01, 0.02]);
  assert.deepStrictEqual(plain(L.ticks(3, 3, 5)), [3]);
  // a Step axis over 5 steps: whole steps only (was 0, 0.5, 1, ... 4)
  assert.deepStrictEqual(plain(L.ticks(0, 4, 6)), [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]);
  assert.deepStrictEqual(plain(L.ticks(0, 4, 6, 1)), [0, 1, 2, 3, 4]);
});

test("the y range is widened to whole steps as Vega's nice (count 10)", () => {
  assert.deepStrictEqual(plain(L.nice([0.0033, 1.04], 10)), [0, 1.1]);
  assert.deepStrictEqual(plain(L.nice([0.0001023, 0.10000000149], 10)), [0, 0.11]);  // a float32 0.1 from the data files
  assert.deepStrictEqual(plain(L.nice([0.0001023, 0.1], 10)), [0, 0.1]);
  assert.deepStrictEqual(plain(L.nice([2, 3], 10)), [2, 3]);
  assert.deepStrictEqual(plain(L.nice([0.002, 0.5], 10, true)), [0.001, 1]);
});

test("log ticks: powers of ten, with 2 and 5 between them over few decades", () => {
  assert.deepStrictEqual(plain(L.logTicks(0.001, 1)), [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
  assert.deepStrictEqual(plain(L.logTicks(1e-6, 1)), [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1]);
  assert.ok(L.logTicks(1e-30, 1).length <= 7);
});

test("a log axis near the largest and smallest doubles stays finite (an endless tick loop hung the page)", () => {
  const dom = plain(L.nice([0.0033, 1.5e308], 10, true));
  assert.deepStrictEqual(dom, [0.001, 1.5e308]);
  const ticks = L.logTicks(dom[0], dom[1]);
  assert.ok(ticks.length >= 2 && ticks.length <= 8 && ticks.every(Number.isFinite), String(ticks));
  assert.deepStrictEqual(plain(L.logTicks(0.001, Infinity)), [0.001]);
  assert.deepStrictEqual(plain(L.nice([5e-324, 1], 10, true)), [5e-324, 1]);
});

test("axis labels match the Vega spec's TICK_LABEL (4 significant digits, SI from 1,000)", () => {
  const cases = [[0, "0"], [0.25, "0.25"], [500, "500"], [1000, "1k"], [1500, "1.5k"], [12500, "12.5k"],
                 [2e6, "2M"], [0.30000000000000004, "0.3"], [-0.5, "\u22120.5"], [999999, "1M"], [123456789, "123.5M"]];
  for (const [v, want] of cases) assert.strictEqual(L.tickLabel(v), want, String(v));
});

test("scales map the domain onto pixels (linear and log)", () => {
  const s = L.scale([0, 10], 100, 200);
  assert.strictEqual(s(0), 100); assert.strictEqual(s(5), 150); assert.strictEqual(s(10), 200);
  const y = L.scale([1, 100], 300, 100, true);  // y grows upwards
  assert.strictEqual(y(1), 300); assert.ok(Math.abs(y(10) - 200) < 1e-9); assert.ok(Math.abs(y(100) - 100) < 1e-9);
});

test("lines break at missing, non-finite and (on a log axis) non-positive values", () => {
  const rows = [1, 2, null, 4, 5, -1, 7].map((v, i) => ({ x: i, s: v }));
  assert.deepStrictEqual(plain(L.segments(rows, "s")), [[[0, 1], [1, 2]], [[3, 4], [4, 5], [5, -1], [6, 7]]]);
  assert.deepStrictEqual(plain(L.segments(rows, "s", true)), [[[0, 1], [1, 2]], [[3, 4], [4, 5]], [[6, 7]]]);
  assert.deepStrictEqual(plain(L.xDomain(rows)), [0, 6]);
  assert.deepStrictEqual(plain(L.xDomain([{ x: 4 }])), [3, 5]);
  assert.deepStrictEqual(plain(L.xDomain([])), [0, 1]);
});

// The page's smoothing (reportgen/assets/smooth.js) equals the build's reference loop
// (reportgen/site/smoothing.py ema_reference) on the shared cases in smooth_cases.json, gaps
// (NaN, +-Infinity, null) included; tests/test_smoothing.py checks the cases against Python.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");
const { cases } = require("./smooth_cases.json");

const S = load(["smooth.js"]).RGSmooth;
const num = (v) => (v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v);

test("debiased EMA equals ema_reference at every weight, gaps skipped", () => {
  assert.ok(cases.length >= 50);
  for (const c of cases) {
    const got = Array.from(S.ema(c.y.map(num), c.w));
    assert.strictEqual(got.length, c.want.length, c.name);
    got.forEach((v, i) => {
      const want = c.want[i];
      if (want === null) { assert.strictEqual(v, null, `${c.name} w=${c.w} [${i}]`); return; }
      assert.ok(Math.abs(v - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${c.name} w=${c.w} [${i}]: ${v} vs ${want}`);
    });
  }
});

test("a decoded gap (null) is skipped like NaN", () => {
  const a = Array.from(S.ema([1, null, 3], 0.5)), b = Array.from(S.ema([1, NaN, 3], 0.5));
  assert.deepStrictEqual(a, b);
  assert.strictEqual(a[1], null);
  assert.ok(Math.abs(a[2] - 1.75 / 0.75) < 1e-15);
});

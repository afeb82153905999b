// The browser half of the formatting rules against the cases the Python half passes too
// (tests/test_format.py reads the same format_cases.json).
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");
const cases = require("./format_cases.json");

const F = load(["format.js"]).RGFormat;
const num = (v) => (typeof v === "string" ? Number(v) : v);

test("numbers", () => {
  for (const [v, want] of cases.number) assert.strictEqual(F.number(num(v)), want, `number(${v})`);
  assert.strictEqual(F.number(null), "");
  assert.strictEqual(F.number("text"), "text");
});

test("durations", () => {
  for (const [v, want] of cases.duration) assert.strictEqual(F.duration(v), want, `duration(${v})`);
});

test("dates", () => {
  for (const [v, want] of cases.date) assert.strictEqual(F.date(v), want, `date(${v})`);
  assert.strictEqual(F.date(null), "");
});

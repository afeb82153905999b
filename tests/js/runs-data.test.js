// The bounded default selection and the table-file decoding of assets/runs-data.js.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");

const win = load(["state.js", "runs-data.js"]);
const RG = win.RG;
const plain = (x) => JSON.parse(JSON.stringify(x));

test("default selection: the most recent runs first, undated runs last, ties in site order", () => {
  RG.site = { chartRuns: 3, root: "", runs: [
    { f: "a", created: 10 }, { f: "b", created: null }, { f: "c", created: 30 }, { f: "d", created: 30 },
    { f: "e", created: 20 }] };
  assert.deepStrictEqual(plain(RG.defaultRuns()), ["c", "d", "e"]);
  RG.state.n = 5;
  assert.deepStrictEqual(plain(RG.defaultRuns()), ["c", "d", "e", "a", "b"]);
  RG.state.n = 0;
});

test("default selection skips runs the table filters out", () => {
  RG.table = { passes: (f) => f !== "c" };
  assert.deepStrictEqual(plain(RG.defaultRuns()), ["d", "e", "a"]);
  delete RG.table;
});

test("a chart's default selection: the most recent of its own runs", () => {
  assert.deepStrictEqual(plain(RG.defaultRuns(["a", "b", "e"])), ["e", "a", "b"]);
  assert.deepStrictEqual(plain(RG.defaultRuns(["b"])), ["b"]);
  assert.deepStrictEqual(plain(RG.defaultRuns([])), []);
});

test("table rows decode back to run entries, with each chart's runs", () => {
  RG.site.root = "../../";
  const got = RG.runsData.decode({
    fields: ["f", "label", "tags", "created", "s", "c", "m"],
    cols: { summary: ["loss"], config: ["lr", "opt"] }, metrics: ["m-loss", "m-acc"],
    rows: [["r1", "one", ["x"], 5, [0.5], [0.1, null], [0, 1]], ["r2", "two", null, null, [null], [null, "sgd"], [1]]],
  });
  assert.deepStrictEqual(plain(got.runs[0]), { f: "r1", label: "one", tags: ["x"], created: 5, group: "",
    duration: null, s: { loss: 0.5 }, c: { lr: 0.1 }, url: "../../runs/r1/index.html" });
  assert.deepStrictEqual(plain(got.runs[1].c), { opt: "sgd" });
  assert.deepStrictEqual(plain(got.runs[1].tags), []);
  assert.deepStrictEqual(plain(got.byMetric), { "m-loss": ["r1"], "m-acc": ["r1", "r2"] });
});

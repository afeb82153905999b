// The runs table's column definitions (assets/table-columns.js) and filter/sort rules
// (assets/table-filter.js): the pure parts, without a DOM.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");

const win = load(["state.js", "format.js", "table-columns.js", "table-filter.js"]);
const RG = win.RG, TF = RG.tableFilter, TC = RG.tableColumns;

const site = {
  cols: { summary: ["loss", "note"], config: ["lr", "loss"] },
  runs: [
    { f: "a", label: "alpha", name: "alpha", id: "a", project: "p", group: "g1", state: "finished", tags: ["x"],
      created: 1, duration: 10, s: { loss: 0.2, note: "ok" }, c: { lr: 0.1, loss: "l1" }, m: { loss: [0.1, 0.9, 0.2] } },
    { f: "b", label: "beta", name: "beta", id: "b", project: "p", group: "g2", state: "running", tags: [],
      created: 2, duration: 20, s: { loss: 0.7 }, c: { lr: 0.01, loss: "l2" }, m: { loss: [0.5, 1.5, 0.7] },
      mg: { loss: "maximize" } },
  ],
};

function pass(text, filters) {
  const cols = TC.build(site), q = TF.parseQuery(text, cols);
  return site.runs.filter((r) => TF.rowMatches(r, cols, q.conds, q.text.join(" "), filters || {})).map((r) => r.f);
}

test("columns: fixed first, numeric only when every value is a number", () => {
  const cols = TC.build(site);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(cols.slice(0, 7).map((c) => c.id))), ["name", "project", "group", "tags", "state", "created", "duration"]);
  const byId = Object.fromEntries(cols.map((c) => [c.id, c]));
  assert.strictEqual(byId["summary:loss"].type, "number");
  assert.strictEqual(byId["summary:note"].type, "text");
  assert.strictEqual(byId["config:loss"].type, "text");
  assert.strictEqual(byId["config:lr"].get(site.runs[1]), 0.01);
});

test("summary aggregation follows the state key and the metric's goal", () => {
  RG.state.sagg = "summary";
  assert.strictEqual(TC.summaryValue(site.runs[0], "loss"), 0.2);
  RG.state.sagg = "max";
  assert.strictEqual(TC.summaryValue(site.runs[0], "loss"), 0.9);
  RG.state.sagg = "best";  // minimize by default, maximize where define_metric said so
  assert.deepStrictEqual(site.runs.map((r) => TC.summaryValue(r, "loss")), [0.1, 1.5]);
  assert.strictEqual(TC.summaryValue(site.runs[0], "note"), "ok");  // not a metric: its summary value
  RG.state.sagg = "summary";
});

test("numeric conditions, prefixes, unfinished conditions and text", () => {
  assert.deepStrictEqual(pass("loss < 0.5"), ["a"]);  // a summary and a config column: summary wins
  assert.deepStrictEqual(pass("config.lr >= 0.05"), ["a"]);
  assert.deepStrictEqual(pass("lr < 1 and loss > 0.5"), ["b"]);
  assert.deepStrictEqual(pass("loss <"), ["a", "b"]);  // still being typed: filters nothing
  assert.deepStrictEqual(pass("nosuch < 1"), []);  // an unknown column matches no run
  assert.deepStrictEqual(pass("BET"), ["b"]);
  assert.deepStrictEqual(pass("g1, loss < 1"), ["a"]);
});

test("per-column filters: numeric ranges and shown text", () => {
  assert.deepStrictEqual(pass("", { "summary:loss": { min: "0.5", max: "" } }), ["b"]);
  assert.deepStrictEqual(pass("", { state: { text: "RUN" } }), ["b"]);
  assert.deepStrictEqual(pass("", { nosuch: { text: "x" } }), ["a", "b"]);
});

test("sort order: blanks last, numbers numerically, text naturally", () => {
  const v = [null, "run10", 3, "run2", "", 20];
  const nums = v.filter((x) => typeof x === "number").sort(TF.compare);
  assert.deepStrictEqual(nums, [3, 20]);
  assert.deepStrictEqual(["run10", "run2", null, "Run1"].sort(TF.compare), ["Run1", "run2", "run10", null]);
});

test("ints past 2**53 (their digits, listed in the run's ints) are a number column of BigInts, exact", () => {
  const big = {
    cols: { summary: [], config: ["seed", "tag"] },
    runs: [["x", "1152921504606846981"], ["y", 7], ["z", "1152921504606846979"], ["w", "-9223372036854775809"]].map(
      ([f, seed]) => ({ f, label: f, name: f, id: f, project: "p", group: "", state: "finished", tags: [], created: 1,
                        duration: 1, s: {}, c: { seed, tag: "123" }, ints: typeof seed === "string" ? ["config:seed"] : undefined })),
  };
  const cols = TC.build(big), byId = Object.fromEntries(cols.map((c) => [c.id, c]));
  assert.strictEqual(byId["config:seed"].type, "number");
  assert.strictEqual(byId["config:tag"].type, "text");  // digits logged as text stay text
  const order = big.runs.slice().sort((a, b) => TF.compare(byId["config:seed"].get(a), byId["config:seed"].get(b)));
  assert.deepStrictEqual(order.map((r) => r.f), ["w", "y", "z", "x"]);
  assert.strictEqual(byId["config:seed"].fmt(byId["config:seed"].get(big.runs[0])), "1152921504606846981");
  const q = TF.parseQuery("seed > 1152921504606846979", cols);
  assert.deepStrictEqual(big.runs.filter((r) => TF.rowMatches(r, cols, q.conds, "", {})).map((r) => r.f), ["x"]);
  const f = { "config:seed": { min: "-9223372036854775809", max: "1152921504606846979" } };
  assert.deepStrictEqual(big.runs.filter((r) => TF.rowMatches(r, cols, [], "", f)).map((r) => r.f), ["y", "z", "w"]);
  assert.ok(TF.holds(7n, "==", 7) && !TF.holds(7n, "!=", 7));
});

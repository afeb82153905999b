// Logged Vega-Lite charts fitted to their panel (assets/vega-fit.js): the pr_curve / roc_curve
// legend beside a 300 px plot made a 390 px phone page 417 px wide.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");

const F = load(["vega-fit.js"]).RGVegaFit;
const plain = (x) => JSON.parse(JSON.stringify(x));
const curve = () => ({
  data: { values: [] }, mark: "line",
  encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" },
              color: { field: "class", type: "nominal" } },
});

test("a chart without a width fills its panel; the given spec is not changed", () => {
  const spec = curve(), before = plain(spec);
  const out = plain(F.fit(spec, 900));
  assert.strictEqual(out.width, "container");
  assert.deepStrictEqual(out.autosize, { type: "fit-x", contains: "padding" });
  assert.strictEqual(out.config, undefined);  // wide: the legend stays beside the plot
  assert.deepStrictEqual(plain(spec), before);
});

test("in a phone-wide panel legends go below the plot, in the columns that fit", () => {
  const out = plain(F.fit(Object.assign(curve(), { config: { axis: { grid: false } } }), 330));
  assert.deepStrictEqual(out.config.axis, { grid: false });
  assert.strictEqual(out.config.legend.orient, "bottom");
  assert.strictEqual(out.config.legend.columns, 2);
  assert.ok(out.config.legend.labelLimit <= 130);
  assert.strictEqual(plain(F.fit(curve(), 100)).config.legend.columns, 1);
});

test("a spec's own width, autosize and legend placement are kept", () => {
  const own = Object.assign(curve(), { width: 600, config: { legend: { orient: "top" } } });
  assert.deepStrictEqual(plain(F.fit(own, 330)), plain(own));
  const enc = curve();
  enc.encoding.color.legend = { orient: "right" };
  enc.autosize = "pad";
  const out = plain(F.fit(enc, 330));
  assert.strictEqual(out.autosize, "pad");
  assert.strictEqual(out.config, undefined);
  const layered = { layer: [enc] };
  assert.strictEqual(plain(F.fit(layered, 330)).config, undefined);
  assert.strictEqual(F.fit(layered, 330).width, "container");
});

test("a chart's title ends at the panel's edge (a 256-character title widened the chart beyond it)", () => {
  const out = plain(F.fit(Object.assign(curve(), { title: "T".repeat(256) }), 330));
  assert.deepStrictEqual(out.config.title, { limit: 306 });
  const own = Object.assign(curve(), { title: "t", config: { title: { limit: 40 } } });
  assert.deepStrictEqual(plain(F.fit(own, 330)).config.title, { limit: 40 });
});

test("composed specs are left alone", () => {
  for (const spec of [{ hconcat: [curve(), curve()] }, { facet: { field: "a" }, spec: curve() },
                      { repeat: ["a"], spec: curve() },
                      Object.assign(curve(), { encoding: { row: { field: "a" } } })]) {
    assert.strictEqual(F.fit(spec, 330), spec);
  }
});

test("a plotly figure on a phone gets narrow margins and its legend below, unless it sets them", () => {
  const layout = { title: { text: "t" } };
  assert.strictEqual(F.plotly(layout, 900), layout);
  const out = plain(F.plotly(layout, 330));
  assert.deepStrictEqual(out.margin, { l: 48, r: 16, t: 48, b: 40 });
  assert.strictEqual(out.legend.orientation, "h");
  assert.deepStrictEqual(plain(layout), { title: { text: "t" } });
  const own = { margin: { l: 5 }, legend: { x: 1 } };
  assert.deepStrictEqual(plain(F.plotly(own, 330)), plain(own));
  assert.strictEqual(plain(F.plotly(undefined, 330)).margin.t, 24);
});

test("a bar chart of categories gets its height as a number (Vega-Lite warns on a step beside a container width)", () => {
  const bars = (extra) => Object.assign({ data: { values: [{ l: "cat", v: 1 }, { l: "dog", v: 2 }, { l: "cat", v: 3 }] },
    mark: "bar", encoding: { y: { field: "l", type: "nominal" }, x: { field: "v", type: "quantitative" } } }, extra || {});
  const out = plain(F.fit(bars(), 900));
  assert.strictEqual(out.width, "container");
  assert.strictEqual(out.height, 40);
  assert.strictEqual(plain(F.fit(bars({ height: { step: 30 } }), 900)).height, 60);
  assert.strictEqual(plain(F.fit(bars({ height: 99 }), 900)).height, 99);
  // categories that cannot be counted (data by name, a transform): the chart keeps its own size
  const named = bars({ data: { name: "table" } });
  assert.strictEqual(F.fit(named, 900).width, undefined);
  assert.strictEqual(F.fit(bars({ transform: [{ filter: "true" }] }), 900).width, undefined);
});

test("a long axis title ends in an ellipsis at the panel's edge instead of squeezing the plot away", () => {
  const spec = curve();
  spec.encoding.x.axis = { title: "X".repeat(300) };
  spec.layer = undefined;
  const out = plain(F.fit(spec, 900));
  assert.strictEqual(out.config.axisX.titleLimit, 840);
  assert.strictEqual(out.config.axisY, undefined);  // the y title is short: left alone
  const own = curve();
  own.encoding.x.axis = { title: "X".repeat(300) };
  own.config = { axis: { titleLimit: 50 } };
  assert.deepStrictEqual(plain(F.fit(own, 900)).config, { axis: { titleLimit: 50 } });  // its own limit is kept
  assert.strictEqual(plain(F.fit(curve(), 900)).config, undefined);  // short titles: unchanged
});

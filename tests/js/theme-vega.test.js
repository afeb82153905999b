// Names that are properties of Object.prototype handed to Vega (assets/theme-vega.js): Vega gets
// them with a zero-width space (it throws on "constructor" as a title, field or category), the
// reader gets them as logged (legend and axis labels, tooltips, the CSV download).
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");

function themed() {
  const calls = [];
  const win = load(["theme-vega.js"], { vegaEmbed: (t, spec, opts) => { calls.push({ spec, opts }); return Promise.resolve({}); } });
  return { RG: win.RG, embed: win.vegaEmbed, calls, inPage: win.inPage };
}
const Z = "\u200b";
const plain = (x) => JSON.parse(JSON.stringify(x));

test("names are marked for Vega and given back exactly as logged", () => {
  const { RG, inPage } = themed();
  for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
    assert.strictEqual(RG.vegaSafe(name), name + Z);
    assert.strictEqual(RG.vegaShown(RG.vegaSafe(name)), name);
    // a name logged with a zero-width space already is told apart from a marked one
    assert.strictEqual(RG.vegaShown(RG.vegaSafe(name + Z)), name + Z);
  }
  assert.strictEqual(RG.vegaSafe("constructors"), "constructors");
  assert.strictEqual(RG.vegaShown("loss" + Z), "loss" + Z);  // only marks theme-vega.js made
  const rows = inPage(`JSON.parse('[{"__proto__": 1, "run": "constructor"}, {"run": "a"}]')`);
  assert.strictEqual(RG.vegaSafe(rows)[0].run, "constructor" + Z);
  const back = RG.vegaShown(RG.vegaSafe(rows));
  assert.deepStrictEqual(Object.keys(back[0]), ["__proto__", "run"]);
  assert.strictEqual(back[0].run, "constructor");
  assert.strictEqual(Object.getPrototypeOf(back[0]), null);  // the key "__proto__" is a key
});

test("a chart with such names shows its legend and axis labels and tooltips as logged", async () => {
  const { embed, calls, inPage } = themed();
  const spec = inPage(`{ data: { values: [{ c: "toString" }] }, mark: "point",
                 encoding: { color: { field: "c", type: "nominal" }, shape: { field: "c", legend: { labelExpr: "'own'" } },
                             size: { field: "c", legend: null } } }`);
  const before = plain(spec);
  await embed({}, spec, { actions: false });
  const { spec: out, opts } = calls[0];
  assert.deepStrictEqual(plain(spec), before);  // the caller's spec is not changed
  assert.strictEqual(out.data.values[0].c, "toString" + Z);
  assert.match(out.encoding.color.legend.labelExpr, /slice\(datum.label, 0, -1\)/);
  assert.strictEqual(out.encoding.shape.legend.labelExpr, "'own'");
  assert.strictEqual(out.encoding.size.legend, null);
  assert.match(out.config.axis.labelExpr, /toString/);
  assert.strictEqual(opts.actions, false);
  assert.strictEqual(opts.tooltip.sanitize("toString" + Z), "toString");
  assert.strictEqual(opts.tooltip.sanitize("<b>&"), "&lt;b>&amp;");
});

test("a chart without such names is handed over as built", async () => {
  const { embed, calls, inPage } = themed();
  const spec = inPage(`{ data: { values: [{ c: "a" }] }, mark: "point", encoding: { color: { field: "c", type: "nominal" } } }`);
  await embed({}, spec, { tooltip: false });
  assert.strictEqual(calls[0].spec, spec);
  assert.strictEqual(calls[0].opts.tooltip, false);
});

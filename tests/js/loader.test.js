// The one JSONP loader: a data script that cannot be loaded calls back with an error
// (before, the media panels' loader never called back and a panel waited forever).
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");

function fakeDocument() {
  const added = [];
  return { added, head: { appendChild: (s) => added.push(s) }, createElement: () => ({}) };
}

test("receive delivers to everyone waiting, once per script", () => {
  const doc = fakeDocument();
  const chan = load(["loader.js"], { console: { warn() {} } }).RGLoader.channel(doc);
  const got = [];
  chan.load("a", "data/a.js", (p) => got.push(["first", p]));
  chan.load("a", "data/a.js", (p) => got.push(["second", p]));
  assert.strictEqual(doc.added.length, 1);
  chan.receive("a", { x: 1 });
  assert.deepStrictEqual(got, [["first", { x: 1 }], ["second", { x: 1 }]]);
  chan.load("a", "data/a.js", (p) => got.push(["cached", p]));
  assert.strictEqual(doc.added.length, 1);
  assert.deepStrictEqual(got[2], ["cached", { x: 1 }]);
});

test("a script that fails to load calls back with an error", () => {
  const doc = fakeDocument();
  const chan = load(["loader.js"], { console: { warn() {} } }).RGLoader.channel(doc);
  const got = [];
  chan.load("b", "data/b.js", (p, err) => got.push([p, String(err)]));
  doc.added[0].onerror();
  assert.deepStrictEqual(got, [[null, "Error: could not load data/b.js"]]);
  chan.load("b", "data/b.js", () => {});  // tried again after a failure: a new script
  assert.strictEqual(doc.added.length, 2);
});

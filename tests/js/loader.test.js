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

// ---- decoding the binary data files (the Python side: reportgen/site/encode.py; round trip in
// tests/test_site_data.py) ----
function b64(typed) { return Buffer.from(typed.buffer).toString("base64"); }
const plain = (v) => JSON.parse(JSON.stringify(v));  // arrays made in the vm context

test("columns: float32 with gaps, int differences with an offset, scaled values", () => {
  const L = load(["loader.js"], { atob }).RGLoader;
  assert.deepStrictEqual(plain(L.col({ t: "f4", b: b64(new Float32Array([0.5, NaN, Infinity, -2])) })), [0.5, null, null, -2]);
  assert.deepStrictEqual(plain(L.col({ t: "d1", b: b64(new Int8Array([0, 1, 1, 3])), o: 10 })), [10, 11, 12, 15]);
  assert.deepStrictEqual(plain(L.col({ t: "f8", b: b64(new Float64Array([1, 2])), o: 1e9, s: 0.5 })), [1e9 + 0.5, 1e9 + 1]);
  assert.deepStrictEqual(plain(L.col({ t: "f2", b: b64(new Uint16Array([0x3c00, 0xc000, 0x7e00])) })), [1, -2, null]);
});

test("a run's series: x from the row table, band from each bucket's kept points, smoothing between anchors", () => {
  const L = load(["loader.js"], { atob }).RGLoader;
  const run = {
    run: "r", x: { _step: { t: "d1", b: b64(new Int8Array([0, 10, 10, 10, 10, 10])) } },
    m: { loss: { key: "loss", n: 60, r: { t: "d1", b: b64(new Int8Array([0, 1, 1, 1, 1, 1])) },
                 y: { t: "f4", b: b64(new Float32Array([1, 5, 2, 3, NaN, 4])) }, nf: [[4, "NaN"]],
                 c: { t: "u1", b: b64(new Uint8Array([3, 3])) } } },
  };
  // anchors: each bucket's first point (0, 3) and the last point (5); two weights, row after row
  const smooth = { w: [0.5, 0.9], m: { loss: { t: "f4", b: b64(new Float32Array([1, 3, 4, 1, 2, 3])) } } };
  const got = L.series({ "runs/r": run, "smooth/r": smooth }, "loss", "r", false, 1);
  assert.deepStrictEqual(plain(got.p.x._step), [0, 10, 20, 30, 40, 50]);
  assert.deepStrictEqual(plain(got.p.y), [1, 5, 2, 3, null, 4]);
  assert.deepStrictEqual(plain(got.p.lo), [1, 1, 1, 3, 3, 3]);
  assert.deepStrictEqual(plain(got.p.hi), [5, 5, 5, 4, 4, 4]);
  // weight 0.9: 1 at step 0, 2 at step 30, 3 at step 50; interpolated along the step; null at the NaN
  assert.deepStrictEqual(plain(got.ss.map((v) => v === null ? null : Math.round(v * 1000) / 1000)),
                         [1, 1.333, 1.667, 2, null, 3]);
  assert.strictEqual(L.series({ "runs/r": run }, "nope", "r", false, -1).p, null);
});

test("a series kept whole is smoothed in the page; its run file says when a smoothing file exists", () => {
  const L = load(["smooth.js", "loader.js"], { atob }).RGLoader;
  // exact decimals (e: 2, z: a gap) and an arithmetic row table (type a, no bytes)
  const run = {
    run: "r", w: [0.5, 0.9], x: { _step: { t: "a", n: 4, o: 0, d: 5 } },
    m: { loss: { key: "loss", n: 4, r: { t: "a", n: 4, o: 0, d: 1 }, nf: [[1, "NaN"]],
                 y: { t: "d1", b: b64(new Int8Array([100, 0, 100, -50])), o: 0, e: 2, z: [1] } } },
  };
  const got = L.series({ "runs/r": run }, "loss", "r", false, 0);
  assert.deepStrictEqual(plain(got.p.x._step), [0, 5, 10, 15]);
  assert.deepStrictEqual(plain(got.p.y), [1, null, 2, 1.5]);
  // w = 0.5: 1; gap; (0.25 + 1) / 0.75; (0.625 + 0.75) / 0.875
  assert.deepStrictEqual(plain(got.ss), [1, null, 1.25 / 0.75, 1.375 / 0.875]);
  assert.strictEqual(L.series({ "runs/r": run }, "loss", "r", false, -1).ss, null);
  // which files a chart loads: the run file, and its smoothing file only when it says it has one
  assert.deepStrictEqual(plain(L.runIds({}, "r", 0)), ["runs/r"]);
  assert.deepStrictEqual(plain(L.runIds({ "runs/r": run }, "r", 0)), ["runs/r"]);
  const folded = Object.assign({}, run, { s: 1 });
  assert.deepStrictEqual(plain(L.runIds({ "runs/r": folded }, "r", 3)), ["runs/r", "smooth/r"]);
  assert.deepStrictEqual(plain(L.runIds({ "runs/r": folded }, "r", -1)), ["runs/r"]);
  // a downsampled series (c) whose smoothing file is not loaded gets no smoothing, never a made-up one
  const ds = { run: "r", w: [0.5], x: run.x, m: { loss: Object.assign({}, run.m.loss, { n: 40, c: { t: "u1", b: b64(new Uint8Array([2, 2])) } }) } };
  assert.strictEqual(L.series({ "runs/r": ds }, "loss", "r", false, 0).ss, null);
});

test("run ids and metric names like Object.prototype's properties are looked up as data", () => {
  // The decoded-series cache was a plain object: run "constructor" of an overview file got
  // Object itself back (p.x undefined: grouped charts threw); a run absent from a file found
  // Object.prototype.toString as its series.
  const L = load(["loader.js"], { atob }).RGLoader;
  const m = (v) => ({ key: "loss", n: 2, r: { t: "a", n: 2, o: 0, d: 1 }, y: { t: "f4", b: b64(new Float32Array([v, v])) } });
  const ov = { key: "loss", runs: { constructor: Object.assign({ x: { _step: { t: "a", n: 2, o: 0, d: 1 } } }, m(7)) } };
  const got = L.series({ "overview/loss": ov }, "loss", "constructor", true, -1);
  assert.deepStrictEqual(plain(got.p.x._step), [0, 1]);
  assert.deepStrictEqual(plain(got.p.y), [7, 7]);
  for (const f of ["toString", "valueOf", "__proto__", "hasOwnProperty"]) {
    assert.strictEqual(L.series({ "overview/loss": ov }, "loss", f, true, -1).p, null, f);
    assert.strictEqual(L.series({ "overview/loss": ov, "overview-smooth/loss": { w: [0.5], runs: {} } }, "loss", f, true, 0).p, null, f);
  }
  const run = { run: "r", x: { _step: { t: "a", n: 2, o: 0, d: 1 } }, m: { loss: m(3) } };
  for (const metric of ["toString", "constructor", "__proto__"]) {
    assert.strictEqual(L.series({ "runs/r": run }, metric, "r", false, -1).p, null, metric);
  }
  const s = L.series({ "runs/r": run, "smooth/r": { w: [0.5], m: {} } }, "loss", "r", false, 0);
  assert.deepStrictEqual(plain(s.p.y), [3, 3]);
});

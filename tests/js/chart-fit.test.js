// The y range fit and the map-valued hash codecs (assets/chart-fit.js), and the per-panel
// settings in effect (assets/charts.js settingsOf).
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { load } = require("./load.js");

const win = load(["state.js", "charts.js", "chart-spec.js", "chart-fit.js"]);
const F = win.RGFit;
const plain = (x) => JSON.parse(JSON.stringify(x));
const row = (s, y, extra) => Object.assign({ run: "a", x: 0, y: y === undefined ? s : y, s, lo: null, hi: null, bad: null }, extra || {});

test("with smoothing the fit follows the smoothed line past its warm-up, not the raw spike", () => {
  const rows = [row(12, 12, { warm: 1 })];
  for (let i = 1; i < 100; i++) rows.push(row(1 + i / 100, i === 50 ? 30 : 1));
  assert.deepStrictEqual(plain(F.yDomain(rows, { smooth: true })), [1.01, 1.99]);
  // without smoothing every drawn value counts (s is the raw value then), the min-max band too
  const raw = rows.map((r) => row(r.y, r.y, { warm: r.warm }));
  raw.push(row(1, 1, { lo: -5, hi: 2 }));
  assert.deepStrictEqual(plain(F.yDomain(raw, { smooth: false })), [-5, 30]);
  // only warm-up points: they are all there is to fit
  assert.deepStrictEqual(plain(F.yDomain([row(3, 3, { warm: 1 }), row(4, 4, { warm: 1 })], { smooth: true })), [3, 4]);
});

test("warm-up length of the debiased EMA", () => {
  assert.strictEqual(F.warmup(0), 0);
  assert.ok(F.warmup(0.5) >= 2 && F.warmup(0.5) <= 4);
  assert.ok(F.warmup(0.99) >= F.warmup(0.9));
});

test("ignore outliers fits the 5th-95th percentile with a margin", () => {
  const rows = [];
  for (let i = 0; i <= 100; i++) rows.push(row(i));
  rows.push(row(1e6));
  const [lo, hi] = F.yDomain(rows, { outliers: true });
  assert.ok(lo < 5 && lo > -10, String(lo));
  assert.ok(hi > 95 && hi < 120, String(hi));
  assert.deepStrictEqual(plain(F.yDomain(rows, {})), [0, 1e6]);
});

test("a set y range wins; log drops values <= 0; flat lines get a range", () => {
  const rows = [row(-1), row(0), row(2), row(8)];
  assert.deepStrictEqual(plain(F.yDomain(rows, { ymin: 0, ymax: 5 })), [0, 5]);
  assert.deepStrictEqual(plain(F.yDomain(rows, { ymax: 5 })), [-1, 5]);
  assert.deepStrictEqual(plain(F.yDomain(rows, { log: true })), [2, 8]);
  assert.deepStrictEqual(plain(F.yDomain(rows, { log: true, ymin: 0 })), [2, 8]);  // 0 has no place on a log axis
  assert.deepStrictEqual(plain(F.yDomain([row(2), row(2)], {})), [1.9, 2.1]);
  assert.strictEqual(F.yDomain([], {}), null);
  assert.strictEqual(F.yDomain([row(null)], { log: true }), null);
});

test("per-panel settings round-trip through the hash value", () => {
  const m = { "train/loss": { log: true, ymin: 0, ymax: 2.5, smooth: 0.9, x: "epoch", outliers: false }, "a,b;c:d": { log: false } };
  const s = F.formatPanels(m);
  assert.strictEqual(s.split(",")[1], "train/loss;ymin:0;ymax:2.5;log:1;outliers:0;smooth:0.9;x:epoch");
  assert.deepStrictEqual(plain(F.parsePanels(s)), m);
  assert.strictEqual(F.formatPanels({}), null);
  // malformed fields and bad escapes are dropped, not thrown
  assert.deepStrictEqual(plain(F.parsePanels("loss;ymin:abc;log:1;nope:3,%E0%A4%A;log:1,acc;smooth:7")), { loss: { log: true } });
});

test("zoom and overlays round-trip through the hash value", () => {
  const z = { loss: { x: "_step", xd: [10, 1500.123456789], yd: [0.1, 2] } };
  const s = F.formatZoom(z);
  assert.strictEqual(s, "loss;_step;10;1500.12;0.1;2");
  assert.deepStrictEqual(plain(F.parseZoom(s)), { loss: { x: "_step", xd: [10, 1500.12], yd: [0.1, 2] } });
  assert.deepStrictEqual(plain(F.parseZoom("loss;_step;1;2;x;4,bad")), {});
  const ov = [["train/loss", "val/loss"], ["a+b", "c"]];
  assert.strictEqual(F.formatOverlays(ov), "train/loss+val/loss,a%2Bb+c");
  assert.deepStrictEqual(plain(F.parseOverlays(F.formatOverlays(ov))), ov);
});

test("a panel's URL setting beats its workspace default, which beats the page's control", () => {
  const RG = win.RG;
  RG.site = { xopts: [{ key: "_step", label: "Step" }, { key: "epoch", label: "epoch" }], weights: [0.5, 0.9, 0.99] };
  RG.state.smooth = 0.5; RG.state.log = false; RG.state.x = "_step";
  RG.state.pp = { loss: { log: true } };
  const ch = { panel: "loss", defaults: { log: false, smooth: 0.99, x: "epoch", ymax: 3 }, dx: null };
  const st = RG.charts.settingsOf(ch);
  assert.strictEqual(st.log, true);
  assert.strictEqual(st.wi, 2);
  assert.strictEqual(st.x, "epoch");
  assert.strictEqual(st.ymax, 3);
  assert.strictEqual(RG.charts.settingsOf({ panel: "acc", defaults: null, dx: null }).wi, 0);
});

test("live and crashed runs are drawn first, pinned runs last", () => {
  const RG = win.RG;
  RG.runsByFile = { a: { state: "finished" }, b: { state: "running" }, c: { state: "crashed" }, d: { state: "finished" } };
  RG.state.pin = ["a"];
  assert.deepStrictEqual(plain(RG.charts.drawOrder(["a", "b", "c", "d"])), ["b", "c", "d", "a"]);
  delete RG.state.pin;
});

// Load browser scripts of reportgen/assets into a fresh context with a minimal `window`
// (no DOM): the pure functions they define can then be tested with node's own test runner.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const ASSETS = path.join(__dirname, "..", "..", "reportgen", "assets");

function load(files, extra) {
  // the browser APIs the scripts touch when loaded (no layout here: nothing is observed)
  const window = { addEventListener() {}, console, ResizeObserver: class { observe() {} } };
  Object.assign(window, extra || {});
  const context = vm.createContext({ window, console, globalThis: undefined });
  context.globalThis = context;
  for (const f of files) vm.runInContext(fs.readFileSync(path.join(ASSETS, f), "utf8"), context, { filename: f });
  // objects made in the scripts' own realm (their Object.prototype is not this file's)
  Object.defineProperty(window, "inPage", { value: (code) => vm.runInContext("(" + code + ")", context) });
  return window;
}

module.exports = { load, ASSETS };

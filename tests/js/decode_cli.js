// Decode a built site's chart data with the page's own decoder (reportgen/assets/loader.js):
//   node tests/js/decode_cli.js SITE RUN METRIC_ID [overview] [WEIGHT_INDEX]
// prints {"p": series, "ss": smoothed values or null} as JSON (NaN-free: gaps are null).
// Used by the Python tests (tests/site_data.py) so that they check what the browser will draw.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { load } = require("./load.js");

const [site, run, mid, mode, wiArg] = process.argv.slice(2);
const overview = mode === "overview";
const wi = wiArg === undefined ? -1 : Number(wiArg);
const window = load(["smooth.js", "loader.js"], { atob });
const loaded = {};
const RG = { receive(id, payload) { loaded[id] = payload; } };
function run_file(rel) {
  const text = fs.readFileSync(path.join(site, "data", rel + ".js"), "utf8");
  new Function("RG", text)(RG);
}
if (overview) {
  run_file("overview/" + mid);
  if (wi >= 0) run_file("overview-smooth/" + mid);
} else {
  // the files a chart loads (RGLoader.runIds): the run file, then its smoothing file if it names one
  run_file("runs/" + run);
  window.RGLoader.runIds(loaded, run, wi).slice(1).forEach(run_file);
}
const got = window.RGLoader.series(loaded, mid, run, overview, wi);
process.stdout.write(JSON.stringify(got));

/* reportgen number, duration and date formatting: the browser half of one set of rules
   (reportgen/site/fmt.py is the Python half; tests/fixtures/format_cases.json holds the cases both
   must agree on). Numbers: integers exactly (below 1e15); otherwise 6 significant digits, in
   exponent form ("1.23457e+6") when the exponent is below -4 or at least 6; NaN/Infinity by name.
   Durations: "86ms" (under a second), "42s", "3m 07s", "2h 05m". Dates (unix seconds): "2024-01-31 12:05 UTC". */
(function (root) {
  "use strict";
  var F = {};

  function strip(s) {  // "1.50000" -> "1.5", "2.000" -> "2"
    return s.indexOf(".") < 0 ? s : s.replace(/0+$/, "").replace(/\.$/, "");
  }
  F.number = function (v) {
    if (v === null || v === undefined) return "";
    if (typeof v !== "number") return String(v);
    if (isNaN(v)) return "NaN";
    if (!isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    var e = v.toExponential(5), at = e.indexOf("e"), exp = parseInt(e.slice(at + 1), 10);
    if (exp < -4 || exp >= 6) return strip(e.slice(0, at)) + "e" + (exp < 0 ? "-" : "+") + Math.abs(exp);
    return strip(v.toFixed(5 - exp));
  };
  F.duration = function (s) {
    if (typeof s !== "number" || !isFinite(s) || s < 0) return "";
    var ms = Math.round(s * 1000);
    if (ms > 0 && ms < 1000) return ms + "ms";  // look18: a sub-second run shows its real length, not "0s"
    s = Math.round(s);
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60); s = s % 60;
    if (m < 60) return m + "m " + (s < 10 ? "0" : "") + s + "s";
    var h = Math.floor(m / 60); m = m % 60;
    return h + "h " + (m < 10 ? "0" : "") + m + "m";
  };
  /* ISO 8601 of a time in ms since the epoch; "" for one no Date holds (beyond 8.64e15 ms either
     way: a run folder's number, e.g. run.json created 1e308, where toISOString throws). */
  F.iso = function (ms) {
    var d = new Date(ms);
    return isNaN(d.getTime()) ? "" : d.toISOString();
  };
  F.date = function (v) {
    if (typeof v !== "number" || !isFinite(v)) return "";
    var s = F.iso(v * 1000);  // years 1 to 9999, as Python's datetime (site/fmt.py): "" beyond
    return /^\d{4}-/.test(s) && s.slice(0, 4) !== "0000" ? s.replace("T", " ").slice(0, 16) + " UTC" : "";
  };

  root.RGFormat = F;
  if (typeof module !== "undefined" && module.exports) module.exports = F;
})(typeof window !== "undefined" ? window : globalThis);

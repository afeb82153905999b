/* CSV export of a table on screen: RG.tableCsv.text({cols, rows}) (RFC 4180 quoting; numbers in
   full precision; a text cell that RG.tableCsv.formula() says a spreadsheet would run as a formula
   gets a leading ') and .download(table, name), a Blob link (works from file://, no server). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  // a cell starting with = + - @, a tab or a carriage return (OWASP's list); chart-actions.js's CSV
  // asks this too, so both exports defuse the same cells
  function formula(s) { return /^[=+\-@\t\r]/.test(s); }
  function field(v) {
    if (v === null || v === undefined) return "";
    var s = typeof v === "number" ? (isFinite(v) ? String(v) : (isNaN(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity")))
      : String(v);
    if (typeof v !== "number" && typeof v !== "bigint" && formula(s)) s = "'" + s;  // (-2**64 is a number)
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  RG.tableCsv = {
    formula: formula,
    text: function (t) {
      return [t.cols].concat(t.rows).map(function (row) { return row.map(field).join(","); }).join("\r\n") + "\r\n";
    },
    download: function (t, name) {
      var url = URL.createObjectURL(new Blob([RG.tableCsv.text(t)], { type: "text/csv;charset=utf-8" }));
      var a = document.createElement("a");
      a.href = url; a.download = name; a.style.display = "none";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 0);
    }
  };
})();

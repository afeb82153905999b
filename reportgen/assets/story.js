/* Console panel of a run page: line numbers, ANSI colours (SGR) as spans, error lines marked,
   search with match navigation, next error, jump to end. Text is only ever set with
   textContent: nothing from the log is parsed as HTML. */
(function () {
  "use strict";
  var root = document.getElementById("rg-console");
  if (!root) return;
  var rawEl = root.querySelector(".rg-console-raw");
  var raw = rawEl.textContent;
  var body = root.querySelector(".rg-console-rows");
  var OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
  var CSI = /\x1b\[([0-9;?]*)([ -\/]*[@-~])/g;
  var CTRL = /[\x00-\x08\x0b-\x1f\x7f]/g;
  var ERR = /(\b(error|exception|fatal|failed|failure|panic)\b|^[\w.]*(error|exception|interrupt|exit)\b:?|^traceback \(most recent call last\)|^\s*raise\b|\bkilled\b)/i;
  var PALETTE = ["#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
                 "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"];

  function color256(n) {
    if (n < 16) return PALETTE[n];
    if (n < 232) {
      n -= 16;
      var s = [0, 95, 135, 175, 215, 255];
      return "rgb(" + s[Math.floor(n / 36)] + "," + s[Math.floor(n / 6) % 6] + "," + s[n % 6] + ")";
    }
    var g = 8 + (n - 232) * 10;
    return "rgb(" + g + "," + g + "," + g + ")";
  }
  function clampByte(v) { v = parseInt(v, 10); return isFinite(v) ? Math.max(0, Math.min(255, v)) : 0; }

  var st = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
  function reset() { st = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false }; }
  function sgr(params) {
    var p = params === "" ? [0] : params.split(";").map(function (x) { return x === "" ? 0 : parseInt(x, 10); });
    for (var i = 0; i < p.length; i++) {
      var c = p[i];
      if (c === 0) reset();
      else if (c === 1) st.bold = true;
      else if (c === 2) st.dim = true;
      else if (c === 3) st.italic = true;
      else if (c === 4) st.underline = true;
      else if (c === 22) { st.bold = false; st.dim = false; }
      else if (c === 23) st.italic = false;
      else if (c === 24) st.underline = false;
      else if (c >= 30 && c <= 37) st.fg = PALETTE[c - 30];
      else if (c >= 90 && c <= 97) st.fg = PALETTE[c - 90 + 8];
      else if (c === 39) st.fg = null;
      else if (c >= 40 && c <= 47) st.bg = PALETTE[c - 40];
      else if (c >= 100 && c <= 107) st.bg = PALETTE[c - 100 + 8];
      else if (c === 49) st.bg = null;
      else if ((c === 38 || c === 48) && p[i + 1] === 5) {
        var col = color256(Math.max(0, Math.min(255, p[i + 2] || 0)));
        if (c === 38) st.fg = col; else st.bg = col;
        i += 2;
      } else if ((c === 38 || c === 48) && p[i + 1] === 2) {
        var rgb = "rgb(" + clampByte(p[i + 2]) + "," + clampByte(p[i + 3]) + "," + clampByte(p[i + 4]) + ")";
        if (c === 38) st.fg = rgb; else st.bg = rgb;
        i += 4;
      }
    }
  }
  function styled() { return st.fg || st.bg || st.bold || st.dim || st.italic || st.underline; }
  function span(parent, text) {
    if (!text) return;
    text = text.replace(CTRL, "");
    if (!styled()) { parent.appendChild(document.createTextNode(text)); return; }
    var s = document.createElement("span");
    s.textContent = text;
    if (st.fg) s.style.color = st.fg;
    if (st.bg) s.style.backgroundColor = st.bg;
    if (st.bold) s.style.fontWeight = "bold";
    if (st.dim) s.style.opacity = "0.7";
    if (st.italic) s.style.fontStyle = "italic";
    if (st.underline) s.style.textDecoration = "underline";
    s.className = "rg-ansi";
    parent.appendChild(s);
  }

  var lines = raw.split("\n"), rows = [], plain = [], errors = [];
  var frag = document.createDocumentFragment();
  lines.forEach(function (line, i) {
    line = line.replace(OSC, "");
    var row = document.createElement("div");
    row.className = "rg-con-line";
    var num = document.createElement("span");
    num.className = "rg-con-num";
    num.textContent = String(i + 1);
    var txt = document.createElement("span");
    txt.className = "rg-con-text";
    var last = 0, m, red = false;
    CSI.lastIndex = 0;
    while ((m = CSI.exec(line)) !== null) {
      span(txt, line.slice(last, m.index));
      if (m[2] === "m") { sgr(m[1]); if (st.fg === PALETTE[1] || st.fg === PALETTE[9]) red = true; }
      last = CSI.lastIndex;
    }
    span(txt, line.slice(last));
    var text = txt.textContent;
    plain.push(text.toLowerCase());
    if (ERR.test(text) || (red && text.trim())) { row.classList.add("rg-con-err"); errors.push(i); }
    if (/^\[reportgen: .* cut here|^\[reportgen: .* not shown here/.test(text)) row.classList.add("rg-con-note");
    row.appendChild(num);
    row.appendChild(txt);
    rows.push(row);
    frag.appendChild(row);
  });
  body.appendChild(frag);
  rawEl.remove();  // one copy of the text in the page from here on
  body.hidden = false;

  function show(i) {
    var row = rows[i];
    body.scrollTop = row.offsetTop - body.offsetTop - body.clientHeight / 3;
  }
  var input = root.querySelector(".rg-console-search");
  var count = root.querySelector(".rg-console-count");
  var hits = [], at = -1, cur = null;
  function search() {
    var q = input.value.trim().toLowerCase();
    hits.forEach(function (i) { rows[i].classList.remove("rg-con-hit"); });
    if (cur) cur.classList.remove("rg-con-current");
    hits = []; at = -1; cur = null;
    if (q) plain.forEach(function (t, i) { if (t.indexOf(q) >= 0) { hits.push(i); rows[i].classList.add("rg-con-hit"); } });
    count.textContent = q ? hits.length + (hits.length === 1 ? " match" : " matches") : "";
    if (hits.length) next();
  }
  function next() {
    if (!hits.length) return;
    at = (at + 1) % hits.length;
    if (cur) cur.classList.remove("rg-con-current");
    cur = rows[hits[at]];
    cur.classList.add("rg-con-current");
    count.textContent = (at + 1) + " / " + hits.length;
    show(hits[at]);
  }
  input.addEventListener("input", search);
  input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); next(); } });
  var errAt = -1, errBtn = root.querySelector(".rg-console-errors");
  if (!errors.length) errBtn.hidden = true;
  errBtn.addEventListener("click", function () {
    if (!errors.length) return;
    errAt = (errAt + 1) % errors.length;
    show(errors[errAt]);
    rows[errors[errAt]].classList.add("rg-con-current");
  });
  root.querySelector(".rg-console-end").addEventListener("click", function () {
    body.scrollTop = body.scrollHeight;
  });
})();

/* Panel search: <input id="rg-panel-search"> (templates/partials/controls.html) filters the
   metric charts (.rg-chart, by data-key) and media panels (.rgp-panel, by key) of the page.
   Plain text matches case-insensitively anywhere in the key; /pattern/flags is a regular
   expression (an invalid one is matched as plain text, with a visible hint, never an error).
   Regular expressions are matched by assets/panel-regex.js, in time linear in the key (a shared
   link #q=/(a+)+$/ hung the tab on long metric names); one it cannot match that way (lookarounds,
   backreferences, too large, too slow over the page) is matched as plain text, with a hint.
   Sections left empty are hidden. The query is the hash key `q` (#q=loss). See docs/site.md. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  if (RG.stateKey) {
    RG.stateKey("q", {
      def: "",
      parse: function (v) { return String(v || ""); },
      format: function (v) { return v ? String(v) : null; }
    });
  }

  function text(q, error) {
    var low = q.toLowerCase();
    return { test: function (k) { return k.toLowerCase().indexOf(low) >= 0; }, error: error || null };
  }

  /* (query) -> {test(key) -> bool, error: message or null, fallback: the text matcher to use when
     test() throws (a regular expression past its budget over the page's keys)} */
  function matcher(q) {
    q = String(q || "").trim();
    if (!q) return { test: function () { return true; }, error: null };
    var m = /^\/(.*)\/([a-z]*)$/.exec(q);
    if (!(m && m[1])) return text(q);
    var src = m[1], flags = m[2].replace(/[gy]/g, "") || "i", linear = RG.linearRegex;
    if (!linear || src.length > linear.MAX_SOURCE) return text(src, "Too long for a regular expression: matching it as text");
    try {
      new RegExp(src, flags);  // (compiled, never run: its syntax errors in the browser's words)
    } catch (e) {
      var why = String(e.message || e).replace(/^Invalid regular expression: /, "");
      return text(src, "Not a valid regular expression (" + why + "): matching it as text");
    }
    try {
      var re = linear(src, flags);
    } catch (e) {
      if (!(e instanceof linear.Unsupported)) throw e;
      return text(src, "Not matched as a regular expression (" + e.message + "): matching it as text");
    }
    return { test: function (k) { return re.test(k); }, error: null,
             fallback: function (why) { return text(src, "Stopped matching the regular expression (" + why + "): matching it as text"); } };
  }
  RG.panelMatcher = matcher;

  /* Which of the keys m matches, and the matcher that decided (a regular expression that runs out of
     its budget hands over to plain text: every key is then matched as text) */
  function matchAll(m, keys) {
    try {
      return { m: m, hits: keys.map(function (k) { return m.test(k); }) };
    } catch (e) {
      if (!m.fallback || !(RG.linearRegex && e instanceof RG.linearRegex.Unsupported)) throw e;
      return matchAll(m.fallback(e.message), keys);
    }
  }

  function keyOf(el) {
    if (el.classList.contains("rg-chart")) return el.getAttribute("data-key") || "";
    var k = el.querySelector(".rgp-key") || el.querySelector(".rgp-title");
    return k ? k.textContent : "";
  }

  function apply(q) {
    var input = document.getElementById("rg-panel-search");
    var items = document.querySelectorAll(".rg-chart, .rgp-panel"), shown = 0;
    var found = matchAll(matcher(q), Array.prototype.map.call(items, keyOf)), m = found.m;
    items.forEach(function (el, i) {
      var hit = found.hits[i];
      el.classList.toggle("rg-search-miss", !hit);
      if (hit) shown += 1;
    });
    document.querySelectorAll(".rg-section").forEach(function (sec) {
      var inside = sec.querySelectorAll(".rg-chart, .rgp-panel");
      if (!inside.length) return;
      var any = Array.prototype.some.call(inside, function (el) { return !el.classList.contains("rg-search-miss"); });
      sec.classList.toggle("rg-search-empty", !any);
    });
    var hint = document.getElementById("rg-panel-search-hint");
    if (hint) {
      hint.textContent = m.error || (String(q || "").trim() ? shown + " of " + items.length + " panels" : "");
      hint.classList.toggle("rg-search-bad", !!m.error);
    }
    if (input) input.setAttribute("aria-invalid", m.error ? "true" : "false");
    // charts that just came into view are drawn by charts.js's IntersectionObserver as usual
  }
  RG.panelSearch = { apply: apply };

  // phones: the controls bar shows the search row only; "Settings" unfolds the rest (CSS decides
  // what is folded, so on a wide screen the button is hidden and nothing changes)
  function foldControls() {
    var btn = document.getElementById("rg-controls-more");
    var bar = document.getElementById("rg-controls");
    if (!btn || !bar) return;
    btn.addEventListener("click", function () {
      var open = !bar.classList.contains("rg-controls-open");
      bar.classList.toggle("rg-controls-open", open);
      btn.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function start() {
    foldControls();
    var input = document.getElementById("rg-panel-search");
    if (!input) return;
    var q = (RG.state && RG.state.q) || "";
    input.value = q;
    apply(q);
    input.addEventListener("input", function () {
      apply(input.value);
      if (RG.setState) RG.setState({ q: input.value }, true);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { input.value = ""; apply(""); if (RG.setState) RG.setState({ q: "" }, true); input.blur(); }
    });
    if (RG.onState) RG.onState(function (st) { if ((st.q || "") !== input.value) { input.value = st.q || ""; apply(input.value); } });
  }
  // after reportgen.js (hash state loaded) and panels.js (panels set up) started
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { setTimeout(start, 0); });
  else setTimeout(start, 0);
})();

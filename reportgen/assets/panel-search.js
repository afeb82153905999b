/* Panel search: <input id="rg-panel-search"> (templates/partials/controls.html) filters the
   metric charts (.rg-chart, by data-key) and media panels (.rgp-panel, by key) of the page.
   Plain text matches case-insensitively anywhere in the key; /pattern/flags is a regular
   expression (an invalid one is matched as plain text, with a visible hint, never an error).
   Sections left empty are hidden. The query is the hash key `q` (#q=loss). See docs/panels.md. */
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

  /* (query) -> {test(key) -> bool, error: message or null} */
  function matcher(q) {
    q = String(q || "").trim();
    if (!q) return { test: function () { return true; }, error: null };
    var m = /^\/(.*)\/([a-z]*)$/.exec(q);
    if (m && m[1]) {
      try {
        var re = new RegExp(m[1], m[2].replace(/[gy]/g, "") || "i");
        return { test: function (k) { return re.test(k); }, error: null };
      } catch (e) {
        var why = String(e.message || e).replace(/^Invalid regular expression: /, "");
        q = m[1];
        var low = q.toLowerCase();
        return { test: function (k) { return k.toLowerCase().indexOf(low) >= 0; },
                 error: "Not a valid regular expression (" + why + "): matching it as text" };
      }
    }
    var text = q.toLowerCase();
    return { test: function (k) { return k.toLowerCase().indexOf(text) >= 0; }, error: null };
  }
  RG.panelMatcher = matcher;

  function keyOf(el) {
    if (el.classList.contains("rg-chart")) return el.getAttribute("data-key") || "";
    var k = el.querySelector(".rgp-key") || el.querySelector(".rgp-title");
    return k ? k.textContent : "";
  }

  function apply(q) {
    var input = document.getElementById("rg-panel-search");
    var m = matcher(q);
    var items = document.querySelectorAll(".rg-chart, .rgp-panel"), shown = 0;
    items.forEach(function (el) {
      var hit = m.test(keyOf(el));
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

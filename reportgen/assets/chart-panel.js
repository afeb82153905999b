/* reportgen per-panel chart state, kept in the URL hash (codecs in assets/chart-fit.js):
   - `pp`: each panel's own settings (ymin, ymax, log, smooth, x, outliers) over the page's controls,
     set from the panel's ⚙ menu; workspace.json defaults sit between the two (charts.js settingsOf);
   - `zoom`: each panel's zoomed x/y range, restored on load; "Reset zoom" and the window event
     `rg:reset-zoom` clear them all, a double-click clears one;
   - `ov`: panels overlaying several keys ("train/loss+val/loss"), drawn at the top of the page;
   - `outliers`: the page's "Ignore outliers" default (fit y to the 5th-95th percentile).
   See docs/site.md ("Panels"). */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  var C = RG.charts, F = window.RGFit;
  if (!C || !F) return;

  RG.stateKey("outliers", {
    def: false,
    parse: function (v) { return v === "1"; },
    format: function (v) { return v ? "1" : null; }
  });
  RG.stateKey("pp", { def: {}, parse: F.parsePanels, format: F.formatPanels, raw: true });
  RG.stateKey("zoom", { def: {}, parse: F.parseZoom, format: F.formatZoom, raw: true });
  RG.stateKey("ov", { def: [], parse: F.parseOverlays, format: F.formatOverlays, raw: true });

  function copy(o) { return JSON.parse(JSON.stringify(o || {})); }

  /* The workspace file's page defaults (RG.site.chartDefaults) replace the built-in ones of the
     page's controls; a hash value equal to the default is left out, any other is kept. */
  (function workspaceDefaults() {
    var el = document.getElementById("rg-site"), d = null;
    try { d = el ? JSON.parse(el.textContent).chartDefaults : null; } catch (e) { d = null; }
    if (!d) return;
    var keys = {
      x: { parse: function (v) { return v || "_step"; }, format: function (v) { return v || "_step"; } },
      smooth: { parse: function (v) { var n = Number(v); return isFinite(n) && n >= 0 && n < 1 ? n : 0; }, format: String },
      log: { parse: function (v) { return v === "1"; }, format: function (v) { return v ? "1" : "0"; } },
      outliers: { parse: function (v) { return v === "1"; }, format: function (v) { return v ? "1" : "0"; } }
    };
    Object.keys(keys).forEach(function (k) {
      if (!Object.prototype.hasOwnProperty.call(d, k)) return;
      var def = d[k], spec = keys[k];
      RG.stateKey(k, { def: def, parse: spec.parse,
                       format: function (v) { return v === def ? null : spec.format(v); } });
      RG.state[k] = def;
    });
  })();

  /* ---- zoom <-> hash ---- */
  C.zoom = {
    attach: function (ch) {
      var view = ch.view, z = (RG.state.zoom || {})[ch.panel];
      if (z && z.x === ch.st.x) {
        try { view.signal("zoom_x", z.xd); view.signal("zoom_s", z.yd); view.runAsync(); } catch (e) { /* no zoom param */ }
      } else if (z) {
        var m = copy(RG.state.zoom);  // zoomed on another x axis: no longer meaningful
        delete m[ch.panel];
        RG.setState({ zoom: m }, true);
      }
      var timer = null;
      try {
        view.addSignalListener("zoom", function (name, val) {
          clearTimeout(timer);
          timer = setTimeout(function () {
            if (ch.view !== view) return;
            var m = copy(RG.state.zoom);
            if (val && val.x && val.s) m[ch.panel] = { x: ch.st.x, xd: val.x.map(Number), yd: val.s.map(Number) };
            else delete m[ch.panel];
            RG.setState({ zoom: m }, true);  // silent: the other charts need no redraw
          }, 150);
        });
      } catch (e) { /* a spec without the zoom param */ }
    }
  };

  /* ---- the ⚙ menu of a panel ---- */
  var STYLE = [
    ".rg-panel-settings[hidden] { display: none; }",
    ".rg-panel-settings { position: absolute; top: 30px; right: 8px; z-index: 4; background: #fff; border: 1px solid #d0d6e0;",
    "  border-radius: 6px; padding: 8px 10px; box-shadow: 0 4px 14px rgba(0,0,0,.12); font-size: 12px; display: grid;",
    "  grid-template-columns: auto auto; gap: 4px 8px; align-items: center; max-width: calc(100% - 16px); }",
    ".rg-panel-settings input, .rg-panel-settings select { width: 9em; max-width: 100%; font-size: 12px; }",
    ".rg-panel-settings .rg-ps-actions { grid-column: 1 / -1; display: flex; gap: 6px; justify-content: flex-end; }",
    ".rg-tip-table { border-collapse: collapse; } .rg-tip-table td { padding: 0 6px 0 0; white-space: nowrap; }",
    ".rg-tip-hot td { font-weight: 700; }"
  ].join("\n");
  function injectStyle() {
    if (document.getElementById("rg-chart-panel-style")) return;
    var s = document.createElement("style");
    s.id = "rg-chart-panel-style";
    s.textContent = STYLE;
    document.head.appendChild(s);
  }
  function option(sel, value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    sel.appendChild(o);
  }
  function field(form, label, input) {
    var l = document.createElement("label");
    l.textContent = label;
    l.htmlFor = input.id;
    form.appendChild(l);
    form.appendChild(input);
  }
  function triState(id, name) {
    var s = document.createElement("select");
    s.id = id; s.dataset.setting = name;
    option(s, "", "page default"); option(s, "1", "on"); option(s, "0", "off");
    return s;
  }
  function setPanel(panel, name, value) {
    var m = copy(RG.state.pp), e = m[panel] || {};
    if (value === null || value === undefined || value === "") delete e[name]; else e[name] = value;
    if (Object.keys(e).length) m[panel] = e; else delete m[panel];
    RG.setState({ pp: m });
  }
  /* The menu's form, built on the first click (a page of 500 charts would hold 500 x 500 options). */
  function buildForm(el) {
    var ch = C.chartOf(el), base = "rg-ps-" + el.id, form = document.createElement("div");
    form.className = "rg-panel-settings";
    form.hidden = true;
    form.setAttribute("role", "group");
    form.setAttribute("aria-label", "settings of this panel");
    var inputs = {};
    ["ymin", "ymax"].forEach(function (k) {
      var i = document.createElement("input");
      i.type = "number"; i.step = "any"; i.id = base + "-" + k; i.dataset.setting = k; i.placeholder = "auto";
      field(form, k === "ymin" ? "Y min" : "Y max", i);
      inputs[k] = i;
    });
    inputs.log = triState(base + "-log", "log"); field(form, "Log scale", inputs.log);
    inputs.outliers = triState(base + "-outliers", "outliers"); field(form, "Ignore outliers", inputs.outliers);
    var sm = document.createElement("select");
    sm.id = base + "-smooth"; sm.dataset.setting = "smooth";
    option(sm, "", "page default"); option(sm, "0", "off");
    RG.site.weights.forEach(function (w) { option(sm, String(w), String(w)); });
    inputs.smooth = sm; field(form, "Smoothing", sm);
    var xs = document.createElement("select");
    xs.id = base + "-x"; xs.dataset.setting = "x";
    option(xs, "", "page default");
    RG.site.xopts.forEach(function (o) { option(xs, o.key, o.label); });
    inputs.x = xs; field(form, "X axis", xs);
    var ov = document.createElement("select");
    ov.id = base + "-overlay";
    option(ov, "", "—");
    Array.prototype.forEach.call(document.querySelectorAll(".rg-chart[data-key]"), function (c) {
      var k = c.dataset.key;
      if (ch.keys.every(function (x) { return x.key !== k; })) option(ov, k, k);
    });
    field(form, "Overlay a key", ov);
    var actions = document.createElement("div"), reset = document.createElement("button");
    actions.className = "rg-ps-actions";
    reset.type = "button"; reset.className = "rg-btn"; reset.textContent = "Reset panel";
    actions.appendChild(reset);
    form.appendChild(actions);

    function sync() {
      var pp = (RG.state.pp || {})[ch.panel] || {}, ws = ch.defaults || {};
      Object.keys(inputs).forEach(function (k) {
        var v = Object.prototype.hasOwnProperty.call(pp, k) ? pp[k] : ws[k];
        var s = v === undefined || v === null ? "" : typeof v === "boolean" ? (v ? "1" : "0") : String(v);
        if (document.activeElement !== inputs[k]) inputs[k].value = s;
      });
    }
    Object.keys(inputs).forEach(function (k) {
      inputs[k].addEventListener("change", function () {
        var raw = inputs[k].value, v = raw;
        if (raw !== "" && (k === "log" || k === "outliers")) v = raw === "1";
        else if (raw !== "" && k !== "x") v = Number(raw);
        if (typeof v === "number" && !isFinite(v)) return;
        setPanel(ch.panel, k, v);
      });
    });
    ov.addEventListener("change", function () {
      if (!ov.value) return;
      var list = (RG.state.ov || []).slice();
      list.push(ch.keys.map(function (k) { return k.key; }).concat([ov.value]));
      ov.value = "";
      RG.setState({ ov: list });
    });
    reset.addEventListener("click", function () {
      var m = copy(RG.state.pp), z = copy(RG.state.zoom);
      delete m[ch.panel]; delete z[ch.panel];
      RG.setState({ zoom: z }, true);
      RG.setState({ pp: m });
      C.reset(el);
    });
    sync();
    RG.onState(sync);
    el.appendChild(form);
    return form;
  }
  function menu(el) {
    var panel = null, gear = document.createElement("button");
    gear.type = "button"; gear.className = "rg-panel-gear"; gear.textContent = "⚙";
    gear.title = "Settings of this panel (y range, log scale, smoothing, x axis)";
    gear.setAttribute("aria-label", "settings of this panel");
    gear.setAttribute("aria-expanded", "false");
    gear.addEventListener("click", function () {
      panel = panel || buildForm(el);
      panel.hidden = !panel.hidden;
      gear.setAttribute("aria-expanded", String(!panel.hidden));
    });
    var bar = el.querySelector(":scope > .rg-chart-actions");  // with the download buttons (chart-actions.js)
    if (bar) bar.insertBefore(gear, bar.firstChild); else el.appendChild(gear);
  }

  /* ---- overlaid panels (URL `ov`) ---- */
  var made = {};
  function overlayPanels() {
    var list = RG.state.ov || [], created = [];
    list.forEach(function (keys) {
      var name = F.overlayName(keys);
      if (made[name]) return;
      var parts = [], first = null;
      keys.forEach(function (k) {
        var src = null;
        Array.prototype.forEach.call(document.querySelectorAll(".rg-chart[data-key]"), function (c) {
          if (!src && c.dataset.key === k && !c.dataset.keys) src = c;
        });
        if (!src) return;
        first = first || src;
        parts.push({ key: k, id: src.dataset.chart, runs: JSON.parse(src.dataset.runs || "[]") });
      });
      if (parts.length < 2) return;
      var spec = RG.charts.specOf(first);  // its own spec, or the page's shared one
      spec.title.text = parts.map(function (p) { return p.key; }).join(" + ");
      var fig = document.createElement("figure"), view = document.createElement("div"), sc = document.createElement("script");
      fig.className = "rg-chart rg-overlay";
      fig.id = "ov-" + (Object.keys(made).length + 1);
      fig.dataset.panel = name;
      fig.dataset.keys = JSON.stringify(parts);
      view.className = "rg-chart-view";
      view.setAttribute("aria-label", "chart of " + spec.title.text);
      sc.type = "application/json"; sc.className = "rg-spec"; sc.textContent = JSON.stringify(spec);
      fig.appendChild(view); fig.appendChild(sc);
      grid().appendChild(fig);
      made[name] = fig;
      created.push(fig);
    });
    return created;
  }
  function grid() {
    var g = document.getElementById("rg-overlays");
    if (g) return g;
    var sec = document.createElement("section"), h = document.createElement("h2");
    sec.className = "rg-section";
    h.className = "rg-section-title";
    h.textContent = "Overlaid panels";
    g = document.createElement("div");
    g.className = "rg-grid";
    g.id = "rg-overlays";
    sec.appendChild(h); sec.appendChild(g);
    var firstSection = document.querySelector(".rg-section");
    if (firstSection) firstSection.parentNode.insertBefore(sec, firstSection);
    else (document.querySelector("main") || document.body).appendChild(sec);
    return g;
  }

  function outliersControl() {
    var log = document.getElementById("rg-log");
    if (!log || document.getElementById("rg-outliers")) return;
    var label = document.createElement("label"), box = document.createElement("input");
    box.type = "checkbox"; box.id = "rg-outliers"; box.dataset.control = "outliers";
    label.title = "Fit the y axis to the 5th-95th percentile of the drawn values";
    label.appendChild(box);
    label.appendChild(document.createTextNode(" Ignore outliers"));
    var at = log.closest("label") || log;
    at.parentNode.insertBefore(label, at.nextSibling);
    function sync() { box.checked = !!RG.state.outliers; }
    sync();
    RG.onState(sync);
    box.addEventListener("change", function () { RG.setState({ outliers: box.checked }); });
  }

  C.panels = {
    beforeInit: function () {
      injectStyle();
      outliersControl();
      overlayPanels();
    },
    afterInit: function (all) {
      all.forEach(function (el) { if (el.id) menu(el); });
      RG.onState(function () {  // a panel overlay added from a menu (or a pasted link)
        overlayPanels().forEach(function (fig) {
          C.all().push(fig);
          menu(fig);
          C.draw(fig);
        });
      });
    }
  };
})();

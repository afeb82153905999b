/* reportgen media panels: step sliders, image overlays (masks, boxes), audio, video, html,
   tables, 3D (assets/viewer3d.js), Vega-Lite and plotly charts. Panels are described by the
   JSON in each figure (see reportgen/site/panels/__init__.py); all user text goes in via
   textContent, never innerHTML. No dependencies besides window.vegaEmbed / window.Plotly,
   which are used only when a panel needs them. */
(function () {
  "use strict";
  var P = (window.RGPanels = window.RGPanels || {});
  var SVGNS = "http://www.w3.org/2000/svg";
  var waiting = {};  // plotly.js and other scripts loaded on demand
  var root = "";

  /* ---- data scripts: media/<run>/data/<name>.js call RGPanels.receive(id, payload) ---- */
  var chan = window.RGLoader.channel(document);  // assets/loader.js
  P.receive = chan.receive;
  /* cb(payload) once the data script ran; when it cannot be loaded, `holder` (if given) says so
     instead of waiting forever. */
  P.load = function (id, src, cb, holder) {
    chan.load(id, src, function (payload, error) {
      if (payload !== null && payload !== undefined) { cb(payload); return; }
      if (holder) {
        holder.textContent = "Could not load this panel's data (" + src + ").";
        holder.classList.add("rgp-load-error");
        holder.dataset.rendered = "error";
      }
    });
  };
  function loadScript(src, test, cb) {
    if (test()) { cb(); return; }
    var key = "script:" + src;
    if (waiting[key]) { waiting[key].push(cb); return; }
    waiting[key] = [cb];
    var s = document.createElement("script");
    s.src = src;
    s.onload = function () { var w = waiting[key]; delete waiting[key]; w.forEach(function (f) { f(); }); };
    document.head.appendChild(s);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (attrs.hasOwnProperty(k)) e.setAttribute(k, attrs[k]);
    return e;
  }
  function site(path) { return root + path; }
  function fmt(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") return window.RGFormat.number(v);  // assets/format.js
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  P.site = site;
  P.el = el;
  P.svg = svg;
  P.fmt = fmt;

  /* ---- lazy work: run fn when the element scrolls near the viewport ---- */
  var io = ("IntersectionObserver" in window) ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (!e.isIntersecting) return;
      io.unobserve(e.target);
      var fn = e.target._rgpLazy; e.target._rgpLazy = null;
      if (fn) fn();
    });
  }, { rootMargin: "200px 0px" }) : null;
  P.lazy = lazy;
  function lazy(node, fn) {
    if (!io) { fn(); return; }
    node._rgpLazy = fn;
    io.observe(node);
  }

  /* ================= charts ================= */
  function renderVega(target, spec, rows, name) {
    if (!window.vegaEmbed) { target.textContent = "Vega runtime missing"; return; }
    if (rows) spec.datasets = { rows: rows };
    var fresh = JSON.stringify(spec);
    var fit = window.RGVegaFit, width = target.clientWidth;  // assets/vega-fit.js
    if (fit) {  // fills the panel; legends below it on a phone
      target._rgpNarrow = width < fit.NARROW;  // drawn again when this changes (see below)
      spec = fit.fit(spec, width);
    }
    target._rgpRedraw = function () {  // dark mode, resize: the same chart drawn again
      if (target._rgpView) target._rgpView.finalize();
      var bar = target.querySelector(":scope > .rg-chart-actions");
      target.textContent = "";
      if (bar) target.appendChild(bar);
      renderVega(target, JSON.parse(fresh), null, name);
    };
    window.vegaEmbed(target, spec, { actions: false, renderer: "canvas" }).then(function (res) {
      target._rgpView = res.view;
      target.dataset.rendered = "done";
      if (window.RG && RG.chartActions) RG.chartActions.register(target, res.view, name);  // PNG/SVG/CSV buttons
    }).catch(function (err) {
      target.dataset.rendered = "error";
      target.textContent = "Chart failed to render: " + err;
      console.warn(err);
    });
  }
  /* a chart fitted narrow (legends below) or wide (legends beside) drawn again when the panel
     crossed that width: a phone turned, a window resized */
  var refit = null;
  window.addEventListener("resize", function () {
    clearTimeout(refit);
    refit = setTimeout(function () {
      document.querySelectorAll(".rgp-vega[data-rendered='done']").forEach(function (t) {
        var fit = window.RGVegaFit;
        if (fit && t._rgpRedraw && (t.clientWidth < fit.NARROW) !== t._rgpNarrow) t._rgpRedraw();
      });
    }, 200);
  });
  function panelName(panel) {  // download file name of a panel's chart: its key
    var k = panel && panel.querySelector ? (panel.querySelector(".rgp-key") || panel.querySelector(".rgp-title")) : null;
    return k ? k.textContent : "chart";
  }
  function renderPlotly(item, holder) {
    var sec = document.querySelector(".rgp-root[data-plotly]");
    if (!sec) { holder.textContent = "plotly.js is missing from this site"; return; }
    P.load(item.id, site(item.data), function (fig) {
      loadScript(sec.dataset.plotly, function () { return !!window.Plotly; }, function () {
        holder._rgPlotly = JSON.stringify(fig);  // as logged: plotly writes into what it is given
        drawPlotly(holder, window.Plotly.newPlot);
      });
    }, holder);
  }
  /* a figure for this width (a phone: RGVegaFit) and theme (RG.theme.plotlyLayout: dark mode) */
  function drawPlotly(holder, draw) {
    var fig = JSON.parse(holder._rgPlotly);
    var layout = window.RGVegaFit ? window.RGVegaFit.plotly(fig.layout, holder.clientWidth) : fig.layout;
    if (window.RG && RG.theme && RG.theme.plotlyLayout) layout = RG.theme.plotlyLayout(layout);
    // the panel is as tall as the figure asks (plotly's default, 450, when it does not; at most 900):
    // filling a 240 px panel, plotly's own margins (100 px on top, 80 below) left a 60 px plot
    var h = layout && typeof layout.height === "number" && isFinite(layout.height) ? layout.height : 450;
    holder.style.height = Math.round(Math.min(900, Math.max(240, h))) + "px";
    return draw(holder, fig.data, layout, { displaylogo: false, responsive: true }).then(function () {
      holder.dataset.rendered = "done";
    });
  }
  window.addEventListener("rg:theme", function () {  // figures follow the theme at once
    document.querySelectorAll(".rgp-plotly[data-rendered='done']").forEach(function (h) {
      if (h._rgPlotly && window.Plotly) drawPlotly(h, window.Plotly.react);
    });
  });
  function renderBars(item) {
    var wrap = el("div", "rgp-bars");
    var s = svg("svg", { width: item.width, height: item.height, viewBox: "0 0 " + item.width + " " + item.height, "class": "rgp-bars-svg" });
    item.bars.forEach(function (b) {
      var r = svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, fill: "#3b5bdb" });
      var t = svg("title", {}); t.textContent = b.title; r.appendChild(t);
      s.appendChild(r);
    });
    wrap.appendChild(s);
    wrap.appendChild(el("span", "rgp-bars-range", item.lo + " … " + item.hi + " · n=" + item.total));
    return wrap;
  }

  /* ================= one item ================= */
  /* Item renderers by the item's `t` (the run-page item of a kind: reportgen/site/kinds). A kind
     whose items need new browser code registers its renderer from its own script (named in the
     kind's `needs`, loaded after this file): RGPanels.register("mykind", function (item, panel, inCell) {...}). */
  var renderers = (P.renderers = {});
  P.register = function (t, fn) { renderers[t] = fn; };
  P.renderItem = renderItem;
  function renderItem(item, panel, inCell) {
    var fn = Object.prototype.hasOwnProperty.call(renderers, item.t) ? renderers[item.t] : null;
    if (fn) return fn(item, panel, inCell);
    if (item.t === "missing") return el("div", "rgp-missing", item.msg);
    return el("div", "rgp-unsupported", "unsupported media type: " + (item.type || item.t));
  }

  P.register("audio", function (item) {
    var box, m;
    box = el("div", "rgp-audio");
    if (item.wave) { var w = el("img", "rgp-wave"); w.alt = "waveform"; w.src = site(item.wave); box.appendChild(w); }
    m = el("audio"); m.controls = true; m.preload = "metadata"; m.src = site(item.src);
    box.appendChild(m);
    if (item.caption) box.appendChild(el("div", "rgp-caption", item.caption));
    return box;
  });

  P.register("video", function (item) {
    var box, m;
    box = el("div", "rgp-video");
    if (item.format === "gif") { m = el("img", "rgp-gif"); m.alt = item.caption || "animation"; m.loading = "lazy"; }
    else {
      m = el("video"); m.controls = true; m.preload = "metadata"; m.muted = true;
      if (item.only) m.dataset.rgOnly = item.only;  /* a codec some browsers do not play (assets/media-fallback.js) */
    }
    m.src = site(item.src);
    box.appendChild(m);
    if (item.caption) box.appendChild(el("div", "rgp-caption", item.caption));
    return box;
  });

  P.register("html", function (item) {
    // Logged HTML is data (media/<run>/data/*.js), shown via srcdoc in an opaque-origin sandbox;
    // its own Content-Security-Policy (set by the builder) forbids every request.
    var m = el("iframe", "rgp-html");
    m.setAttribute("sandbox", "allow-scripts");
    m.setAttribute("referrerpolicy", "no-referrer");
    m.title = "logged HTML";
    lazy(m, function () { P.load(item.id, site(item.data), function (d) { m.srcdoc = d.html; }, m); });
    return m;
  });

  P.register("svg", function (item) {
    var box, m;
    box = el("div", "rgp-svg");
    m = el("img"); m.alt = item.caption || "figure"; m.src = site(item.src); m.loading = "lazy";
    box.appendChild(m);
    return box;
  });

  P.register("3d", function (item) {
    var box;
    box = el("div", "rgp-3d");
    box.appendChild(el("div", "rgp-3d-hint", "drag: orbit · wheel: zoom · ctrl+drag: pan"));
    if (item.note) box.appendChild(el("div", "rgp-3d-note", item.note));  /* a sample of a large cloud */
    if (item.caption) box.appendChild(el("div", "rgp-caption", item.caption));
    lazy(box, function () {
      P.load(item.id, site(item.data), function (scene) {
        if (!window.RGViewer3D) { box.textContent = "3D viewer missing"; return; }
        try { box._viewer = window.RGViewer3D.create(box, scene); box.dataset.rendered = "done"; }
        catch (err) { box.dataset.rendered = "error"; box.appendChild(el("p", "rgp-unsupported", String(err.message || err))); }
      }, box);
    });
    return box;
  });

  P.register("vega", function (item, panel) {
    var box;
    box = el("div", "rgp-vega");
    lazy(box, function () { P.load(item.id, site(item.data), function (d) { renderVega(box, JSON.parse(JSON.stringify(d.spec)), null, panelName(panel)); }, box); });
    return box;
  });

  P.register("plotly", function (item) {
    var box;
    box = el("div", "rgp-plotly");
    lazy(box, function () { renderPlotly(item, box); });
    return box;
  });

  P.register("bars", function (item) { return renderBars(item); });

  P.register("link", function (item) {  /* a logged URL (image/audio reference): a link only; the site never loads it */
    var box = el("div", "rgp-link");
    box.appendChild(el("span", "rgp-link-kind", item.kind + " reference"));
    var ln = el(item.href ? "a" : "span", null, item.text);
    if (item.href) { ln.href = item.href; ln.rel = "noopener noreferrer nofollow"; ln.target = "_blank"; }
    box.appendChild(ln);
    if (item.caption) box.appendChild(el("div", "rgp-caption", item.caption));
    return box;
  });

  P.register("tensor", function (item) {
    var box;
    box = el("div", "rgp-tensor");
    box.appendChild(el("div", null, "shape " + JSON.stringify(item.shape) + " · " + (item.dtype || "")));
    var dl = el("dl", "rg-kv");
    item.stats.forEach(function (kv) { dl.appendChild(el("dt", null, kv[0])); dl.appendChild(el("dd", null, fmt(kv[1]))); });
    box.appendChild(dl);
    if (item.src) { var a = el("a", null, "download .npy"); a.href = site(item.src); a.download = ""; box.appendChild(a); }
    return box;
  });

  /* ================= panels and steps ================= */
  function showFrame(panel, index) {
    var frames = panel._frames;
    if (!frames.length) return;
    index = Math.max(0, Math.min(frames.length - 1, index));
    if (panel._index === index) return;
    panel._index = index;
    var f = frames[index];
    var body = panel.querySelector(".rgp-body");
    body.querySelectorAll(".rgp-3d").forEach(function (b) { if (b._viewer) b._viewer.dispose(); });
    body.textContent = "";
    f.items.forEach(function (it) { body.appendChild(renderItem(it, panel, false)); });
    var lab = panel.querySelector(".rgp-step-label");
    if (lab) lab.textContent = f.step === "summary" ? "summary" : "step " + f.step;
    var s = panel.querySelector(".rgp-step");
    if (s && Number(s.value) !== index) s.value = index;
    panel.dataset.step = f.step;
    P.applyOverlays(panel);
  }
  /* the frame at or before a step (the first frame when the step is earlier than all) */
  function frameAt(frames, step) {
    var best = 0;
    for (var i = 0; i < frames.length; i++) {
      if (typeof frames[i].step === "number" && frames[i].step <= step) best = i;
    }
    return best;
  }
  P.frameAt = frameAt;

  function setupPanel(panel) {
    var data = panel.querySelector("script.rgp-frames");
    panel._frames = data ? JSON.parse(data.textContent) : [];
    if (panel.dataset.kind === "heatmap") {
      var target = panel.querySelector(".rgp-vega");
      lazy(target, function () {
        P.load(panel.dataset.id, panel.dataset.src, function (d) {
          renderVega(target, JSON.parse(JSON.stringify(d.spec)), d.rows, panelName(panel));
        }, target);
      });
      return;
    }
    if (panel.dataset.kind === "images" || panel.dataset.kind === "mixed") {
      var ctl = P.imageControls(panel, panel._frames);
      if (ctl) panel.insertBefore(ctl, panel.querySelector(".rgp-body"));
    }
    var s = panel.querySelector(".rgp-step");
    if (s) s.addEventListener("input", function () { showFrame(panel, Number(s.value)); });
    showFrame(panel, panel._frames.length - 1);
  }

  /* summary histograms also get their small bar chart beside the value in the run's summary list */
  function summaryBars(panels) {
    var dts = Array.prototype.slice.call(document.querySelectorAll(".rg-run-head .rg-kv dt"));
    panels.forEach(function (p) {
      var extra = p.querySelector("script.rgp-sumbars"), item = null;
      if (extra) item = JSON.parse(extra.textContent);
      else if (p.dataset.kind === "sumhist" && p._frames.length) item = p._frames[0].items[0];
      var key = p.querySelector(".rgp-title").textContent;
      if (item && !item.t) item.t = "bars";
      if (!item || item.t !== "bars") return;
      dts.forEach(function (dt) {
        var dd = dt.nextElementSibling;
        if (dt.textContent !== key || !dd || dd.tagName !== "DD" || dd.querySelector(".rgp-bars")) return;
        var bars = renderBars(item);
        bars.classList.add("rgp-inline-bars");
        dd.appendChild(bars);
      });
    });
  }

  function setupGlobal(sec, panels) {
    var slider = sec.querySelector(".rgp-global-step");
    if (!slider) return;
    var steps = {};
    panels.forEach(function (p) { p._frames.forEach(function (f) { if (typeof f.step === "number") steps[f.step] = true; }); });
    var all = Object.keys(steps).map(Number).sort(function (a, b) { return a - b; });
    var out = sec.querySelector(".rgp-global-label");
    if (all.length < 2) {  // one step (or none): nothing to choose, the label says which
      slider.disabled = true;
      slider.parentNode.hidden = true;
      out.textContent = all.length ? "step " + all[0] : "";
    } else {
      slider.max = all.length - 1;
      slider.value = all.length - 1;
      out.textContent = "step " + all[all.length - 1];
      slider.addEventListener("input", function () {
        var step = all[Number(slider.value)];
        out.textContent = "step " + step;
        panels.forEach(function (p) { if (p._frames.length) showFrame(p, frameAt(p._frames, step)); });
      });
    }
    sec.querySelectorAll(".rgp-run-toggle input").forEach(function (c) {
      c.addEventListener("change", function () {
        var p = document.getElementById(c.dataset.panel);
        if (p) p.style.display = c.checked ? "" : "none";
      });
    });
  }

  /* live18 hook: serve --watch replaced a panel whose frames changed (new media); set the new one up */
  P.setupPanel = function (panel) { setupPanel(panel); };

  function start() {
    var sec = document.querySelector(".rgp-root");
    if (!sec) return;
    root = sec.dataset.root || "";
    var panels = Array.prototype.slice.call(sec.querySelectorAll(".rgp-panel"));
    panels.forEach(function (p) {
      try { setupPanel(p); } catch (err) { console.warn("reportgen panel " + p.id + ": " + err); }
    });
    setupGlobal(sec, panels);
    summaryBars(panels);
    sec.dataset.ready = "1";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else setTimeout(start, 0);  // let panels-images.js and panels-table.js register first
})();

/* reportgen media panels: step sliders, image overlays (masks, boxes), audio, video, html,
   tables, 3D (assets/viewer3d.js), Vega-Lite and plotly charts. Panels are described by the
   JSON in each figure (see reportgen/build/panels/__init__.py); all user text goes in via
   textContent, never innerHTML. No dependencies besides window.vegaEmbed / window.Plotly,
   which are used only when a panel needs them. */
(function () {
  "use strict";
  var P = (window.RGPanels = window.RGPanels || {});
  var SVGNS = "http://www.w3.org/2000/svg";
  var loaded = {}, waiting = {};
  var root = "";

  /* ---- data scripts: media/<run>/data/<name>.js call RGPanels.receive(id, payload) ---- */
  P.receive = function (id, payload) {
    loaded[id] = payload;
    (waiting[id] || []).forEach(function (cb) { cb(payload); });
    delete waiting[id];
  };
  P.load = function (id, src, cb) {
    if (loaded[id]) { cb(loaded[id]); return; }
    if (waiting[id]) { waiting[id].push(cb); return; }
    waiting[id] = [cb];
    var s = document.createElement("script");
    s.src = src;
    s.async = true;
    s.onerror = function () { console.warn("reportgen: could not load " + src); };
    document.head.appendChild(s);
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
    if (typeof v === "number") return isFinite(v) ? String(Math.round(v * 1e6) / 1e6) : String(v);
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  P.site = site;
  P.el = el;

  /* ---- lazy work: run fn when the element scrolls near the viewport ---- */
  var io = ("IntersectionObserver" in window) ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (!e.isIntersecting) return;
      io.unobserve(e.target);
      var fn = e.target._rgpLazy; e.target._rgpLazy = null;
      if (fn) fn();
    });
  }, { rootMargin: "200px 0px" }) : null;
  function lazy(node, fn) {
    if (!io) { fn(); return; }
    node._rgpLazy = fn;
    io.observe(node);
  }

  /* ================= images with masks and boxes ================= */
  function imageState(panel) {
    if (!panel._img) panel._img = { masksOff: {}, classesOff: {}, opacity: 0.5, groupsOff: {}, boxClassesOff: {}, thresholds: {} };
    return panel._img;
  }
  function applyOverlays(panel, scope) {
    var st = imageState(panel);
    (scope || panel).querySelectorAll(".rgp-mask-layer").forEach(function (img) {
      var off = st.masksOff[img.dataset.mask] || st.classesOff[img.dataset.mask + "\u0000" + img.dataset.c];
      img.style.display = off ? "none" : "";
      img.style.opacity = st.opacity;
    });
    (scope || panel).querySelectorAll(".rgp-box").forEach(function (g) {
      var off = st.groupsOff[g.dataset.group] || st.boxClassesOff[g.dataset.label];
      if (!off) {
        var scores = JSON.parse(g.dataset.scores || "{}");
        for (var k in st.thresholds) {
          // a box without this score is not filtered by it (e.g. ground truth next to predictions)
          if (typeof scores[k] === "number" && scores[k] < st.thresholds[k]) { off = true; break; }
        }
      }
      g.style.display = off ? "none" : "";
      g.dataset.visible = off ? "0" : "1";
    });
  }
  function renderImage(item, panel, full) {
    var box = el("div", "rgp-img");
    box.style.aspectRatio = item.w + " / " + item.h;
    box.style.setProperty("--ar", String(item.w / item.h));
    var stage = el("div", "rgp-stage");
    var img = el("img", "rgp-picture");
    img.alt = item.caption || "";
    img.loading = "lazy";
    img.decoding = "async";
    img.src = site(full ? item.src : item.thumb);
    img.width = item.w; img.height = item.h;
    stage.appendChild(img);
    (item.masks || []).forEach(function (m) {
      m.layers.forEach(function (l) {
        var li = el("img", "rgp-mask-layer");
        li.alt = ""; li.loading = "lazy";
        li.src = site(l.src);
        li.dataset.mask = m.name; li.dataset.c = l.c;
        stage.appendChild(li);
      });
    });
    if (item.boxes) {
      var s = svg("svg", { "class": "rgp-boxes", viewBox: "0 0 " + item.w + " " + item.h, preserveAspectRatio: "none" });
      var fs = Math.max(item.w, item.h) / 28, sw = Math.max(item.w, item.h) / 200;
      item.boxes.forEach(function (grp) {
        grp.boxes.forEach(function (b) {
          var g = svg("g", { "class": "rgp-box" });
          g.dataset.group = grp.name; g.dataset.label = b.label; g.dataset.scores = JSON.stringify(b.scores || {});
          g.appendChild(svg("rect", { x: b.r[0], y: b.r[1], width: b.r[2], height: b.r[3], fill: "none", stroke: b.color, "stroke-width": sw }));
          var label = b.caption || b.label;
          var scoreText = Object.keys(b.scores || {}).map(function (k) { return k + " " + fmt(b.scores[k]); }).join(" ");
          var t = svg("text", { x: b.r[0] + sw, y: Math.max(b.r[1] - sw, fs), "font-size": fs, fill: b.color, "paint-order": "stroke", stroke: "#000", "stroke-width": fs / 8 });
          t.textContent = label;
          g.appendChild(t);
          var tip = svg("title", {});
          tip.textContent = grp.name + ": " + b.label + (b.caption ? " (" + b.caption + ")" : "") + (scoreText ? " · " + scoreText : "");
          g.appendChild(tip);
          s.appendChild(g);
        });
      });
      stage.appendChild(s);
    }
    box.appendChild(stage);
    if (!full) {
      stage.tabIndex = 0;
      stage.title = "click to enlarge";
      stage.addEventListener("click", function () { openModal(item, panel); });
      stage.addEventListener("keydown", function (e) { if (e.key === "Enter") openModal(item, panel); });
    }
    if (item.caption) box.appendChild(el("div", "rgp-caption", item.caption));
    return box;
  }
  function openModal(item, panel) {
    var back = el("div", "rgp-modal");
    back.setAttribute("role", "dialog");
    var inner = el("div", "rgp-modal-inner");
    var close = el("button", "rgp-close", "×");
    close.setAttribute("aria-label", "close");
    inner.appendChild(close);
    inner.appendChild(renderImage(item, panel, true));
    back.appendChild(inner);
    function done() { back.remove(); document.removeEventListener("keydown", onKey); panel._modal = null; }
    function onKey(e) { if (e.key === "Escape") done(); }
    back.addEventListener("click", function (e) { if (e.target === back || e.target === close) done(); });
    document.addEventListener("keydown", onKey);
    document.body.appendChild(back);
    panel._modal = back;
    applyOverlays(panel, back);
  }
  function imageControls(panel, frames) {
    var masks = {}, groups = {}, boxLabels = {}, scores = {};
    frames.forEach(function (f) {
      f.items.forEach(function (it) {
        (it.masks || []).forEach(function (m) {
          var mm = masks[m.name] = masks[m.name] || {};
          m.layers.forEach(function (l) { mm[l.c] = { label: l.label, color: l.color, off: !!l.off }; });
        });
        (it.boxes || []).forEach(function (g) {
          groups[g.name] = true;
          g.boxes.forEach(function (b) {
            boxLabels[b.label] = b.color;
            for (var k in b.scores) {
              var s = scores[k] = scores[k] || { min: Infinity, max: -Infinity };
              s.min = Math.min(s.min, b.scores[k]); s.max = Math.max(s.max, b.scores[k]);
            }
          });
        });
      });
    });
    var st = imageState(panel);
    var bar = el("div", "rgp-controls");
    function update() { applyOverlays(panel); if (panel._modal) applyOverlays(panel, panel._modal); }
    function toggle(label, color, on, cls, initiallyOff) {
      var l = el("label", "rgp-toggle " + (cls || ""));
      var c = el("input"); c.type = "checkbox"; c.checked = !initiallyOff;
      if (initiallyOff) on(false);
      l.appendChild(c);
      if (color) { var sw = el("span", "rgp-swatch"); sw.style.background = color; l.appendChild(sw); }
      l.appendChild(document.createTextNode(" " + label));
      c.addEventListener("change", function () { on(c.checked); update(); });
      return l;
    }
    var maskNames = Object.keys(masks).sort();
    if (maskNames.length) {
      var mg = el("div", "rgp-ctl-group rgp-mask-controls");
      mg.appendChild(el("span", "rgp-ctl-title", "Masks"));
      maskNames.forEach(function (name) {
        var box = el("span", "rgp-mask-ctl");
        box.appendChild(toggle(name, null, function (v) { st.masksOff[name] = !v; }, "rgp-mask-toggle"));
        var legend = el("span", "rgp-legend");
        Object.keys(masks[name]).sort(function (a, b) { return a - b; }).forEach(function (c) {
          var info = masks[name][c];
          legend.appendChild(toggle(info.label, info.color, function (v) { st.classesOff[name + "\u0000" + c] = !v; }, "rgp-class-toggle", info.off));
        });
        box.appendChild(legend);
        mg.appendChild(box);
      });
      var ol = el("label", "rgp-opacity", "opacity ");
      var r = el("input"); r.type = "range"; r.min = 0; r.max = 1; r.step = 0.05; r.value = st.opacity;
      r.className = "rgp-opacity-slider";
      r.addEventListener("input", function () { st.opacity = Number(r.value); update(); });
      ol.appendChild(r);
      mg.appendChild(ol);
      bar.appendChild(mg);
    }
    var groupNames = Object.keys(groups).sort();
    if (groupNames.length) {
      var bg = el("div", "rgp-ctl-group rgp-box-controls");
      bg.appendChild(el("span", "rgp-ctl-title", "Boxes"));
      groupNames.forEach(function (name) {
        bg.appendChild(toggle(name, null, function (v) { st.groupsOff[name] = !v; }, "rgp-group-toggle"));
      });
      var cf = el("span", "rgp-legend rgp-class-filter");
      Object.keys(boxLabels).sort().forEach(function (lab) {
        cf.appendChild(toggle(lab, boxLabels[lab], function (v) { st.boxClassesOff[lab] = !v; }, "rgp-boxclass-toggle"));
      });
      bg.appendChild(cf);
      Object.keys(scores).sort().forEach(function (k) {
        var s = scores[k];
        var lab = el("label", "rgp-threshold", k + " ≥ ");
        var r = el("input"); r.type = "range"; r.className = "rgp-threshold-slider"; r.dataset.score = k;
        r.min = s.min; r.max = s.max; r.step = (s.max - s.min) / 100 || 1; r.value = s.min;
        var out = el("output", null, fmt(s.min));
        st.thresholds[k] = -Infinity;
        r.addEventListener("input", function () {
          st.thresholds[k] = Number(r.value) <= s.min ? -Infinity : Number(r.value);
          out.textContent = fmt(Number(r.value));
          update();
        });
        lab.appendChild(r); lab.appendChild(out);
        bg.appendChild(lab);
      });
      bar.appendChild(bg);
    }
    return bar.children.length ? bar : null;
  }

  /* ================= tables ================= */
  var PAGE = 25;
  function cellText(v) {
    if (v && typeof v === "object" && v.t) return v.caption || v.t;
    return fmt(v);
  }
  function renderTable(item, panel) {
    var wrap = el("div", "rgp-table");
    wrap.appendChild(el("p", "rg-empty", "Loading " + item.nrows + " rows…"));
    lazy(wrap, function () {
      P.load(item.id, site(item.data), function (d) { buildTable(wrap, d, panel); });
    });
    return wrap;
  }
  function buildTable(wrap, d, panel) {
    wrap.textContent = "";
    var rows = d.rows, cols = d.columns;
    var texts = rows.map(function (r) { return r.map(cellText).join("\u0001").toLowerCase(); });
    var order = rows.map(function (_, i) { return i; });
    var view = order.slice(), page = 0, sortCol = -1, sortDir = 1;
    var tools = el("div", "rgp-table-tools");
    var filter = el("input", "rgp-filter"); filter.type = "search"; filter.placeholder = "filter rows";
    filter.setAttribute("aria-label", "filter rows");
    var info = el("span", "rgp-table-info");
    var prev = el("button", "rgp-prev", "‹ prev"), next = el("button", "rgp-next", "next ›");
    tools.appendChild(filter); tools.appendChild(prev); tools.appendChild(info); tools.appendChild(next);
    wrap.appendChild(tools);
    var scroller = el("div", "rg-table-wrap");
    var table = el("table", "rg-table");
    var thead = el("thead"), tr = el("tr");
    cols.forEach(function (c, i) {
      var th = el("th", "rg-sortable", c); th.tabIndex = 0;
      function sort() {
        sortDir = sortCol === i ? -sortDir : 1; sortCol = i;
        thead.querySelectorAll("th").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", sortDir === 1 ? "ascending" : "descending");
        apply(true);
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
      tr.appendChild(th);
    });
    thead.appendChild(tr); table.appendChild(thead);
    var tbody = el("tbody"); table.appendChild(tbody);
    scroller.appendChild(table); wrap.appendChild(scroller);
    function key(v) {
      if (typeof v === "number") return isNaN(v) ? null : v;
      if (v === null || v === undefined || v === "") return null;
      return cellText(v);
    }
    function cmp(a, b) {
      var x = key(rows[a][sortCol]), y = key(rows[b][sortCol]);
      if (x === null || y === null) return (x === null) - (y === null) || a - b;
      if (typeof x === "number" && typeof y === "number") return sortDir * (x - y) || a - b;
      return sortDir * String(x).localeCompare(String(y), undefined, { numeric: true }) || a - b;
    }
    function apply(resetPage) {
      var q = filter.value.trim().toLowerCase();
      view = q ? order.filter(function (i) { return texts[i].indexOf(q) >= 0; }) : order.slice();
      if (sortCol >= 0) view.sort(cmp);
      if (resetPage) page = 0;
      draw();
    }
    function draw() {
      var pages = Math.max(1, Math.ceil(view.length / PAGE));
      page = Math.min(page, pages - 1);
      tbody.textContent = "";
      view.slice(page * PAGE, page * PAGE + PAGE).forEach(function (ri) {
        var r = el("tr");
        rows[ri].forEach(function (v) {
          var td = el("td", typeof v === "number" ? "rg-num" : "");
          if (v && typeof v === "object" && v.t) td.appendChild(renderItem(v, panel, true));
          else td.textContent = fmt(v);
          r.appendChild(td);
        });
        tbody.appendChild(r);
      });
      info.textContent = "rows " + (view.length ? page * PAGE + 1 : 0) + "–" + Math.min(view.length, (page + 1) * PAGE) +
        " of " + view.length + (view.length !== rows.length ? " (filtered from " + rows.length + ")" : "");
      prev.disabled = page === 0; next.disabled = page >= pages - 1;
      wrap.dataset.rendered = "done";
    }
    var timer = null;
    filter.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { apply(true); }, 120); });
    prev.addEventListener("click", function () { page--; draw(); });
    next.addEventListener("click", function () { page++; draw(); });
    draw();
  }

  /* ================= charts ================= */
  function renderVega(target, spec, rows) {
    if (!window.vegaEmbed) { target.textContent = "Vega runtime missing"; return; }
    if (rows) spec.datasets = { rows: rows };
    window.vegaEmbed(target, spec, { actions: false, renderer: "canvas" }).then(function () {
      target.dataset.rendered = "done";
    }).catch(function (err) {
      target.dataset.rendered = "error";
      target.textContent = "Chart failed to render: " + err;
      console.warn(err);
    });
  }
  function renderPlotly(item, holder) {
    var sec = document.querySelector(".rgp-root[data-plotly]");
    if (!sec) { holder.textContent = "plotly.js is missing from this site"; return; }
    P.load(item.id, site(item.data), function (fig) {
      loadScript(sec.dataset.plotly, function () { return !!window.Plotly; }, function () {
        window.Plotly.newPlot(holder, fig.data, fig.layout, { displaylogo: false, responsive: true }).then(function () {
          holder.dataset.rendered = "done";
        });
      });
    });
  }
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
  function renderItem(item, panel, inCell) {
    var box, m;
    switch (item.t) {
      case "image":
        return renderImage(item, panel, false);
      case "audio":
        box = el("div", "rgp-audio");
        if (item.wave) { var w = el("img", "rgp-wave"); w.alt = "waveform"; w.src = site(item.wave); box.appendChild(w); }
        m = el("audio"); m.controls = true; m.preload = "metadata"; m.src = site(item.src);
        box.appendChild(m);
        if (item.caption) box.appendChild(el("div", "rgp-caption", item.caption));
        return box;
      case "video":
        box = el("div", "rgp-video");
        if (item.format === "gif") { m = el("img", "rgp-gif"); m.alt = item.caption || "animation"; m.loading = "lazy"; }
        else { m = el("video"); m.controls = true; m.preload = "metadata"; m.muted = true; }
        m.src = site(item.src);
        box.appendChild(m);
        if (item.caption) box.appendChild(el("div", "rgp-caption", item.caption));
        return box;
      case "html":
        m = el("iframe", "rgp-html");
        m.setAttribute("sandbox", "allow-scripts");
        m.setAttribute("referrerpolicy", "no-referrer");
        m.loading = "lazy";
        m.title = "logged HTML";
        m.src = site(item.src);
        return m;
      case "svg":
        box = el("div", "rgp-svg");
        m = el("img"); m.alt = item.caption || "figure"; m.src = site(item.src); m.loading = "lazy";
        box.appendChild(m);
        return box;
      case "table":
        return renderTable(item, panel);
      case "3d":
        box = el("div", "rgp-3d");
        box.appendChild(el("div", "rgp-3d-hint", "drag: orbit · wheel: zoom · ctrl+drag: pan"));
        if (item.caption) box.appendChild(el("div", "rgp-caption", item.caption));
        lazy(box, function () {
          P.load(item.id, site(item.data), function (scene) {
            if (!window.RGViewer3D) { box.textContent = "3D viewer missing"; return; }
            try { box._viewer = window.RGViewer3D.create(box, scene); box.dataset.rendered = "done"; }
            catch (err) { box.dataset.rendered = "error"; box.appendChild(el("p", "rgp-unsupported", String(err.message || err))); }
          });
        });
        return box;
      case "vega":
        box = el("div", "rgp-vega");
        lazy(box, function () { P.load(item.id, site(item.data), function (d) { renderVega(box, JSON.parse(JSON.stringify(d.spec))); }); });
        return box;
      case "plotly":
        box = el("div", "rgp-plotly");
        lazy(box, function () { renderPlotly(item, box); });
        return box;
      case "bars":
        return renderBars(item);
      case "tensor":
        box = el("div", "rgp-tensor");
        box.appendChild(el("div", null, "shape " + JSON.stringify(item.shape) + " · " + (item.dtype || "")));
        var dl = el("dl", "rg-kv");
        item.stats.forEach(function (kv) { dl.appendChild(el("dt", null, kv[0])); dl.appendChild(el("dd", null, fmt(kv[1]))); });
        box.appendChild(dl);
        if (item.src) { var a = el("a", null, "download .npy"); a.href = site(item.src); a.download = ""; box.appendChild(a); }
        return box;
      case "missing":
        return el("div", "rgp-missing", item.msg);
      default:
        return el("div", "rgp-unsupported", "unsupported media type: " + (item.type || item.t));
    }
  }

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
    applyOverlays(panel);
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
          renderVega(target, JSON.parse(JSON.stringify(d.spec)), d.rows);
        });
      });
      return;
    }
    if (panel.dataset.kind === "images" || panel.dataset.kind === "mixed") {
      var ctl = imageControls(panel, panel._frames);
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
    if (!all.length) { slider.disabled = true; return; }
    slider.max = all.length - 1;
    slider.value = all.length - 1;
    out.textContent = "step " + all[all.length - 1];
    slider.addEventListener("input", function () {
      var step = all[Number(slider.value)];
      out.textContent = "step " + step;
      panels.forEach(function (p) { if (p._frames.length) showFrame(p, frameAt(p._frames, step)); });
    });
    sec.querySelectorAll(".rgp-run-toggle input").forEach(function (c) {
      c.addEventListener("change", function () {
        var p = document.getElementById(c.dataset.panel);
        if (p) p.style.display = c.checked ? "" : "none";
      });
    });
  }

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
  else start();
})();

/* reportgen media panels: images with mask layers and boxes, their controls (toggles per
   mask, class and box group, opacity, score thresholds) and the enlarged view. Part of
   assets/panels.js (loaded right after it); user text goes in via textContent only. */
(function () {
  "use strict";
  var P = window.RGPanels;
  var el = P.el, svg = P.svg, fmt = P.fmt, site = P.site, lazy = P.lazy;
  /* a box score as people read it: 0.34, 12.5, 1.2e+3 (the exact value stays in the tooltip's raw data) */
  function score(v) {
    if (typeof v !== "number" || !isFinite(v)) return fmt(v);
    var a = Math.abs(v);
    return a < 1 ? v.toFixed(2) : String(Number(v.toPrecision(3)));
  }
  P.score = score;
  /* box labels are drawn in image pixels (the svg's viewBox) but must read at ~11 CSS px on any
     thumbnail or enlarged view: one observer rescales each svg's text to its drawn width */
  var LABEL_PX = 11;
  function fitLabels(s) {
    var drawn = s.getBoundingClientRect().width;
    if (!drawn) return;
    var k = Number(s.dataset.w) / drawn;  // image px per CSS px
    s.querySelectorAll("text").forEach(function (t) {
      t.setAttribute("font-size", LABEL_PX * k);
      t.setAttribute("stroke-width", 3 * k);
      var r = t.previousSibling;  // the box: its label sits above it, or inside when there is no room
      var y = Number(r.getAttribute("y"));
      t.setAttribute("y", y > LABEL_PX * k ? y - 2 * k : y + LABEL_PX * k);
    });
  }
  var labelObserver = ("ResizeObserver" in window) ? new ResizeObserver(function (entries) {
    entries.forEach(function (e) { fitLabels(e.target); });
  }) : null;
  /* ================= images with masks and boxes ================= */
  function imageState(panel) {
    // keyed by logged names (masks, box groups, class labels, scores): no prototype, so a name like
    // "__proto__" or "constructor" is a key like any other (never Object.prototype itself)
    var d = function () { return Object.create(null); };
    if (!panel._img) panel._img = { masksOff: d(), classesOff: d(), opacity: 0.5, groupsOff: d(), boxClassesOff: d(), thresholds: d() };
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
      s.dataset.w = item.w;
      var fs = Math.max(item.w, item.h) / 28, sw = Math.max(item.w, item.h) / 200;
      item.boxes.forEach(function (grp) {
        grp.boxes.forEach(function (b) {
          var g = svg("g", { "class": "rgp-box" });
          g.dataset.group = grp.name; g.dataset.label = b.label; g.dataset.scores = JSON.stringify(b.scores || {});
          g.appendChild(svg("rect", { x: b.r[0], y: b.r[1], width: b.r[2], height: b.r[3], fill: "none", stroke: b.color, "stroke-width": sw }));
          var label = b.caption || b.label;
          var scoreText = Object.keys(b.scores || {}).map(function (k) { return k + " " + score(b.scores[k]); }).join(" ");
          // white on a dark halo: readable on any picture and any class colour (the box keeps the colour)
          var t = svg("text", { "class": "rgp-box-label", x: b.r[0] + sw, y: Math.max(b.r[1] - sw, fs), "font-size": fs, fill: "#fff",
                                "paint-order": "stroke", stroke: "rgba(0,0,0,.85)", "stroke-width": fs / 4, "stroke-linejoin": "round" });
          t.textContent = label;
          g.appendChild(t);
          var tip = svg("title", {});
          tip.textContent = grp.name + ": " + b.label + (b.caption ? " (" + b.caption + ")" : "") + (scoreText ? " · " + scoreText : "");
          g.appendChild(tip);
          s.appendChild(g);
        });
      });
      stage.appendChild(s);
      if (labelObserver) labelObserver.observe(s);
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
    // logged names as keys: a mask or score named "__proto__" wrote into Object.prototype (every
    // object of the page then had `min`, `max` and the mask's class ids)
    var masks = Object.create(null), groups = Object.create(null), boxLabels = Object.create(null), scores = Object.create(null);
    frames.forEach(function (f) {
      f.items.forEach(function (it) {
        (it.masks || []).forEach(function (m) {
          var mm = masks[m.name] = masks[m.name] || Object.create(null);
          m.layers.forEach(function (l) { mm[l.c] = { label: l.label, color: l.color, off: !!l.off, outline: !!m.outline }; });
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
    function toggle(label, color, on, cls, initiallyOff, outlined) {
      var l = el("label", "rgp-toggle " + (cls || ""));
      var c = el("input"); c.type = "checkbox"; c.checked = !initiallyOff;
      if (initiallyOff) on(false);
      l.appendChild(c);
      if (color) {
        var sw = el("span", "rgp-swatch" + (outlined ? " rgp-swatch-outline" : ""));
        if (outlined) sw.style.borderColor = color; else sw.style.background = color;  // outline = ground truth
        l.appendChild(sw);
      }
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
          legend.appendChild(toggle(info.label, info.color, function (v) { st.classesOff[name + "\u0000" + c] = !v; }, "rgp-class-toggle", info.off, info.outline));
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
        var out = el("output", null, score(s.min));
        st.thresholds[k] = -Infinity;
        r.addEventListener("input", function () {
          st.thresholds[k] = Number(r.value) <= s.min ? -Infinity : Number(r.value);
          out.textContent = score(Number(r.value));
          update();
        });
        lab.appendChild(r); lab.appendChild(out);
        bg.appendChild(lab);
      });
      bar.appendChild(bg);
    }
    return bar.children.length ? bar : null;
  }

  P.renderImage = renderImage;
  P.register("image", function (item, panel) { return renderImage(item, panel, false); });
  P.imageControls = imageControls;
  P.applyOverlays = applyOverlays;
})();

/* reportgen reports: draws custom charts (.rg-vega) whose Vega-Lite spec carries its
   data inline, lazily like the metric charts, and registers each view in RG.views. */
(function () {
  "use strict";
  var RG = (window.RG = window.RG || {});
  RG.views = RG.views || {};

  function render(el) {
    if (el.dataset.rendered) return;
    el.dataset.rendered = "pending";
    var target = el.querySelector(".rg-chart-view");
    var spec;
    try {
      spec = JSON.parse(el.querySelector("script.rg-spec").textContent);
    } catch (err) {
      el.dataset.rendered = "error";
      target.textContent = "Chart spec is not valid JSON";
      console.error(err);
      return;
    }
    window.vegaEmbed(target, spec, { actions: false, renderer: "canvas" }).then(function (res) {
      RG.views[el.id] = res.view;
      el.dataset.rendered = "done";
    }).catch(function (err) {
      el.dataset.rendered = "error";
      target.textContent = "Chart failed to render: " + err;
      console.error(err);
    });
  }

  function start() {
    var els = document.querySelectorAll(".rg-vega");
    if (!("IntersectionObserver" in window)) { els.forEach(render); return; }
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting) { io.unobserve(e.target); render(e.target); } });
    }, { rootMargin: "300px 0px" });
    els.forEach(function (el) { io.observe(el); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* reportgen smoothing in the page: TensorBoard's debiased exponential moving average
   (reportgen/site/smoothing.py, ema_reference), for the series the site keeps whole (not
   downsampled): with every raw point at hand the page computes exactly what the build would
   store, so no smoothing file is written for them. For each finite value y:
   last = last * w + (1 - w) * y, k += 1, smoothed = last / (1 - w ** k); a gap (null, NaN,
   +-Infinity) does not move the average and is null in the result. Used by assets/loader.js. */
(function (root) {
  "use strict";
  function ema(y, w) {
    var n = y.length, out = new Array(n), last = 0, k = 0, v;
    for (var i = 0; i < n; i++) {
      v = y[i];
      if (v === null || v === undefined || !isFinite(v)) { out[i] = null; continue; }
      if (!(w > 0)) { out[i] = v; continue; }
      last = last * w + (1 - w) * v;
      k += 1;
      out[i] = last / (1 - Math.pow(w, k));
    }
    return out;
  }
  var S = { ema: ema };
  root.RGSmooth = S;
  if (typeof module !== "undefined" && module.exports) module.exports = S;
})(typeof window !== "undefined" ? window : globalThis);

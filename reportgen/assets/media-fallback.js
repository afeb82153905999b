/* A <video> or <audio> of the site that the browser cannot play (its error event: a codec only some
   browsers play, HEVC in Chromium without a hardware decoder, a file that does not decode) is replaced
   by a note saying so and a link to the file: never a player that never plays. data-rg-only names a
   codec the build knew some browsers do not play (site/panels/playable.SOME_BROWSERS). A media error
   does not bubble: caught on the document as it goes down (capture), and looked for once at start
   (one that came before this script ran). */
(function () {
  "use strict";
  var WHY = { 1: "its loading was stopped", 2: "a network error", 3: "it does not decode",
              4: "this browser does not play its format" };

  function fallback(m) {
    if (!m.error || m.dataset.rgNoplay || !m.parentNode) return;
    var kind = m.tagName === "AUDIO" ? "audio" : "video", src = m.currentSrc || m.src;
    m.dataset.rgNoplay = String(m.error.code);
    var box = document.createElement("div");
    box.className = "rg-noplay";
    box.textContent = m.dataset.rgOnly ? "This browser does not play " + m.dataset.rgOnly + " " + kind + ": "
      : "This " + kind + " does not play here (" + (WHY[m.error.code] || "error " + m.error.code) + "): ";
    if (src) {
      var a = document.createElement("a");
      a.href = src;
      a.setAttribute("download", "");
      a.textContent = "download the file (" + decodeURIComponent(src.split("/").pop()) + ")";
      box.appendChild(a);
    }
    m.style.display = "none";
    m.parentNode.insertBefore(box, m.nextSibling);
  }

  document.addEventListener("error", function (e) {
    var t = e.target;
    if (t && (t.tagName === "VIDEO" || t.tagName === "AUDIO")) fallback(t);
  }, true);
  Array.prototype.forEach.call(document.querySelectorAll("video, audio"), fallback);
})();

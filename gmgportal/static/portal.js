// GMG Portal enhancements. Every task works without this file.
(function () {
  "use strict";

  // A scroll region is a Tab stop (so keyboard users can scroll it) only while its content
  // overflows; its "scroll sideways" cue shows only then too. Without this script every
  // region keeps the tabindex="0" the page was served with, so it stays reachable.
  function updateScrollRegions() {
    var regions = document.querySelectorAll("[data-scroll-region]");
    for (var i = 0; i < regions.length; i++) {
      var region = regions[i];
      var scrolls = region.scrollWidth > region.clientWidth + 1 && region.clientWidth > 0;
      if (scrolls) {
        region.setAttribute("tabindex", "0");
      } else if (document.activeElement !== region) {
        region.removeAttribute("tabindex");
      }
      var cue = region.querySelector("[data-scroll-cue]");
      if (cue) { cue.hidden = !scrolls; }
    }
  }

  var pending = null;
  function scheduleUpdate() {
    if (pending) { window.cancelAnimationFrame(pending); }
    pending = window.requestAnimationFrame(function () { pending = null; updateScrollRegions(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen readers announce it.
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }
    updateScrollRegions();
    window.addEventListener("resize", scheduleUpdate);
  });
})();

// GMG Portal enhancements. Every task works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen readers announce it.
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }
  });
})();

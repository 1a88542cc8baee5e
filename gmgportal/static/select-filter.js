// A filter box over a long multiple-choice list: <select multiple data-filter-select="countries">.
// Typing narrows the options shown (by name or code, ignoring accents and case); chosen options always
// stay in the list, and a line under it names them. Without this script the native list works as is.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function enhance(select) {
    var noun = select.getAttribute("data-filter-select") || "options";
    var id = select.id + "-filter";
    var box = document.createElement("div");
    box.className = "select-filter";
    box.innerHTML = '<label for="' + id + '">Find ' + noun + " by name</label>" +
      '<input type="search" id="' + id + '" autocomplete="off" spellcheck="false" aria-controls="' +
      select.id + '" aria-describedby="' + id + '-count">' +
      '<p class="hint select-filter-count" id="' + id + '-count" aria-live="polite"></p>';
    select.parentNode.insertBefore(box, select);
    var chosen = document.createElement("p");
    chosen.className = "hint select-filter-chosen";
    chosen.id = select.id + "-chosen";
    chosen.setAttribute("aria-live", "polite");
    select.parentNode.insertBefore(chosen, select.nextSibling);
    var input = box.querySelector("input");
    var count = box.querySelector(".select-filter-count");
    var options = Array.prototype.slice.call(select.options);
    var keys = options.map(function (o) { return fold(o.text + " " + o.value); });

    function showChosen() {
      var names = options.filter(function (o) { return o.selected; }).map(function (o) { return o.text; });
      chosen.textContent = names.length ? "Chosen: " + names.join(", ") + "." : "None chosen yet.";
    }

    function filter() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      options.forEach(function (option, i) {
        var match = words.every(function (w) { return keys[i].indexOf(w) !== -1; });
        option.hidden = !(match || option.selected);
        if (match) { shown += 1; }
      });
      count.textContent = words.length ? shown + " of " + options.length + " match. Press the down arrow to go to the list."
        : options.length + " in the list.";
    }

    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {  // a filter box never submits the form
        event.preventDefault();
      }
      if (event.key === "ArrowDown" || event.key === "Enter") {
        var first = options.filter(function (o) { return !o.hidden; })[0];
        if (first) {
          event.preventDefault();
          select.focus();
        }
      }
    });
    select.addEventListener("change", showChosen);
    filter();
    showChosen();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var selects = document.querySelectorAll("select[multiple][data-filter-select]");
    for (var i = 0; i < selects.length; i++) { enhance(selects[i]); }
  });
})();
